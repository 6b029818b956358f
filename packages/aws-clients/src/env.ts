/**
 * The AWS part of an app's environment, for the app's zod config schema (`AwsEnv.extend(...)` or
 * `z.object({...AwsEnv.shape, ...})`). Platform credentials are not here: the SDK's default chain
 * reads them (AWS_ACCESS_KEY_ID, container role, IRSA, …).
 */

import { z } from 'zod';

export const AwsEnv = z.object({
  /** Every AWS client talks to this endpoint when set (the fake AWS). */
  AWS_ENDPOINT_URL: z.url().optional(),
  /** The account customers trust in their role's trust policy. */
  PLATFORM_AWS_ACCOUNT_ID: z.string().regex(/^\d{12}$/, 'must be a 12-digit AWS account id'),
  /** Attempts per AWS call, the first included (SDK standard retry mode). */
  AWS_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(20).default(5),
});

export type AwsEnv = z.infer<typeof AwsEnv>;
