import {
  type FakeAws,
  GENERATED_DEFAULTS,
  type GenerateOptions,
  generateScenario,
  startFakeAws,
} from '@codecommit-evidence/fake-aws';
import { afterAll, beforeAll } from 'vitest';
import type { AwsConnectionRef } from '../clients.js';

export const ACCOUNT_ID = GENERATED_DEFAULTS.accountId;
export const REGION = GENERATED_DEFAULTS.region;
export const ROLE_NAME = GENERATED_DEFAULTS.productRole.roleName;
export const ROLE_ARN = `arn:aws:iam::${ACCOUNT_ID}:role/${ROLE_NAME}`;
export const EXTERNAL_ID = GENERATED_DEFAULTS.productRole.externalId;

export function connection(overrides: Partial<AwsConnectionRef> = {}): AwsConnectionRef {
  return {
    connectionId: 'conn-0001',
    roleArn: ROLE_ARN,
    externalId: EXTERNAL_ID,
    region: REGION,
    ...overrides,
  };
}

/** A fake AWS for the calling test file, on a free port, closed afterwards. */
export function useFakeAws(
  generate: Partial<GenerateOptions> = {},
  options: Omit<Parameters<typeof startFakeAws>[0], 'scenario'> = {},
): { readonly current: FakeAws } {
  const holder = { current: undefined as unknown as FakeAws };
  beforeAll(async () => {
    holder.current = await startFakeAws({
      scenario: generateScenario({ repos: 2, prsPerRepo: 2, users: 2, seed: 7, ...generate }),
      ...options,
    });
  });
  afterAll(async () => {
    await holder.current?.close();
  });
  return holder;
}
