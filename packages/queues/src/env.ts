import { z } from 'zod';

/** The config fragment every process that talks to Redis/BullMQ includes. */
export const RedisEnv = z.object({
  REDIS_URL: z
    .string()
    .url()
    .refine((v) => /^rediss?:\/\//.test(v), { message: 'must be a redis:// or rediss:// URL' })
    .default('redis://127.0.0.1:6379'),
  /** BullMQ key prefix; the braces keep every key of a queue in one Redis Cluster hash slot. */
  QUEUE_PREFIX: z
    .string()
    .min(1)
    .max(64)
    .regex(/^[A-Za-z0-9{}_.-]+$/, 'letters, digits, {}, _, . and - only')
    .default('{cce}'),
});
export type RedisEnv = z.infer<typeof RedisEnv>;
