/**
 * How a multi-step job keeps its place between executions, and re-schedules itself instead of
 * waiting while holding a worker (BullMQ's "process step jobs" pattern:
 * https://docs.bullmq.io/patterns/process-step-jobs).
 *
 * Progress lives in the job's `progress`, not its `data`: the payload schema of `sync-iam` is strict
 * (a resumed job is validated again, and an extra field would fail it for good), `progress` is
 * free-form, stored in the job's own hash (so it is removed with the job, needs no key of ours and no
 * expiry), survives `moveToDelayed` and retries, and shows up in any BullMQ dashboard.
 */

import { DelayedError, type Job } from 'bullmq';
import { z } from 'zod';

export const IamSyncProgress = z.object({
  /** `identities` written; the job is now polling for the credential report. */
  phase: z.literal('waiting-report'),
  /** When the first poll happened (epoch ms): the bound on waiting counts from here. */
  since: z.number(),
  polls: z.number().int().min(0),
  /** What the identities phase did, reported again in the job's result. */
  identities: z.record(z.string(), z.unknown()),
});
export type IamSyncProgress = z.infer<typeof IamSyncProgress>;

export interface JobControl {
  /** The saved progress, or undefined for a fresh job (or progress not written by this code). */
  progress(): IamSyncProgress | undefined;
  saveProgress(progress: IamSyncProgress): Promise<void>;
  /** Re-runs the job after `ms`; never returns (throws BullMQ's DelayedError). */
  delay(ms: number): Promise<never>;
}

export function bullmqJobControl(job: Job, token: string | undefined): JobControl {
  return {
    progress: () => {
      const parsed = IamSyncProgress.safeParse(job.progress);
      return parsed.success ? parsed.data : undefined;
    },
    saveProgress: (p) => job.updateProgress(p),
    async delay(ms) {
      if (!token) throw new Error('cannot re-schedule a job without its lock token');
      await job.moveToDelayed(Date.now() + ms, token);
      // Tells the worker the job was moved on purpose: not completed, not failed, attempt not used.
      throw new DelayedError();
    },
  };
}

/**
 * For running the handler without a queue (tests, scripts): progress in memory; `delay` throws a
 * DelayedError at once and the caller runs the handler again when it likes.
 */
export function inMemoryJobControl(): JobControl & { delays: number[] } {
  let saved: IamSyncProgress | undefined;
  const delays: number[] = [];
  return {
    delays,
    progress: () => saved,
    async saveProgress(p) {
      saved = structuredClone(p);
    },
    async delay(ms) {
      delays.push(ms);
      throw new DelayedError();
    },
  };
}
