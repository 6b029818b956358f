import { DatabaseEnv } from '@codecommit-evidence/evidence-store';
import { RedisEnv } from '@codecommit-evidence/queues';
import { healthEnv, LogEnv, ShutdownEnv } from '@codecommit-evidence/runtime';
import { z } from 'zod';

/** The checks-evaluator's configuration: the shared fragments and its own concurrency. */
export const ChecksEvaluatorEnv = DatabaseEnv.extend(RedisEnv.shape)
  .extend(LogEnv.shape)
  .extend(ShutdownEnv.shape)
  // `/healthz`, `/readyz` and `/metrics` listen here.
  .extend(healthEnv(9103).shape)
  .extend({
    /** Evaluations run concurrently per process; each holds a whole run's evidence in memory. */
    CHECKS_CONCURRENCY: z.coerce.number().int().min(1).max(32).default(2),
  });
export type ChecksEvaluatorEnv = z.infer<typeof ChecksEvaluatorEnv>;
