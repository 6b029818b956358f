/**
 * AWS Regions the connect flow accepts, and which of them host CodeCommit.
 *
 * A literal list rather than the SDK's endpoint ruleset: the ruleset accepts any well-formed region
 * name (it builds `codecommit.<region>.amazonaws.com` for `xx-nowhere-9` too), so it cannot tell a typo
 * from a real Region. Sources (checked 2025):
 * - https://docs.aws.amazon.com/global-infrastructure/latest/regions/aws-regions.html
 * - https://docs.aws.amazon.com/codecommit/latest/userguide/regions.html ("Supported AWS Regions for
 *   CodeCommit") and https://docs.aws.amazon.com/general/latest/gr/codecommit.html (endpoints).
 */

export type AwsPartition = 'aws' | 'aws-us-gov' | 'aws-cn';

export interface AwsRegionInfo {
  name: string;
  partition: AwsPartition;
  /** Disabled by default in new accounts; an account must opt in before it can call anything there. */
  optIn: boolean;
  codecommit: boolean;
}

const r = (name: string, partition: AwsPartition, optIn: boolean, codecommit: boolean): AwsRegionInfo => ({
  name,
  partition,
  optIn,
  codecommit,
});

/** Commercial, GovCloud (US) and China Regions, as of 2025. */
export const AWS_REGIONS: readonly AwsRegionInfo[] = Object.freeze([
  r('us-east-1', 'aws', false, true),
  r('us-east-2', 'aws', false, true),
  r('us-west-1', 'aws', false, true),
  r('us-west-2', 'aws', false, true),
  r('af-south-1', 'aws', true, true),
  r('ap-east-1', 'aws', true, true),
  r('ap-east-2', 'aws', true, false),
  r('ap-south-1', 'aws', false, true),
  r('ap-south-2', 'aws', true, true),
  r('ap-southeast-1', 'aws', false, true),
  r('ap-southeast-2', 'aws', false, true),
  r('ap-southeast-3', 'aws', true, true),
  r('ap-southeast-4', 'aws', true, false),
  r('ap-southeast-5', 'aws', true, false),
  r('ap-southeast-6', 'aws', true, false),
  r('ap-southeast-7', 'aws', true, false),
  r('ap-northeast-1', 'aws', false, true),
  r('ap-northeast-2', 'aws', false, true),
  r('ap-northeast-3', 'aws', false, true),
  r('ca-central-1', 'aws', false, true),
  r('ca-west-1', 'aws', true, false),
  r('eu-central-1', 'aws', false, true),
  r('eu-central-2', 'aws', true, false),
  r('eu-west-1', 'aws', false, true),
  r('eu-west-2', 'aws', false, true),
  r('eu-west-3', 'aws', false, true),
  r('eu-north-1', 'aws', false, true),
  r('eu-south-1', 'aws', true, true),
  r('eu-south-2', 'aws', true, false),
  r('il-central-1', 'aws', true, true),
  r('me-central-1', 'aws', true, true),
  r('me-south-1', 'aws', true, true),
  r('mx-central-1', 'aws', true, false),
  r('sa-east-1', 'aws', false, true),
  r('us-gov-east-1', 'aws-us-gov', false, true),
  r('us-gov-west-1', 'aws-us-gov', false, true),
  r('cn-north-1', 'aws-cn', false, true),
  r('cn-northwest-1', 'aws-cn', false, true),
]);

const BY_NAME: ReadonlyMap<string, AwsRegionInfo> = new Map(AWS_REGIONS.map((info) => [info.name, info]));

/** Region names where CodeCommit is offered (per the CodeCommit User Guide's Regions page). */
export const CODECOMMIT_REGIONS: readonly string[] = Object.freeze(
  AWS_REGIONS.filter((info) => info.codecommit).map((info) => info.name),
);

/** Exact match only: no trimming or case folding, so what is stored is what AWS will be called with. */
export function isKnownAwsRegion(name: string): boolean {
  return BY_NAME.has(name);
}

export function isCodeCommitRegion(name: string): boolean {
  return BY_NAME.get(name)?.codecommit === true;
}

export function isOptInRegion(name: string): boolean {
  return BY_NAME.get(name)?.optIn === true;
}

export function regionInfo(name: string): AwsRegionInfo | undefined {
  return BY_NAME.get(name);
}

/** The partition a known Region belongs to; a role ARN's partition must match it. */
export function partitionOfRegion(name: string): AwsPartition | undefined {
  return BY_NAME.get(name)?.partition;
}
