import { z } from 'zod';
import { accountId, arn, text, timestamp } from './schema.js';

/** STS: what role assumption and the identity probe read. */
export const assumeRoleOutput = z.looseObject({
  Credentials: z.looseObject({
    AccessKeyId: text(128, 16),
    SecretAccessKey: text(1024, 1),
    SessionToken: text(65_536, 1),
    Expiration: timestamp,
  }),
  AssumedRoleUser: z.looseObject({ AssumedRoleId: text(193, 2).optional(), Arn: arn.optional() }).optional(),
});

export const getCallerIdentityOutput = z.looseObject({
  UserId: text(256).optional(),
  Account: accountId.optional(),
  Arn: arn.optional(),
});
