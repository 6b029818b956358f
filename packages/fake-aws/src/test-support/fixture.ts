import { fileURLToPath } from 'node:url';
import { CodeCommitClient } from '@aws-sdk/client-codecommit';
import {
  AttachRolePolicyCommand,
  CreateRoleCommand,
  IAMClient,
  PutRolePolicyCommand,
} from '@aws-sdk/client-iam';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import type { PolicyDocument } from '../scenario/schema.js';
import { type FakeAws, type FakeAwsOptions, startFakeAws } from '../server.js';

export const DEMO_SCENARIO = fileURLToPath(new URL('../../../../scenarios/demo.json', import.meta.url));
export const ACCOUNT = '111122223333';
export const PLATFORM_ACCOUNT = '444455556666';
export const REGION = 'us-east-1';

export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export function startDemo(options: Partial<FakeAwsOptions> = {}): Promise<FakeAws> {
  return startFakeAws({ scenario: DEMO_SCENARIO, credentialReportDelayMs: 0, ...options });
}

/** The real SDK clients, pointed at the fake. No retries unless asked, so errors surface directly. */
export function clients(fake: FakeAws, credentials: Credentials, maxAttempts = 1) {
  const config = { endpoint: fake.url, region: REGION, credentials, maxAttempts };
  return { sts: new STSClient(config), iam: new IAMClient(config), codecommit: new CodeCommitClient(config) };
}

export const trustPlatform = (externalId?: string): PolicyDocument => ({
  Version: '2012-10-17',
  Statement: [
    {
      Effect: 'Allow',
      Principal: { AWS: `arn:aws:iam::${PLATFORM_ACCOUNT}:root` },
      Action: 'sts:AssumeRole',
      ...(externalId ? { Condition: { StringEquals: { 'sts:ExternalId': externalId } } } : {}),
    },
  ],
});

/** Plays the customer: creates a role for the platform with the admin credentials. */
export async function createRole(
  fake: FakeAws,
  roleName: string,
  options: { externalId?: string; managed?: string[]; inline?: PolicyDocument },
): Promise<string> {
  const { iam } = clients(fake, fake.adminCredentials);
  const created = await iam.send(
    new CreateRoleCommand({
      RoleName: roleName,
      AssumeRolePolicyDocument: JSON.stringify(trustPlatform(options.externalId)),
    }),
  );
  for (const arn of options.managed ?? []) {
    await iam.send(new AttachRolePolicyCommand({ RoleName: roleName, PolicyArn: arn }));
  }
  if (options.inline) {
    await iam.send(
      new PutRolePolicyCommand({
        RoleName: roleName,
        PolicyName: 'inline',
        PolicyDocument: JSON.stringify(options.inline),
      }),
    );
  }
  return created.Role!.Arn!;
}

/** Assumes a role as the platform and returns the session's credentials. */
export async function assume(fake: FakeAws, roleArn: string, externalId?: string): Promise<Credentials> {
  const { sts } = clients(fake, fake.platformCredentials);
  const out = await sts.send(
    new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: 'evidence-test', ExternalId: externalId }),
  );
  const c = out.Credentials!;
  return { accessKeyId: c.AccessKeyId!, secretAccessKey: c.SecretAccessKey!, sessionToken: c.SessionToken! };
}

/** The product's role as the setup kit describes it: CodeCommit and IAM read-only. */
export async function productSession(fake: FakeAws, externalId = 'ext-123'): Promise<Credentials> {
  const arn = await createRole(fake, 'CodeCommitEvidence', {
    externalId,
    managed: ['arn:aws:iam::aws:policy/AWSCodeCommitReadOnly', 'arn:aws:iam::aws:policy/IAMReadOnlyAccess'],
  });
  return assume(fake, arn, externalId);
}

/** Runs `fn` and returns the error it throws (fails the test if it does not throw). */
export async function caught(
  fn: () => Promise<unknown>,
): Promise<Error & { $metadata?: { httpStatusCode?: number } }> {
  try {
    await fn();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected an error');
}
