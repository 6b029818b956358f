import { type Kysely, type Selectable, sql } from 'kysely';
import { json } from './db.js';
import type {
  Database,
  SyncProblemKind,
  SyncRunProblemsTable,
  SyncRunStatus,
  SyncRunsTable,
  SyncStepState,
  SyncTrigger,
} from './schema.js';

export type SyncRun = Selectable<SyncRunsTable>;
export type SyncRunProblem = Selectable<SyncRunProblemsTable>;

/** An unfinished run older than this is taken as abandoned (see `createOrGetActiveSyncRun`). */
export const STALE_SYNC_RUN_MS = 24 * 3600 * 1000;

/**
 * Starts a run for a connection, or returns the one already queued or running (a unique index allows
 * only one). `created` says which.
 *
 * A run still unfinished after `staleAfterMs` (default a day: a healthy run of the largest account
 * takes hours at AWS's rates) is marked failed as `abandoned` and a new one starts: otherwise one lost
 * flow (its jobs removed from Redis, say) would block every later sync of the connection for good.
 */
export async function createOrGetActiveSyncRun(
  db: Kysely<Database>,
  connectionId: string,
  trigger: SyncTrigger,
  options: { staleAfterMs?: number; now?: Date } = {},
): Promise<{ run: SyncRun; created: boolean }> {
  const now = options.now ?? new Date();
  const staleBefore = new Date(now.getTime() - (options.staleAfterMs ?? STALE_SYNC_RUN_MS));
  await db
    .updateTable('sync_runs')
    .set({
      status: 'failed',
      finished_at: now,
      error: json({
        code: 'abandoned',
        message: `unfinished since ${staleBefore.toISOString()} or earlier; a new run replaced it`,
      }),
    })
    .where('connection_id', '=', connectionId)
    .where('status', 'in', ['queued', 'running'])
    .where('created_at', '<', staleBefore)
    .execute();
  for (let attempt = 0; attempt < 3; attempt++) {
    // The run keeps the connection's account, Region and audit window as they are now.
    const inserted = await db
      .insertInto('sync_runs')
      .columns([
        'connection_id',
        'trigger',
        'created_at',
        'aws_account_id',
        'region',
        'audit_window_days',
      ] as never)
      .expression(
        db
          .selectFrom('connections')
          .select([
            'id',
            sql<SyncTrigger>`${trigger}::text`.as('trigger'),
            sql<Date>`${now}::timestamptz`.as('created_at'),
            'aws_account_id',
            'region',
            'audit_window_days',
          ])
          .where('id', '=', connectionId) as never,
      )
      .onConflict((oc) => oc.column('connection_id').where('status', 'in', ['queued', 'running']).doNothing())
      .returningAll()
      .executeTakeFirst();
    if (inserted) return { run: inserted, created: true };
    const active = await db
      .selectFrom('sync_runs')
      .selectAll()
      .where('connection_id', '=', connectionId)
      .where('status', 'in', ['queued', 'running'])
      .executeTakeFirst();
    // The active run may have finished between the two statements: try again.
    if (active) return { run: active, created: false };
  }
  throw new Error(`could not create or find an active sync run for connection ${connectionId}`);
}

export async function getSyncRun(db: Kysely<Database>, runId: number): Promise<SyncRun | undefined> {
  return db.selectFrom('sync_runs').selectAll().where('id', '=', runId).executeTakeFirst();
}

/** The connection's most recent run that finished (succeeded or partial), whose evidence is complete enough to read. */
export async function getLatestFinishedRun(
  db: Kysely<Database>,
  connectionId: string,
): Promise<SyncRun | undefined> {
  return db
    .selectFrom('sync_runs')
    .selectAll()
    .where('connection_id', '=', connectionId)
    .where('status', 'in', ['succeeded', 'partial'])
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst();
}

/** A connection's runs, newest first; `beforeId` starts a page after (older than) that run. */
export async function listSyncRuns(
  db: Kysely<Database>,
  connectionId: string,
  limit = 50,
  beforeId?: number,
): Promise<SyncRun[]> {
  let q = db.selectFrom('sync_runs').selectAll().where('connection_id', '=', connectionId);
  if (beforeId !== undefined) q = q.where('id', '<', beforeId);
  return q.orderBy('id', 'desc').limit(limit).execute();
}

