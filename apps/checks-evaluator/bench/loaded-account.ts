/**
 * The bench loader: puts a generated account into a database the way a sync would, without HTTP and
 * without the ~1.45 M rate-limited AWS calls a 10,000-repository account would cost through fake-aws's
 * server. It runs the workers' own jobs in this process — `sync-iam` (apps/iam-sync) and
 * `sync-repositories` with one `sync-repository` per repository (apps/repo-sync): their collectors, row
 * builders (`evidence-rows.ts`, `iam-evidence.ts`), the store's `writeEvidence` / `retireMissing`, the
 * run's steps and problems — with SDK v3 clients whose request handler hands each signed request to
 * fake-aws's in-process core (`FakeAwsCore.handleAws`, the same function its HTTP server calls). So the
 * SDK's own serialisers and parsers produce the answers the workers see, and what is stored cannot
 * drift from a real sync; only the socket, the account rate limiter and BullMQ are left out.
 * `compareLoadedWithSynced` proves it at a small size (`pnpm bench:evaluate --self-check`). Never part of
 * `pnpm test`'s product code: bench only.
 */

import { Readable } from 'node:stream';
import {
  type AwsClientFactory,
  createAccountRateLimiter,
  createAwsClientFactory,
} from '@codecommit-evidence/aws-clients';
import {
  createDb,
  createOrGetActiveSyncRun,
  type Database,
  EVIDENCE_KEYS,
  finishSyncRun,
  migrateToLatest,
} from '@codecommit-evidence/evidence-store';
import type { Scenario } from '@codecommit-evidence/fake-aws';
import { FakeAwsCore, GENERATED_DEFAULTS } from '@codecommit-evidence/fake-aws';
import { createRedisConnection } from '@codecommit-evidence/queues';
import {
  inMemoryJobHandle,
  runSyncJob,
  type SyncJobHandle,
  type SyncWorkerDeps,
} from '@codecommit-evidence/sync-support';
import { DelayedError, type Queue } from 'bullmq';
import { type Kysely, sql } from 'kysely';
import { pino } from 'pino';
import { syncIamJob } from '../../iam-sync/src/processors/sync-iam.js';
import { syncRepositoriesJob } from '../../repo-sync/src/processors/sync-repositories.js';
import { syncRepositoryJob } from '../../repo-sync/src/processors/sync-repository.js';
import {
  type AccountSize,
  benchScenario,
  prepareBenchConnection,
  type SyncedAccount,
} from './synced-account.js';

const log = (m: string) => process.stderr.write(`${m}\n`);

/** Repository jobs run at once (the workers' REPO_SYNC_CONCURRENCY in the synced bench is 16; 4 keep 2 cores busy). */
const REPOSITORY_JOBS = 4;

/** What the handler reads of the SDK's signed request (@smithy/types HttpRequest). */
interface HttpRequest {
  headers: Record<string, string>;
  body?: unknown;
  query?: Record<string, string | string[] | null>;
}

/**
 * An SDK request handler (`HttpHandler`) that answers from fake-aws's core in this process: the signed
 * request's headers, body and query go to `handleAws`, as the HTTP server would pass them.
 */
function inProcessHandler(core: FakeAwsCore) {
  return {
    metadata: { handlerProtocol: 'in-process' },
    async handle(request: HttpRequest) {
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(request.headers)) headers[k.toLowerCase()] = v;
      const body =
        typeof request.body === 'string'
          ? request.body
          : request.body instanceof Uint8Array
            ? Buffer.from(request.body).toString('utf8')
            : '';
      const query = new URLSearchParams();
      for (const [k, v] of Object.entries(request.query ?? {})) {
        if (Array.isArray(v)) for (const x of v) query.append(k, x);
        else if (v !== null && v !== undefined) query.append(k, v);
      }
      const out = core.handleAws(headers, body, query.toString());
      return {
        response: {
          statusCode: out.status,
          reason: undefined,
          headers: {
            'content-type': out.contentType,
            'x-amzn-requestid': out.requestId,
            'content-length': String(Buffer.byteLength(out.body)),
          },
          // A stream, as node-http-handler's IncomingMessage is: the SDK collects it the same way.
          body: Readable.from([Buffer.from(out.body, 'utf8')]),
        },
      };
    },
    updateHttpClientConfig() {},
    httpHandlerConfigs: () => ({}),
    destroy() {},
  };
}

