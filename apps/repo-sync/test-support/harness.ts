import {
  activateConnection,
  createConnection,
  createOrGetActiveSyncRun,
  createTenant,
  type Database,
  finishSyncRun,
  selectCurrent,
} from '@codecommit-evidence/evidence-store';
import {
  addSyncRunFlow,
  closeQueues,
  createFlowProducer,
  createQueues,
  createRedisConnection,
  createWorker,
  jobIds,
  type Queues,
} from '@codecommit-evidence/queues';
import { createSyncWorkerDeps, type SyncAwsLimits } from '@codecommit-evidence/sync-support';
import { type FlowProducer, QueueEvents, type Worker } from 'bullmq';
import { type Kysely, sql } from 'kysely';
import { pino } from 'pino';
import { REPOSITORY_EVIDENCE_TABLES } from '../src/evidence-rows.js';
import { createRepoSyncWorker, type RepoSyncDeps } from '../src/worker.js';
import { ACCOUNT, type expectedEvidence, REGION, roleArn } from './scenario.js';

export const silent = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });

/** The evidence of a connection as comparable strings (the same shapes as `expectedEvidence`). */
export async function currentEvidence(db: Kysely<Database>, connectionId: string) {
  const repos = await selectCurrent(db, 'repositories', connectionId).selectAll().execute();
  const branches = await selectCurrent(db, 'branches', connectionId).selectAll().execute();
  const assoc = await selectCurrent(db, 'repository_template_associations', connectionId)
    .selectAll()
    .execute();
  const templates = await selectCurrent(db, 'approval_rule_templates', connectionId).selectAll().execute();
  const prs = await selectCurrent(db, 'pull_requests', connectionId).selectAll().execute();
  const approvals = await selectCurrent(db, 'pull_request_approvals', connectionId).selectAll().execute();
  return {
    repositories: repos
      .map((r) => `${r.repository_id}|${r.repository_name}|${r.default_branch ?? ''}`)
      .sort(),
    branches: branches.map((b) => `${b.repository_id}|${b.branch_name}|${b.commit_id ?? ''}`).sort(),
    associations: assoc.map((a) => `${a.repository_id}|${a.template_name}`).sort(),
    templates: templates.map((t) => `${t.template_id}|${t.template_name}`).sort(),
    pullRequests: prs
      .map((p) => `${p.pull_request_id}|${p.repository_name}|${p.status}|${p.is_merged}|${p.revision_id}`)
      .sort(),
    approvals: approvals
      .map((a) => `${a.pull_request_id}|${a.revision_id}|${a.user_arn}|${a.approval_state}`)
      .sort(),
    overridden: prs
      .filter((p) => p.override_state?.overridden)
      .map((p) => `${p.pull_request_id}|${p.override_state!.overrider}`)
      .sort(),
    openPullRequests: prs.filter((p) => p.status === 'OPEN').length,
    mergedPullRequests: prs.filter((p) => p.status === 'CLOSED' && p.is_merged).length,
  } satisfies ReturnType<typeof expectedEvidence>;
}

/** Content hashes of every current evidence row, per table: equal sets mean equal evidence. */
export async function evidenceHashes(db: Kysely<Database>, connectionId: string) {
  const out: Record<string, string[]> = {};
  for (const table of REPOSITORY_EVIDENCE_TABLES) {
    out[table] = (await selectCurrent(db, table, connectionId).select('content_hash').execute())
      .map((r) => r.content_hash)
      .sort();
  }
  return out;
}

/** Rows a run opened or closed, per table. */
export async function rowsTouchedBy(db: Kysely<Database>, connectionId: string, runId: number) {
  const out: Record<string, { opened: number; closed: number }> = {};
  for (const table of [
    'repositories',
    'branches',
    'repository_template_associations',
    'approval_rule_templates',
    'pull_requests',
    'pull_request_approvals',
  ] as const) {
    const q = (col: 'valid_from_run' | 'valid_to_run') =>
      sql<{ n: number }>`select count(*)::int as n from ${sql.table(table)}
        where connection_id = ${connectionId} and ${sql.ref(col)} = ${runId}`
        .execute(db)
        .then((res) => res.rows[0]?.n ?? 0);
    const [opened, closed] = await Promise.all([q('valid_from_run'), q('valid_to_run')]);
    if (opened > 0 || closed > 0) out[table] = { opened, closed };
  }
  return out;
}

