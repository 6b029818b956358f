/**
 * The setup kit a customer needs to create the role: trust policy, least-privilege permissions policy,
 * a CloudFormation template that creates the role with both, and the managed-policy alternative the
 * reference recommends, with what it lacks.
 *
 * The permissions policy is the permission catalog's (packages/aws-clients `permissionsPolicy`): read
 * calls only, exactly the ones the product makes, on `*` (see there why).
 */

import { permissionsPolicyStatements } from '@codecommit-evidence/aws-clients';
import type { CheckId } from '@codecommit-evidence/domain';
import { IAM_ACTIONS, PERMISSIONS } from './permissions.js';

export interface PolicyDocument {
  Version: '2012-10-17';
  Statement: Record<string, unknown>[];
}

export interface SetupKit {
  platformAccountId: string;
  externalId: string;
  /** Suggested role name (any name works; the connect call takes the ARN). */
  roleName: string;
  trustPolicy: PolicyDocument;
  permissionsPolicy: PolicyDocument;
  /** CloudFormation template (JSON, which CloudFormation accepts as well as YAML). */
  cloudFormationTemplate: Record<string, unknown>;
  managedPolicyAlternative: {
    policies: string[];
    note: string;
    /** Add this statement instead of IAMReadOnlyAccess if a broad IAM read policy is not wanted. */
    iamStatement: Record<string, unknown>;
    /** Checks that cannot be decided with AWSCodeCommitReadOnly alone. */
    checksNeedingIam: CheckId[];
  };
}

export const SUGGESTED_ROLE_NAME = 'CodeCommitEvidenceRole';
export const INLINE_POLICY_NAME = 'CodeCommitEvidenceReadOnly';
export const MANAGED_CODECOMMIT_POLICY = 'arn:aws:iam::aws:policy/AWSCodeCommitReadOnly';
export const MANAGED_IAM_POLICY = 'arn:aws:iam::aws:policy/IAMReadOnlyAccess';

/**
 * The trust policy: only the platform account may assume the role, and only with this connection's
 * External ID (AWS's confused-deputy guidance:
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html). `aws` partition: for
 * GovCloud or China use the CloudFormation template, which substitutes the partition.
 */
export function trustPolicy(platformAccountId: string, externalId: string): PolicyDocument {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'CodeCommitEvidenceAssumeRole',
        Effect: 'Allow',
        Principal: { AWS: `arn:aws:iam::${platformAccountId}:root` },
        Action: 'sts:AssumeRole',
        Condition: { StringEquals: { 'sts:ExternalId': externalId } },
      },
    ],
  };
}

const STATEMENTS = permissionsPolicyStatements();
const IAM_STATEMENT = STATEMENTS.iam;

export function permissionsPolicy(): PolicyDocument {
  return {
    Version: '2012-10-17',
    Statement: [structuredClone(STATEMENTS.codecommit), structuredClone(STATEMENTS.iam)],
  };
}

export function cloudFormationTemplate(
  platformAccountId: string,
  externalId: string,
): Record<string, unknown> {
  const trust = trustPolicy(platformAccountId, externalId);
  const statement = trust.Statement[0] as Record<string, unknown>;
  return {
    AWSTemplateFormatVersion: '2010-09-09',
    Description: 'Read-only cross-account role for CodeCommit Evidence (CodeCommit and IAM metadata).',
    Parameters: {
      RoleName: {
        Type: 'String',
        Default: SUGGESTED_ROLE_NAME,
        AllowedPattern: '[\\w+=,.@-]{1,64}',
        Description: 'Name of the IAM role to create',
      },
    },
    Resources: {
      CodeCommitEvidenceRole: {
        Type: 'AWS::IAM::Role',
        Properties: {
          RoleName: { Ref: 'RoleName' },
          Description: 'Assumed by CodeCommit Evidence with an External ID; read-only.',
          MaxSessionDuration: 3600,
          AssumeRolePolicyDocument: {
            ...trust,
            Statement: [
              {
                ...statement,
                Principal: { AWS: { 'Fn::Sub': `arn:\${AWS::Partition}:iam::${platformAccountId}:root` } },
              },
            ],
          },
          Policies: [{ PolicyName: INLINE_POLICY_NAME, PolicyDocument: permissionsPolicy() }],
        },
      },
    },
    Outputs: {
      RoleArn: {
        Description: 'Paste this ARN into the connect call',
        Value: { 'Fn::GetAtt': ['CodeCommitEvidenceRole', 'Arn'] },
      },
    },
  };
}

/**
 * AWSCodeCommitReadOnly grants every CodeCommit read call and iam:ListUsers, and SSH/HTTPS Git
 * credential reads only on the caller's own user (`${aws:username}`, which a role session does not
 * have). Everything else the IAM side needs is missing from it.
 */
const NOT_IN_CODECOMMIT_READONLY = IAM_ACTIONS.filter((a) => a !== 'iam:ListUsers');

function checksNeedingIam(): CheckId[] {
  const checks = new Set<CheckId>();
  for (const p of PERMISSIONS) {
    // GetAccountAuthorizationDetails' core role (listing users) is filled by iam:ListUsers, which
    // AWSCodeCommitReadOnly has; what is lost are the per-entity reads.
    if (p.anyOf !== undefined) continue;
    if ((NOT_IN_CODECOMMIT_READONLY as string[]).includes(p.action))
      for (const c of p.disables) checks.add(c);
  }
  return [...checks];
}

export function buildSetupKit(platformAccountId: string, externalId: string): SetupKit {
  const needing = checksNeedingIam();
  return {
    platformAccountId,
    externalId,
    roleName: SUGGESTED_ROLE_NAME,
    trustPolicy: trustPolicy(platformAccountId, externalId),
    permissionsPolicy: permissionsPolicy(),
    cloudFormationTemplate: cloudFormationTemplate(platformAccountId, externalId),
    managedPolicyAlternative: {
      policies: [MANAGED_CODECOMMIT_POLICY, MANAGED_IAM_POLICY],
      note:
        'AWSCodeCommitReadOnly alone covers the CodeCommit calls and iam:ListUsers, but not the IAM reads the ' +
        `access checks need (${NOT_IN_CODECOMMIT_READONLY.join(', ')}). With it alone the connection works, ` +
        `with warnings, and ${needing.join(', ')} report unknown for every user. Attach IAMReadOnlyAccess as ` +
        'well, or add the iamStatement below as an inline policy.',
      iamStatement: structuredClone(IAM_STATEMENT),
      checksNeedingIam: needing,
    },
  };
}
