/**
 * The one phase mechanism of multi-step sync jobs (BullMQ's "process step jobs" pattern:
 * https://docs.bullmq.io/patterns/process-step-jobs): a job keeps its place in its `progress` and
 * re-schedules itself instead of waiting while it holds a worker.
 *
 * Progress lives in the job's `progress`, not its `data`: payload schemas are strict (a resumed job is
 * validated again, and an extra field would fail it for good); `progress` is free-form, stored in the
 * job's own hash (removed with the job, no key of ours, no expiry), survives `moveToDelayed` and
 * retries, and shows in any BullMQ dashboard. It is read back through a zod schema, never cast.
 */
import { DelayedError, type Job, WaitingChildrenError } from 'bullmq';
import type { z } from 'zod';

/** What a sync job handler may do with its BullMQ job, and nothing else. */
export interface SyncJobHandle {
  /** Attempts already used (0 on the first) and allowed, to tell the last attempt. */
  attemptsMade: number;
  attempts: number;
  /** The raw saved progress (read it through `ctx.progress(schema)`). */
  readProgress(): unknown;
  saveProgress(value: object): Promise<void>;
  /** Re-runs the job after `ms` without using an attempt; never returns (throws BullMQ's DelayedError). */
  defer(ms: number): Promise<never>;
  /** For a job that fans out children (BullMQ flows); absent without a queue. */
  children?: JobChildren;
}

export interface JobChildren {
  /** What a child's `opts.parent` names. */
  parent: { id: string; queue: string };
  /**
   * Parks the job until its children are done, then BullMQ runs it again; never returns when it parks
   * (throws BullMQ's WaitingChildrenError). Returns when no child is left to wait for.
   */
  waitForChildren(): Promise<void>;
  /** Children that failed for good (`ignoreDependencyOnFailure`): job key -> failed reason. */
  failures(): Promise<Record<string, string>>;
}

export function bullmqJobHandle(
  job: Job,
  token: string | undefined,
  now: () => number = Date.now,
): SyncJobHandle {
  return {
    children: {
      parent: { id: job.id!, queue: job.queueQualifiedName },
      async waitForChildren() {
        if (token && (await job.moveToWaitingChildren(token))) throw new WaitingChildrenError();
      },
      failures: () => job.getIgnoredChildrenFailures(),
    },
    attemptsMade: job.attemptsMade,
    attempts: job.opts.attempts ?? 1,
    readProgress: () => job.progress,
    saveProgress: (value) => job.updateProgress(value),
    async defer(ms) {
      if (!token) throw new Error('cannot re-schedule a job without its lock token');
      // BullMQ's delayed set is ordered by the Redis host's wall clock, not the job's injected clock.
      await job.moveToDelayed(now() + ms, token);
      // Tells the worker the job was moved on purpose: not completed, not failed, attempt not used.
      throw new DelayedError();
    },
  };
}

/**
 * For running a handler without a queue (tests, scripts): one attempt, progress in memory; `defer`
 * throws a DelayedError at once and the caller runs the handler again when it likes.
 */
export function inMemoryJobHandle(): SyncJobHandle & { delays: number[] } {
  let saved: unknown;
  const delays: number[] = [];
  return {
    attemptsMade: 0,
    attempts: 1,
    delays,
    readProgress: () => saved,
    async saveProgress(value) {
      saved = structuredClone(value);
    },
    async defer(ms) {
      delays.push(ms);
      throw new DelayedError();
    },
  };
}

/** A job's progress read through its schema: undefined for a fresh job or progress this code did not write. */
export interface JobProgress<T> {
  value: T | undefined;
  save(value: T): Promise<void>;
}

export function readJobProgress<S extends z.ZodType<object>>(
  handle: SyncJobHandle,
  schema: S,
): JobProgress<z.infer<S>> {
  const parsed = schema.safeParse(handle.readProgress());
  return {
    value: parsed.success ? parsed.data : undefined,
    save: (value) => handle.saveProgress(value),
  };
}
