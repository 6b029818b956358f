/**
 * A scenario synced as production syncs it, then evaluated: `apps/repo-sync` and `apps/iam-sync` each in
 * its own process (apps do not import apps), started from their `src/index.ts` and configured only by
 * the environment, on the test's database, Redis prefix and fake-aws; the evaluator in this process
 * through its worker factory, as the parent job of a real BullMQ flow (`addSyncRunFlow`).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { permissionsPolicy } from '@codecommit-evidence/aws-clients';
import {
  activateConnection,
  createConnection,
  createOrGetActiveSyncRun,
  createTenant,
  type Database,
  upsertPeople,
} from '@codecommit-evidence/evidence-store';
import { type FakeAws, platformTrustPolicy } from '@codecommit-evidence/fake-aws';
import { addSyncRunFlow, createFlowProducer, createRedisConnection } from '@codecommit-evidence/queues';
import { clockEnv } from '@codecommit-evidence/testing/clock-env';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { createChecksWorker } from '../src/worker.js';

const root = (path: string) => fileURLToPath(new URL(`../../../${path}`, import.meta.url));

interface Proc {
  name: string;
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

function startWorkerProcess(app: 'repo-sync' | 'iam-sync', env: Record<string, string>): Proc {
  const child = spawn(process.execPath, ['--conditions=development', '--import', 'tsx', 'src/index.ts'], {
    cwd: root(`apps/${app}`),
    env: { PATH: process.env.PATH ?? '', HEALTH_PORT: '0', ...clockEnv(), ...env }, // any free port: runs in parallel
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { name: app, child, output: () => out, exited };
}

async function stop(proc: Proc | undefined): Promise<void> {
  if (!proc || proc.child.exitCode !== null) return;
  proc.child.kill('SIGTERM');
  const timer = setTimeout(() => proc.child.kill('SIGKILL'), 10_000);
  await proc.exited;
  clearTimeout(timer);
}

export interface SyncThroughWorkersInput {
  db: Kysely<Database>;
  databaseUrl: string;
  redis: { url: string; prefix: string };
  fake: FakeAws;
  accountId: string;
  region: string;
  tenantName: string;
  connectionName: string;
  people: { email: string; name: string; status: 'active' | 'offboarded'; offboardedAt: string | null }[];
  log: Logger;
  /**
   * The product role's permissions: by default AWSCodeCommitReadOnly + IAMReadOnlyAccess (the
   * managed-policy alternative); `setup-kit`: the kit's inline policy alone, read from the permission
   * catalog, so a call outside the catalog is denied by fake-aws. `deny`: actions an explicit Deny
   * takes away on top (a customer who left them out).
   */
  productRole?: { policy?: 'managed' | 'setup-kit'; deny?: string[] };
}

export interface SyncedScenario {
  connectionId: string;
  runId: number;
  checkRunId: number;
  /** Another sync run of the connection through the same workers, waited for until its check run. */
  syncAgain(): Promise<{ runId: number; checkRunId: number }>;
  /**
   * A first sync of the same account under a new tenant and connection (same roster), through the same
   * workers: every pull request is read again, as on a connection's first day.
   */
  syncAsNewConnection(): Promise<{ connectionId: string; runId: number; checkRunId: number }>;
  /** Stops the workers and closes the queues (not the fake, which the caller started). */
  close(): Promise<void>;
}

const PRODUCT_ROLE = 'CodeCommitEvidence';
const EXTERNAL_ID = 'cce-scenario-external-id';
const externalIds = [EXTERNAL_ID, ...Array.from({ length: 63 }, (_, i) => `${EXTERNAL_ID}-${i + 2}`)];

/**
 * Adds the product's role (as the setup kit creates it: trusted by the platform account with the
 * connection's External ID, read-only), connects, loads the roster, syncs through the workers and
 * waits for the check run.
 */
