import { z } from 'zod';

const postgresUrl = z
  .string()
  .url()
  .refine((v) => /^postgres(ql)?:\/\//.test(v), { message: 'must be a postgres:// or postgresql:// URL' });

/** The config fragment every process that talks to the evidence store includes. */
export const DatabaseEnv = z.object({
  DATABASE_URL: postgresUrl.default('postgres://postgres@127.0.0.1:5432/codecommit_evidence'),
});
export type DatabaseEnv = z.infer<typeof DatabaseEnv>;