/**
 * The workers' client factory, its clients answered in process. The factory builds its clients itself;
 * the SDK reads `config.requestHandler` on every send, so replacing it on each client it hands out
 * (and on the platform STS client the role-credential cache uses) routes every call to `core`.
 */
function inProcessAwsFactory(core: FakeAwsCore, scenario: Scenario): AwsClientFactory {
  const handler = inProcessHandler(core);
  const factory = createAwsClientFactory({
    endpoint: 'http://fake-aws.in-process',
    platformCredentials: scenario.platform.credentials,
    maxAttempts: 1,
  });
  // biome-ignore lint/suspicious/noExplicitAny: the SDK types its resolved config as readonly.
  const route = (client: { config: any }) => {
    client.config.requestHandler = handler;
  };
  route(factory.platformSts(GENERATED_DEFAULTS.region));
  route(factory.platformSts('us-east-1'));
  return {
    ...factory,
    forConnection(ref, options) {
      const clients = factory.forConnection(ref, options);
      route(clients.codecommit);
      route(clients.iam);
      route(clients.sts);
      return clients;
    },
  };
}

/** Runs an in-memory job to its end: a deferral (the credential report's poll) runs it again. */
async function untilDone<T>(run: () => Promise<T>): Promise<T> {
  for (;;) {
    try {
      return await run();
    } catch (error) {
      if (!(error instanceof DelayedError)) throw error;
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}

/**
 * `sync-repositories` with children run in process: the child jobs it adds to its "queue" are run with
 * `syncRepository` (REPOSITORY_JOBS at once) when it waits for them; a child that throws is a failure
 * the parent records, as BullMQ's `ignoreDependencyOnFailure` would hand it.
 */
async function runRepositories(deps: SyncWorkerDeps, payload: { connectionId: string; runId: number }) {
  const added: { data: Parameters<typeof syncRepositoryJob.handle>[0]; opts: { jobId?: string } }[] = [];
  const failures: Record<string, string> = {};
  const queue = {
    async addBulk(jobs: typeof added) {
      added.push(...jobs);
      return [];
    },
    async getJob(id: string) {
      const job = added.find((j) => j.opts.jobId === id);
      return job ? { data: job.data } : undefined;
    },
  } as unknown as Queue;
  let done = 0;
  const job: SyncJobHandle = {
    ...inMemoryJobHandle(),
    children: {
      parent: { id: 'in-process', queue: 'in-process' },
      async waitForChildren() {
        let next = 0;
        const worker = async () => {
          while (next < added.length) {
            const child = added[next++]!;
            try {
              await untilDone(() => runSyncJob(syncRepositoryJob, deps, child.data));
            } catch (error) {
              failures[`in-process:${child.opts.jobId}`] = (error as Error).message;
            }
            if (++done % 500 === 0) log(`  ${done} / ${added.length} repositories`);
          }
        };
        await Promise.all(Array.from({ length: REPOSITORY_JOBS }, worker));
      },
      failures: async () => failures,
    },
  };
  return runSyncJob(syncRepositoriesJob, { ...deps, queue }, payload, job);
}

/**
 * Generates an account of `size` (seed 1, as `syncGeneratedAccount`) and loads it into the (empty or
 * migrated) database at `url` through the workers' jobs run in process; the sync run is finished as
 * succeeded, and `bench_account` names it, as in a synced cache.
 */
export async function loadGeneratedAccount(
  url: string,
  redisUrl: string,
  size: AccountSize,
): Promise<SyncedAccount & { seconds: { generate: number; iam: number; repositories: number } }> {
  let t = performance.now();
  log(`generating ${size.repos} repositories x ${size.prs} pull requests x ${size.users} users…`);
  const scenario = benchScenario(size);
  // No rate limit, and a credential report ready at the first look.
  const core = new FakeAwsCore({ scenario, credentialReportDelayMs: 0 });
  const generate = (performance.now() - t) / 1000;
  const db = createDb(url, { max: REPOSITORY_JOBS + 2 });
  const redis = createRedisConnection(redisUrl, 'producer');
  try {
    await migrateToLatest(db);
    const { tenant, apiKey, connectionId } = await prepareBenchConnection(db);
    const deps: SyncWorkerDeps = {
      db,
      redis,
      logger: pino({ level: process.env.LOG_LEVEL ?? 'silent' }),
      aws: inProcessAwsFactory(core, core.state.world.scenario),
      // Required by the type; the factory above has none, so no call waits on it.
      rateLimiter: createAccountRateLimiter({ redis, keyPrefix: '{cce-bench-loader}:aws-limit' }),
      now: () => new Date(),
    };
    const { run } = await createOrGetActiveSyncRun(db, connectionId, 'api');
    const payload = { connectionId, runId: run.id };
    t = performance.now();
    log('loading IAM (sync-iam in process)…');
    const iamJob = inMemoryJobHandle();
    await untilDone(() =>
      runSyncJob(
        syncIamJob,
        {
          ...deps,
          settings: {
            callConcurrency: 8,
            credentialReport: { pollIntervalMs: 20, maxWaitMs: 60_000, maxPolls: 1000 },
          },
        },
        payload,
        iamJob,
      ),
    );
    const iam = (performance.now() - t) / 1000;
    t = performance.now();
    log('loading repositories (sync-repositories and sync-repository in process)…');
    const result = await runRepositories(deps, payload);
    if (result.failedRepositories.length > 0)
      throw new Error(`repository jobs failed: ${result.failedRepositories.slice(0, 5).join(', ')}`);
    const repositories = (performance.now() - t) / 1000;
    log(
      `loaded: IAM ${iam.toFixed(1)} s, repositories ${repositories.toFixed(1)} s wall, ${(process.cpuUsage().user / 1e6).toFixed(1)} s CPU (user) so far`,
    );
    await finishSyncRun(db, run.id, 'succeeded');
    await sql`create table bench_account (body jsonb not null)`.execute(db);
    const synced: SyncedAccount = { connectionId, tenantId: tenant.id, runId: run.id, apiKey };
    await sql`insert into bench_account (body) values (${JSON.stringify(synced)}::jsonb)`.execute(db);
    deps.aws.destroy();
    return { ...synced, seconds: { generate, iam, repositories } };
  } finally {
    redis.disconnect();
    await db.destroy();
  }
}

/**
 * What must be equal between a loaded and a synced database, as sorted lines per part: every evidence
 * table's versions (natural key, content hash — the hash covers every content column — and whether
 * the version is open), the run's steps (name and status) and problems, and, once each is evaluated,
 * the check results (status, counts, findings digest) and every finding (resource, status, reason and
 * the SHA-256 of its evidence). Connection ids differ between the two databases and are replaced.
 */
export async function comparableState(
  db: Kysely<Database>,
  account: { connectionId: string; runId: number },
): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  const anon = (s: string) => s.replaceAll(account.connectionId, '<connection>');
  for (const [table, keys] of Object.entries(EVIDENCE_KEYS) as [string, readonly string[]][]) {
    const rows = await sql<{ line: string }>`
      select concat_ws('|', ${sql.join(keys.map((k) => sql.ref(k)))}, content_hash,
        case when valid_to_run is null then 'open' else 'closed' end) as line
      from ${sql.table(table)} where connection_id = ${account.connectionId}`.execute(db);
    out[table] = rows.rows.map((r) => r.line).sort();
  }
  const run = await sql<{ steps: Record<string, { status: string }> }>`
    select steps from sync_runs where id = ${account.runId}`.execute(db);
  out.steps = Object.entries(run.rows[0]?.steps ?? {})
    .map(([step, s]) => `${step}|${s.status}`)
    .sort();
  const problems = await sql<{ line: string }>`
    select concat_ws('|', step, kind, code, action, resource, message) as line
    from sync_run_problems where sync_run_id = ${account.runId}`.execute(db);
  out.problems = problems.rows.map((r) => anon(r.line)).sort();
  const results = await sql<{ line: string }>`
    select concat_ws('|', r.check_id, r.status, r.counts::text, r.findings_digest) as line
    from check_results r join check_runs c on c.id = r.check_run_id
    where c.connection_id = ${account.connectionId}`.execute(db);
  out.checkResults = results.rows.map((r) => anon(r.line)).sort();
  const findings = await sql<{ line: string }>`
    select concat_ws('|', f.check_id, f.resource_type, f.resource_id, f.resource_name, f.status, f.reason,
      encode(sha256(convert_to(f.evidence::text, 'UTF8')), 'hex')) as line
    from findings f join check_runs c on c.id = f.check_run_id
    where c.connection_id = ${account.connectionId}`.execute(db);
  out.findings = findings.rows.map((r) => anon(r.line)).sort();
  return out;
}