/** The newest run of each connection (one query for a page of connections). */
export async function latestSyncRuns(
  db: Kysely<Database>,
  connectionIds: readonly string[],
): Promise<Map<string, SyncRun>> {
  if (connectionIds.length === 0) return new Map();
  const rows = await db
    .selectFrom('sync_runs')
    .selectAll()
    .distinctOn('connection_id')
    .where('connection_id', 'in', connectionIds)
    .orderBy('connection_id')
    .orderBy('id', 'desc')
    .execute();
  return new Map(rows.map((r) => [r.connection_id, r]));
}

/** Marks a queued run running (first worker to touch it); a no-op for a run already running or finished. */
export async function markSyncRunStarted(
  db: Kysely<Database>,
  runId: number,
  now: Date = new Date(),
): Promise<void> {
  await db
    .updateTable('sync_runs')
    .set({ status: 'running', started_at: now })
    .where('id', '=', runId)
    .where('status', '=', 'queued')
    .execute();
}

export async function finishSyncRun(
  db: Kysely<Database>,
  runId: number,
  status: Extract<SyncRunStatus, 'succeeded' | 'partial' | 'failed'>,
  error?: unknown,
  now: Date = new Date(),
): Promise<void> {
  await db
    .updateTable('sync_runs')
    .set({ status, finished_at: now, error: error === undefined ? null : json(error) })
    .where('id', '=', runId)
    .execute();
}

/** Sets one step's state; concurrent jobs of the same run update different keys without losing each other's. */
export async function setSyncStep(
  db: Kysely<Database>,
  runId: number,
  step: string,
  state: SyncStepState,
): Promise<void> {
  await db
    .updateTable('sync_runs')
    .set({ steps: sql`steps || jsonb_build_object(${step}::text, ${json(state)}::jsonb)` })
    .where('id', '=', runId)
    .execute();
}

/** Adds AWS call counts (per `service:Operation`) to a run's totals. */
export async function addAwsCalls(
  db: Kysely<Database>,
  runId: number,
  counts: Record<string, number | { calls: number; throttled?: number }>,
): Promise<void> {
  const rows = Object.entries(counts)
    .map(([operation, v]) => ({
      sync_run_id: runId,
      operation,
      calls: typeof v === 'number' ? v : v.calls,
      throttled: typeof v === 'number' ? 0 : (v.throttled ?? 0),
    }))
    .filter((r) => r.calls > 0 || r.throttled > 0);
  if (rows.length === 0) return;
  await db
    .insertInto('sync_run_aws_calls')
    .values(rows)
    .onConflict((oc) =>
      oc.columns(['sync_run_id', 'operation']).doUpdateSet((eb) => ({
        calls: eb('sync_run_aws_calls.calls', '+', eb.ref('excluded.calls')),
        throttled: eb('sync_run_aws_calls.throttled', '+', eb.ref('excluded.throttled')),
      })),
    )
    .execute();
}

export async function getAwsCalls(
  db: Kysely<Database>,
  runId: number,
): Promise<Record<string, { calls: number; throttled: number }>> {
  const rows = await db
    .selectFrom('sync_run_aws_calls')
    .selectAll()
    .where('sync_run_id', '=', runId)
    .execute();
  return Object.fromEntries(rows.map((r) => [r.operation, { calls: r.calls, throttled: r.throttled }]));
}

/** Records a problem once per (step, kind, code, action, resource): a retried job does not repeat it. */
export async function recordSyncProblem(
  db: Kysely<Database>,
  runId: number,
  problem: {
    step: string;
    kind: SyncProblemKind;
    code: string;
    action?: string;
    resource?: string;
    message: string;
  },
  now: Date = new Date(),
): Promise<void> {
  await db
    .insertInto('sync_run_problems')
    .values({
      sync_run_id: runId,
      created_at: now,
      step: problem.step,
      kind: problem.kind,
      code: problem.code,
      action: problem.action ?? '',
      resource: problem.resource ?? '',
      message: problem.message,
    })
    .onConflict((oc) => oc.constraint('sync_run_problems_once').doUpdateSet({ message: problem.message }))
    .execute();
}

export async function listSyncProblems(db: Kysely<Database>, runId: number): Promise<SyncRunProblem[]> {
  return db
    .selectFrom('sync_run_problems')
    .selectAll()
    .where('sync_run_id', '=', runId)
    .orderBy('id')
    .execute();
}
