/**
 * The connect call's input checks, in the order a customer can act on them: the ARN's form (the
 * reference's "Role ARN validation fails": copied from the role's page, no spaces or invalid
 * characters), then the Region (a real Region name, one where CodeCommit is offered, in the ARN's
 * partition). Nothing here calls AWS.
 */

import {
  CODECOMMIT_REGIONS,
  isCodeCommitRegion,
  isKnownAwsRegion,
  type ParsedRoleArn,
  parseRoleArn,
  partitionOfRegion,
} from '@codecommit-evidence/aws-clients';
import { ApiError } from '../errors.js';

export interface ConnectTarget {
  role: ParsedRoleArn;
  region: string;
}

export function validateConnectTarget(roleArnInput: string, regionInput: string): ConnectTarget {
  const role = parseRoleArn(roleArnInput);
  if (!role.ok) {
    throw new ApiError(400, 'invalid_role_arn', role.message, {
      ...role.details,
      hint: "Copy the ARN from the role's summary page in the IAM console (Roles > your role > ARN).",
    });
  }
  // Surrounding spaces are a copy-paste artefact the issue asks us to forgive; inside ones are not.
  const region = regionInput.trim();
  if (!isKnownAwsRegion(region)) {
    throw new ApiError(400, 'invalid_region', `'${truncate(region)}' is not an AWS Region name.`, {
      region: truncate(region),
      hint: 'Use the Region code shown in the CodeCommit console, e.g. us-east-1 or eu-west-1.',
      codecommitRegions: CODECOMMIT_REGIONS,
    });
  }
  if (!isCodeCommitRegion(region)) {
    throw new ApiError(
      400,
      'codecommit_not_in_region',
      `CodeCommit is not offered in ${region}; choose the Region where your repositories are hosted.`,
      { region, codecommitRegions: CODECOMMIT_REGIONS },
    );
  }
  const partition = partitionOfRegion(region);
  if (partition !== role.partition) {
    throw new ApiError(
      400,
      'region_partition_mismatch',
      `The role is in partition '${role.partition}' but ${region} is in '${partition}'; a role can only be used in Regions of its own partition.`,
      { region, rolePartition: role.partition, regionPartition: partition },
    );
  }
  return { role, region };
}

function truncate(s: string): string {
  return s.length > 64 ? `${s.slice(0, 64)}…` : s;
}
