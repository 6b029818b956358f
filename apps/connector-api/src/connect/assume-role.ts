/**
 * Role assumption for the connect flow: once with the connection's External ID, then once without it.
 * AWS answers the same AccessDenied for "no such role", "trust policy does not name the platform
 * account" and "wrong External ID"; the second attempt is what tells some of them apart:
 *
 * | with External ID | without   | verdict                                                   |
 * | ok               | refused   | connected (the External ID is enforced)                   |
 * | ok               | ok        | external_id_not_enforced (confused deputy, refuse)        |
 * | refused          | ok        | external_id_mismatch (trusts us, but not with our ID)     |
 * | refused          | refused   | role_not_found_or_not_trusted (AWS does not say which)    |
 *
 * Confused-deputy guidance: https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html
 * Credentials from the second attempt are dropped by aws-clients on the spot.
 */

import {
  type AwsClientFactory,
  type AwsError,
  assumeRoleWithoutExternalId,
  isAwsError,
  type TemporaryCredentials,
} from '@codecommit-evidence/aws-clients';
import { ApiError } from '../errors.js';

export interface AssumeInput {
  factory: AwsClientFactory;
  connectionId: string;
  roleArn: string;
  accountId: string;
  externalId: string;
  region: string;
  platformAccountId: string;
}

export async function assumeAndCheckExternalId(input: AssumeInput): Promise<TemporaryCredentials> {
  const target = {
    connectionId: input.connectionId,
    roleArn: input.roleArn,
    externalId: input.externalId,
    region: input.region,
  };
  let credentials: TemporaryCredentials | undefined;
  let failure: AwsError | undefined;
  try {
    credentials = await input.factory.credentialCache.get(target);
  } catch (err) {
    if (!isAwsError(err)) throw err;
    failure = err;
  }
  if (failure && failure.code !== 'role_not_assumable') throw awsTrouble(failure, input);

  const withoutId = await assumeRoleWithoutExternalId({
    sts: input.factory.platformSts(input.region),
    roleArn: input.roleArn,
    connectionId: input.connectionId,
  });

  if (!credentials) {
    if (withoutId.result === 'not_enforced') {
      throw new ApiError(
        422,
        'external_id_mismatch',
        "The role trusts the platform account but refuses this connection's External ID (it can be assumed " +
          'with no External ID at all, so its sts:ExternalId condition names another value or uses an …IfExists ' +
          `operator). In the role's trust relationship set the condition to "StringEquals": {"sts:ExternalId": ` +
          `"${input.externalId}"} (the value in this connection's setup kit), then connect again.`,
        {
          roleArn: input.roleArn,
          expectedCondition: { StringEquals: { 'sts:ExternalId': input.externalId } },
        },
      );
    }
    throw notAssumable(input);
  }
  if (withoutId.result === 'not_enforced') {
    throw new ApiError(
      422,
      'external_id_not_enforced',
      'The platform account can assume this role without an External ID, so any other customer of this ' +
        'platform could point a connection at it (the confused-deputy problem). Add the condition ' +
        `"StringEquals": {"sts:ExternalId": "${input.externalId}"} to the trust policy statement that names ` +
        `account ${input.platformAccountId}, then connect again. The role ARN was not saved.`,
      {
        requiredCondition: { StringEquals: { 'sts:ExternalId': input.externalId } },
        guidance: 'https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html',
      },
    );
  }
  if (withoutId.result === 'inconclusive') {
    // Without a refusal we cannot vouch for the External ID: refuse rather than connect unchecked.
    throw awsTrouble(withoutId.error, input);
  }
  return credentials;
}

function notAssumable(input: AssumeInput): ApiError {
  const checks = [
    `The role ARN is correct and the role exists in account ${input.accountId} (copy the ARN from the role's summary page in the IAM console; the name and path must match exactly).`,
    `The role's trust relationship names the platform account ${input.platformAccountId} as principal (arn:aws:iam::${input.platformAccountId}:root) with action sts:AssumeRole.`,
    "The trust policy's sts:ExternalId condition equals this connection's External ID (see the setup kit: GET /v1/connections/{id}/setup-kit).",
    "'Require MFA' is not selected, and no other condition (source IP, VPC, principal ARN, tags) excludes the platform.",
  ];
  return new ApiError(
    422,
    'role_not_found_or_not_trusted',
    `AWS refused to let the platform assume ${input.roleArn}. AWS gives the same answer when the role does not exist, ` +
      `when its trust policy does not name the platform account, and when the External ID does not match; check, in order: ${checks
        .map((c, i) => `(${i + 1}) ${c}`)
        .join(' ')}`,
    {
      roleArn: input.roleArn,
      accountId: input.accountId,
      platformAccountId: input.platformAccountId,
      checks,
    },
  );
}

/** AWS could not give an answer (throttling, outage, opt-in Region, platform misconfiguration). */
export function awsTrouble(error: AwsError, input: { region: string }): ApiError {
  switch (error.code) {
    case 'invalid_region':
      return new ApiError(
        422,
        'region_not_enabled',
        `AWS refused the call in ${input.region}: it is an opt-in Region that is not enabled. Enable it in the AWS ` +
          'console (Account > AWS Regions) or choose the Region where your repositories are.',
        { region: input.region, awsCode: error.awsCode },
      );
    case 'invalid_credentials':
      return new ApiError(
        503,
        'platform_credentials_invalid',
        "AWS did not accept the platform's own credentials; this is a problem on the platform side, not in your account. Try again later.",
        { awsCode: error.awsCode },
      );
    default:
      return new ApiError(
        503,
        'aws_unavailable',
        'AWS did not answer conclusively (throttled or unavailable); nothing was changed. Try again in a minute.',
        { awsCode: error.awsCode, reason: error.code },
      );
  }
}
