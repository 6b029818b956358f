import { FlowProducer, type Job, type JobNode, type JobsOptions, Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import {
  DEFAULT_JOB_OPTIONS,
  JOBS,
  type JobName,
  type JobPayload,
  jobIds,
  QUEUES,
  type QueueName,
} from './catalog.js';

export class InvalidJobPayloadError extends Error {
  override name = 'InvalidJobPayloadError';
  constructor(
    readonly jobName: string,
    readonly issues: { path: string; message: string }[],
  ) {
    super(
      `invalid payload for job ${jobName}: ${issues.map((i) => `${i.path || '(root)'}: ${i.message}`).join('; ')}`,
    );
  }
}

/** Validates a payload against its job's schema; throws InvalidJobPayloadError naming each bad field. */
export function parseJobPayload<N extends JobName>(name: N, payload: unknown): JobPayload<N> {
  const spec = JOBS[name];
  if (!spec) throw new InvalidJobPayloadError(String(name), [{ path: '', message: 'unknown job name' }]);
  const result = spec.payload.safeParse(payload);
  if (!result.success) {
    throw new InvalidJobPayloadError(
      name,
      result.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
    );
  }
  return result.data as JobPayload<N>;
}

export type Queues = Record<QueueName, Queue>;

/**
 * One queue of the catalog, as every producer gets it: the catalog's default job options, connection
 * errors surfacing through each call (never as a crash) and a close that waits for its connection.
 */
export function createQueue(name: QueueName, connection: Redis, prefix: string): Queue {
  const queue = new Queue(name, { connection, prefix, defaultJobOptions: DEFAULT_JOB_OPTIONS });
  queue.on('error', () => {});
  return closingWhenReady(queue);
}

export function createQueues(connection: Redis, prefix: string): Queues {
  return {
    'repo-sync': createQueue(QUEUES.repoSync, connection, prefix),
    'iam-sync': createQueue(QUEUES.iamSync, connection, prefix),
    checks: createQueue(QUEUES.checks, connection, prefix),
  };
}

export async function closeQueues(queues: Queues): Promise<void> {
  await Promise.all(Object.values(queues).map((q) => q.close()));
}

/**
 * Makes `close()` of a BullMQ queue or flow producer wait until its connection has finished
 * initialising. Closed earlier (a SIGTERM right after start), BullMQ removes its listeners first and the
 * initialisation's "Connection is closed" rejection is then re-emitted with none left: an uncaught error
 * that crashes the process at shutdown. Applied by the factories that create them, so every close site
 * (present and future) gets it without having to remember.
 */
export function closingWhenReady<T extends { waitUntilReady(): Promise<unknown>; close(): Promise<void> }>(
  q: T,
): T {
  const close = q.close.bind(q);
  q.close = async () => {
    await q.waitUntilReady().catch(() => undefined);
    await close();
  };
  return q;
}

/** Adds a job after validating its payload; the job goes to the queue the catalog assigns it. */
export async function enqueue<N extends JobName>(
  queues: Queues,
  name: N,
  payload: JobPayload<N>,
  options: JobsOptions = {},
): Promise<Job> {
  const data = parseJobPayload(name, payload);
  return queues[JOBS[name].queue].add(name, data, options);
}

export function createFlowProducer(connection: Redis, prefix: string): FlowProducer {
  const producer = new FlowProducer({ connection, prefix });
  // BullMQ re-emits its connection's errors on the producer; with no listener a closed connection
  // (Redis quit at shutdown, a restart) crashes the process. Failures surface through each call.
  producer.on('error', () => {});
  return closingWhenReady(producer);
}

/**
 * A sync run as a BullMQ flow: `evaluate-checks` (queue checks) is the parent of `sync-repositories`
 * and `sync-iam`. A child that fails for good is recorded as an ignored dependency instead of
 * blocking the parent, so the evaluator still runs and records a partial run honestly
 * (`job.getIgnoredChildrenFailures()` tells it which). Job ids derive from the run: adding the same
 * run twice adds nothing.
 */
export async function addSyncRunFlow(
  flow: FlowProducer,
  run: { connectionId: string; runId: number },
  overrides: { childOptions?: JobsOptions } = {},
): Promise<JobNode> {
  const data = parseJobPayload('sync-repositories', run);
  const evaluate = parseJobPayload('evaluate-checks', { ...data, trigger: 'sync' });
  const child = { ...overrides.childOptions, ignoreDependencyOnFailure: true };
  return flow.add({
    name: 'evaluate-checks',
    queueName: QUEUES.checks,
    data: evaluate,
    opts: { ...JOBS['evaluate-checks'].options, jobId: jobIds.evaluate(run.runId) },
    children: [
      {
        name: 'sync-repositories',
        queueName: QUEUES.repoSync,
        data,
        opts: { ...JOBS['sync-repositories'].options, ...child, jobId: jobIds.syncRepositories(run.runId) },
      },
      {
        name: 'sync-iam',
        queueName: QUEUES.iamSync,
        data,
        opts: { ...JOBS['sync-iam'].options, ...child, jobId: jobIds.syncIam(run.runId) },
      },
    ],
  });
}

/**
 * The per-connection periodic sync: one BullMQ job scheduler per connection (upserting replaces its
 * interval), producing `start-scheduled-sync` jobs.
 */
export async function upsertSyncSchedule(
  queues: Queues,
  connectionId: string,
  everyMinutes: number,
): Promise<void> {
  const data = parseJobPayload('start-scheduled-sync', { connectionId });
  const every = everyMinutes * 60_000;
  // The first scheduled sync comes one interval from now: connect enqueues its own first run, and
  // changing the interval must not set off a full sync at once.
  await queues.checks.upsertJobScheduler(
    jobIds.scheduler(connectionId),
    { every, startDate: new Date(Date.now() + every) },
    { name: 'start-scheduled-sync', data, opts: { ...JOBS['start-scheduled-sync'].options } },
  );
}

export async function removeSyncSchedule(queues: Queues, connectionId: string): Promise<boolean> {
  return queues.checks.removeJobScheduler(jobIds.scheduler(connectionId));
}
