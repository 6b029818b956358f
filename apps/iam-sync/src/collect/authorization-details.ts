/**
 * The preferred path: `iam:GetAccountAuthorizationDetails` returns every user, group, role and
 * managed policy, with their documents, in a few pages (1,000 entities a page) instead of a handful
 * of calls per user.
 */

import type { IAMClient } from '@aws-sdk/client-iam';
import {
  type DecodedAuthorizationDetails,
  decodeAuthorizationDetails,
  getAccountAuthorizationDetails,
} from '@codecommit-evidence/aws-clients';
import {
  dateOrNull,
  groupsWithMembers,
  type IamGroupRow,
  type IamIdentities,
  type IamManagedPolicyRow,
  type IamRoleRow,
  type IamUserIdentity,
  isAwsManagedPolicyArn,
  policiesInUse,
  sortedUnique,
  sortIdentities,
  sortInlinePolicies,
  tagsToObject,
} from '../iam-evidence.js';

export interface AuthorizationDetailsResult {
  identities: IamIdentities;
  /** Policies in use that the listing did not include: the caller fetches them one by one. */
  missingPolicyArns: string[];
}

export async function collectAuthorizationDetails(
  iam: IAMClient,
  options: { pageSize?: number } = {},
): Promise<AuthorizationDetailsResult> {
  const all: DecodedAuthorizationDetails = { users: [], groups: [], roles: [], policies: [] };
  for await (const page of getAccountAuthorizationDetails(iam, options)) {
    const d = decodeAuthorizationDetails(page);
    all.users.push(...d.users);
    all.groups.push(...d.groups);
    all.roles.push(...d.roles);
    all.policies.push(...d.policies);
  }
  return mapAuthorizationDetails(all);
}

/** Pure: the decoded listing as evidence rows. */
export function mapAuthorizationDetails(d: DecodedAuthorizationDetails): AuthorizationDetailsResult {
  const users: IamUserIdentity[] = d.users.map((u) => ({
    arn: required(u.Arn, 'user Arn'),
    user_name: required(u.UserName, 'UserName'),
    user_id: u.UserId ?? null,
    path: u.Path ?? null,
    create_date: dateOrNull(u.CreateDate),
    permissions_boundary_arn: u.PermissionsBoundary?.PermissionsBoundaryArn ?? null,
    tags: tagsToObject(u.Tags),
    group_names: sortedUnique(u.GroupList ?? []),
    attached_policy_arns: sortedUnique((u.AttachedManagedPolicies ?? []).flatMap((p) => p.PolicyArn ?? [])),
    inline_policies: sortInlinePolicies(
      u.UserPolicyList.map((p) => ({
        name: required(p.PolicyName, 'PolicyName'),
        document: p.PolicyDocument ?? null,
      })),
    ),
  }));
  const allGroups: IamGroupRow[] = d.groups.map((g) => ({
    arn: required(g.Arn, 'group Arn'),
    group_name: required(g.GroupName, 'GroupName'),
    group_id: g.GroupId ?? null,
    path: g.Path ?? null,
    attached_policy_arns: sortedUnique((g.AttachedManagedPolicies ?? []).flatMap((p) => p.PolicyArn ?? [])),
    inline_policies: sortInlinePolicies(
      g.GroupPolicyList.map((p) => ({
        name: required(p.PolicyName, 'PolicyName'),
        document: p.PolicyDocument ?? null,
      })),
    ),
  }));
  const roles: IamRoleRow[] = d.roles.map((r) => ({
    arn: required(r.Arn, 'role Arn'),
    role_name: required(r.RoleName, 'RoleName'),
    role_id: r.RoleId ?? null,
    path: r.Path ?? null,
    create_date: dateOrNull(r.CreateDate),
    assume_role_policy: r.AssumeRolePolicyDocument ?? null,
    permissions_boundary_arn: r.PermissionsBoundary?.PermissionsBoundaryArn ?? null,
    tags: tagsToObject(r.Tags),
    attached_policy_arns: sortedUnique((r.AttachedManagedPolicies ?? []).flatMap((p) => p.PolicyArn ?? [])),
    inline_policies: sortInlinePolicies(
      r.RolePolicyList.map((p) => ({
        name: required(p.PolicyName, 'PolicyName'),
        document: p.PolicyDocument ?? null,
      })),
    ),
  }));
  const groups = groupsWithMembers(allGroups, users);
  const inUse = policiesInUse({ users, groups, roles });
  const policies: IamManagedPolicyRow[] = [];
  for (const p of d.policies) {
    const arn = required(p.Arn, 'policy Arn');
    if (!inUse.has(arn)) continue;
    const defaultVersion =
      p.PolicyVersionList.find((v) => v.IsDefaultVersion) ??
      p.PolicyVersionList.find((v) => v.VersionId === p.DefaultVersionId);
    policies.push({
      arn,
      policy_name: required(p.PolicyName, 'PolicyName'),
      policy_id: p.PolicyId ?? null,
      path: p.Path ?? null,
      default_version_id: p.DefaultVersionId ?? defaultVersion?.VersionId ?? null,
      document: defaultVersion?.Document ?? null,
      is_aws_managed: isAwsManagedPolicyArn(arn),
    });
  }
  const listed = new Set(policies.map((p) => p.arn));
  return {
    identities: sortIdentities({ users, groups, roles, policies }),
    missingPolicyArns: [...inUse].filter((a) => !listed.has(a)).sort(),
  };
}

function required(value: string | undefined, what: string): string {
  if (value === undefined || value === '') {
    throw new Error(`iam:GetAccountAuthorizationDetails returned an entity without ${what}`);
  }
  return value;
}