export async function syncThroughWorkers(input: SyncThroughWorkersInput): Promise<SyncedScenario> {
  const { db, fake } = input;
  const kit = input.productRole?.policy === 'setup-kit';
  const deny = input.productRole?.deny ?? [];
  fake.updateScenario((draft) => {
    draft.account.roles.push({
      roleName: PRODUCT_ROLE,
      roleId: 'AROACODECOMMITEVIDENCE1',
      path: '/',
      // The account's own date: two syncs of the same scenario store the same role.
      createDate: draft.account.createDate,
      maxSessionDuration: 3600,
      // Each connection has its own External ID (they are unique); the role trusts the first 64.
      trustPolicy: platformTrustPolicy(draft.platform.accountId, externalIds),
      inlinePolicies: [
        ...(kit ? [{ name: 'CodeCommitEvidenceReadOnly', document: permissionsPolicy() }] : []),
        ...(deny.length > 0
          ? [
              {
                name: 'left-out',
                document: {
                  Version: '2012-10-17' as const,
                  Statement: [{ Effect: 'Deny' as const, Action: deny, Resource: '*' }],
                },
              },
            ]
          : []),
      ],
      attachedPolicies: kit
        ? []
        : ['arn:aws:iam::aws:policy/AWSCodeCommitReadOnly', 'arn:aws:iam::aws:policy/IAMReadOnlyAccess'],
      permissionsBoundary: null,
      tags: [],
    });
  });

  const connect = async (n: number) => {
    const { tenant } = await createTenant(db, n === 1 ? input.tenantName : `${input.tenantName} ${n}`);
    const connection = await createConnection(db, { tenantId: tenant.id, name: input.connectionName });
    await db
      .updateTable('connections')
      .set({ external_id: externalIds[n - 1]! })
      .where('id', '=', connection.id)
      .execute();
    await activateConnection(db, connection.id, {
      roleArn: `arn:aws:iam::${input.accountId}:role/${PRODUCT_ROLE}`,
      accountId: input.accountId,
      region: input.region,
      permissions: {},
      warnings: [],
    });
    await upsertPeople(db, tenant.id, input.people);
    return connection;
  };
  const connection = await connect(1);
  let connections = 1;

  const env = {
    DATABASE_URL: input.databaseUrl,
    REDIS_URL: input.redis.url,
    QUEUE_PREFIX: input.redis.prefix,
    AWS_ENDPOINT_URL: fake.url,
    AWS_REGION: input.region,
    AWS_ACCESS_KEY_ID: fake.platformCredentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: fake.platformCredentials.secretAccessKey,
    LOG_LEVEL: 'warn',
    CODECOMMIT_RPS: '500',
    IAM_RPS: '500',
    AWS_ACCOUNT_CONCURRENCY: '16',
    CREDENTIAL_REPORT_POLL_INTERVAL_MS: '200',
    SHUTDOWN_TIMEOUT_MS: '5000',
  };
  const procs = [startWorkerProcess('repo-sync', env), startWorkerProcess('iam-sync', env)];
  const producer = createRedisConnection(input.redis.url, 'producer');
  const workerRedis = createRedisConnection(input.redis.url, 'worker');
  const flow = createFlowProducer(producer, input.redis.prefix);
  const checksWorker = createChecksWorker({
    db,
    connection: workerRedis,
    prefix: input.redis.prefix,
    flowProducer: flow,
    logger: input.log,
  });
  const close = async () => {
    await checksWorker.close();
    await Promise.all(procs.map(stop));
    await flow.close();
    producer.disconnect();
    workerRedis.disconnect();
  };

  const syncOnce = async (connectionId = connection.id): Promise<{ runId: number; checkRunId: number }> => {
    const { run } = await createOrGetActiveSyncRun(db, connectionId, 'api');
    await addSyncRunFlow(flow, { connectionId, runId: run.id });
    // Generous: six engineers share two cores, and a worker process compiles its sources at start.
    const deadline = Date.now() + 240_000;
    for (;;) {
      const checkRun = await db
        .selectFrom('check_runs')
        .select('id')
        .where('sync_run_id', '=', run.id)
        .executeTakeFirst();
      if (checkRun) return { runId: run.id, checkRunId: checkRun.id };
      for (const p of procs)
        if (p.child.exitCode !== null)
          throw new Error(`${p.name} exited (${p.child.exitCode}):\n${p.output()}`);
      if (Date.now() > deadline)
        throw new Error(
          `no check run within 240 s\n${procs.map((p) => `--- ${p.name}\n${p.output()}`).join('\n')}`,
        );
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  };

  try {
    const first = await syncOnce();
    return {
      connectionId: connection.id,
      ...first,
      syncAgain: () => syncOnce(),
      syncAsNewConnection: async () => {
        const added = await connect(++connections);
        return { connectionId: added.id, ...(await syncOnce(added.id)) };
      },
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}
