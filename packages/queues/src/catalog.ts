import type { JobsOptions } from 'bullmq';
import { z } from 'zod';

/**
 * Every queue and job of the system, with the payload each job carries.
 *
 * WARNING: queue and job names are stored in Redis with every job. Renaming one strands the jobs
 * already queued under the old name (no worker will ever take them). Add new names; retire old ones
 * only after their queues have drained.
 */
export const QUEUES = {
  repoSync: 'repo-sync',
  iamSync: 'iam-sync',
  checks: 'checks',
} as const;
export type QueueName = (typeof QUEUES)[keyof typeof QUEUES];

const connectionId = z.string().uuid();
const runId = z.number().int().positive();

export const SyncRunPayload = z.object({ connectionId, runId }).strict();
export type SyncRunPayload = z.infer<typeof SyncRunPayload>;

export const SyncRepositoryPayload = z
  .object({
    connectionId,
    runId,
    repositoryId: z.string().min(1).max(256),
    repositoryName: z.string().min(1).max(100),
  })
  .strict();
export type SyncRepositoryPayload = z.infer<typeof SyncRepositoryPayload>;

export const EvaluateChecksPayload = z
  .object({
    connectionId,
    runId,
    trigger: z.enum(['sync', 'on_demand']),
    /** ISO date-time of the roster to judge against; the evaluation time when absent. */
    rosterAsOf: z.string().datetime({ offset: true }).optional(),
  })
  .strict();
export type EvaluateChecksPayload = z.infer<typeof EvaluateChecksPayload>;

export const StartScheduledSyncPayload = z.object({ connectionId }).strict();
export type StartScheduledSyncPayload = z.infer<typeof StartScheduledSyncPayload>;

/** Completed jobs are kept a week, failed ones a month (for the operator), 10,000 of each at most. */
const RETENTION = {
  removeOnComplete: { age: 7 * 24 * 3600, count: 10_000 },
  removeOnFail: { age: 30 * 24 * 3600, count: 10_000 },
} satisfies JobsOptions;

/**
 * Five attempts, 2 s doubling (2, 4, 8, 16 s): a sync job's AWS calls were each retried by the SDK
 * already; what is left is an outage of seconds to a minute. On the last attempt a lasting fault
 * becomes a fault of its evidence scope (sync-support's `ctx.call`).
 */
const RETRIED = {
  attempts: 5,
  backoff: { type: 'exponential', delay: 2_000 },
  ...RETENTION,
} satisfies JobsOptions;

/** A queue's default for a job added without options of its own (each catalog entry says its own). */
export const DEFAULT_JOB_OPTIONS: JobsOptions = RETRIED;

/** Job name -> its queue, payload schema and BullMQ options (attempts, backoff, retention). */
export const JOBS = {
  'sync-repositories': { queue: QUEUES.repoSync, payload: SyncRunPayload, options: RETRIED },
  'sync-repository': { queue: QUEUES.repoSync, payload: SyncRepositoryPayload, options: RETRIED },
  'sync-iam': { queue: QUEUES.iamSync, payload: SyncRunPayload, options: RETRIED },
  'evaluate-checks': { queue: QUEUES.checks, payload: EvaluateChecksPayload, options: RETRIED },
  /** Produced by the per-connection job scheduler: creates a sync run and its flow. */
  'start-scheduled-sync': {
    queue: QUEUES.checks,
    payload: StartScheduledSyncPayload,
    options: { ...RETRIED, attempts: 3 },
  },
} as const satisfies Record<string, { queue: QueueName; payload: z.ZodType; options: JobsOptions }>;

export type JobName = keyof typeof JOBS;
export type JobPayload<N extends JobName> = z.infer<(typeof JOBS)[N]['payload']>;
export type JobsOf<Q extends QueueName> = {
  [N in JobName]: (typeof JOBS)[N]['queue'] extends Q ? N : never;
}[JobName];

export function jobsOfQueue(queue: QueueName): JobName[] {
  return (Object.keys(JOBS) as JobName[]).filter((n) => JOBS[n].queue === queue);
}

/**
 * Job ids derive from connection, run and resource, so a retried or duplicated enqueue is the same
 * job (BullMQ ignores an add whose id exists). BullMQ forbids ':' in custom ids.
 */
export const jobIds = {
  evaluate: (runId: number) => `run-${runId}-evaluate`,
  syncRepositories: (runId: number) => `run-${runId}-repositories`,
  syncIam: (runId: number) => `run-${runId}-iam`,
  syncRepository: (runId: number, repositoryId: string) =>
    `run-${runId}-repo-${repositoryId.replace(/:/g, '_')}`,
  evaluateOnDemand: (runId: number, at: Date) => `run-${runId}-evaluate-${at.getTime()}`,
  scheduler: (connectionId: string) => `schedule-${connectionId}`,
};