export async function createActiveConnection(
  db: Kysely<Database>,
  role: { roleName: string; externalId: string },
): Promise<string> {
  const { tenant } = await createTenant(db, `tenant-${role.roleName}`);
  const c = await createConnection(db, { tenantId: tenant.id, name: role.roleName });
  await db.updateTable('connections').set({ external_id: role.externalId }).where('id', '=', c.id).execute();
  await activateConnection(db, c.id, {
    roleArn: roleArn(role.roleName),
    accountId: ACCOUNT,
    region: REGION,
    permissions: {},
    warnings: [],
  });
  return c.id;
}

export interface Harness {
  deps: RepoSyncDeps;
  queues: Queues;
  /** Runs a whole sync run flow (repositories and a stand-in IAM child, then evaluate) and closes the run. */
  sync(
    connectionId: string,
  ): Promise<{ runId: number; evaluatedAfterAllRepositories: boolean; failures: Record<string, string> }>;
  close(): Promise<void>;
}

/**
 * The repo-sync worker in this process, plus the two other queues of a sync-run flow served by
 * stand-ins: `sync-iam` (another worker's job, not under test here) returns at once, and
 * `evaluate-checks` records whether every repository job was finished when it ran, then closes the run
 * as the real evaluator would.
 */
export async function startHarness(input: {
  db: Kysely<Database>;
  redisUrl: string;
  prefix: string;
  endpoint: string;
  platformCredentials: { accessKeyId: string; secretAccessKey: string };
  limits: SyncAwsLimits;
  concurrency?: number;
  jobsPerConnection?: number;
  /** The workers' clock (the one settable clock), for tests that sync "at" another time. */
  now?: () => Date;
}): Promise<Harness> {
  const workerConn = createRedisConnection(input.redisUrl, 'worker');
  const producer = createRedisConnection(input.redisUrl, 'producer');
  const queues = createQueues(producer, input.prefix);
  const flow: FlowProducer = createFlowProducer(producer, input.prefix);
  const deps: RepoSyncDeps = {
    ...createSyncWorkerDeps({
      db: input.db,
      redis: workerConn,
      logger: silent,
      keyPrefix: input.prefix,
      limits: input.limits,
      endpoint: input.endpoint,
      platformCredentials: input.platformCredentials,
      ...(input.now ? { now: input.now } : {}),
    }),
    queue: queues['repo-sync'],
  };
  const evaluations = new Map<number, { afterAll: boolean; failures: Record<string, string> }>();
  const workers: Worker[] = [
    createRepoSyncWorker(deps, {
      connection: workerConn,
      prefix: input.prefix,
      concurrency: input.concurrency ?? 4,
      ...(input.jobsPerConnection ? { jobsPerConnection: input.jobsPerConnection } : {}),
    }),
    createWorker({
      queue: 'iam-sync',
      handlers: { 'sync-iam': async () => 'stand-in: iam-sync is not under test here' },
      connection: workerConn,
      prefix: input.prefix,
      logger: silent,
    }),
    createWorker({
      queue: 'checks',
      handlers: {
        'evaluate-checks': async (p, { job }) => {
          const repos = await selectCurrent(input.db, 'repositories', p.connectionId)
            .select('repository_id')
            .execute();
          const states = await Promise.all(
            repos.map(async (r) =>
              (await queues['repo-sync'].getJob(jobIds.syncRepository(p.runId, r.repository_id)))?.getState(),
            ),
          );
          const failures = await job.getIgnoredChildrenFailures();
          evaluations.set(p.runId, {
            afterAll: states.every((s) => s === 'completed' || s === 'failed'),
            failures,
          });
          await finishSyncRun(input.db, p.runId, Object.keys(failures).length > 0 ? 'partial' : 'succeeded');
        },
        'start-scheduled-sync': async () => {},
      },
      connection: workerConn,
      prefix: input.prefix,
      logger: silent,
    }),
  ];
  const events = new QueueEvents('checks', {
    connection: { url: input.redisUrl, maxRetriesPerRequest: null } as never,
    prefix: input.prefix,
  });
  await events.waitUntilReady();
  return {
    deps,
    queues,
    async sync(connectionId) {
      const { run } = await createOrGetActiveSyncRun(input.db, connectionId, 'api');
      const node = await addSyncRunFlow(flow, { connectionId, runId: run.id });
      await node.job.waitUntilFinished(events, 60_000);
      const e = evaluations.get(run.id)!;
      return { runId: run.id, evaluatedAfterAllRepositories: e.afterAll, failures: e.failures };
    },
    async close() {
      await Promise.all(workers.map((w) => w.close(true)));
      await events.close();
      await flow.close();
      await closeQueues(queues);
      deps.aws.destroy();
      workerConn.disconnect();
      producer.disconnect();
    },
  };
}
