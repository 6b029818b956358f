/**
 * The fallback path, for roles that may not call `GetAccountAuthorizationDetails`: the per-user calls
 * the reference lists (ListUsers, ListGroupsForUser, ListAttachedUserPolicies, ListUserPolicies), plus
 * what the checks need beyond them: each user's and role's permissions boundary and tags (GetUser,
 * GetRole: IAM's ListUsers and ListRoles return neither), the groups' and roles' policies, and each
 * distinct managed policy's default version, fetched once per run however many principals use it.
 * The rows are the same as the preferred path's for the same account (sync-iam's tests compare them).
 */

import type { IAMClient } from '@aws-sdk/client-iam';
import {
  collect,
  decodePolicyDocument,
  getGroupPolicy,
  getPolicy,
  getPolicyVersion,
  getRole,
  getRolePolicy,
  getUser,
  getUserPolicy,
  listAttachedGroupPolicies,
  listAttachedRolePolicies,
  listAttachedUserPolicies,
  listGroupPolicies,
  listGroupsForUser,
  listRolePolicies,
  listRoles,
  listUserPolicies,
  listUsers,
} from '@codecommit-evidence/aws-clients';
import { mapConcurrent } from '../concurrency.js';
import {
  byKey,
  dateOrNull,
  type IamGroupRow,
  type IamManagedPolicyRow,
  type IamRoleRow,
  type IamUserIdentity,
  isAwsManagedPolicyArn,
  sortedUnique,
  sortInlinePolicies,
  tagsToObject,
} from '../iam-evidence.js';

export interface PerEntityOptions {
  /** Calls in flight at once (the account rate limiter still gates each one). */
  concurrency: number;
  pageSize?: number;
}

/** Users with their tags, groups and policies; and the groups they belong to, with theirs. */
export async function collectUsersAndGroups(
  iam: IAMClient,
  options: PerEntityOptions,
): Promise<{ users: IamUserIdentity[]; groups: IamGroupRow[] }> {
  const page = options.pageSize ? { pageSize: options.pageSize } : {};
  const listed = await collect(listUsers(iam, page));
  const groupsByName = new Map<string, { arn: string; id: string | null; path: string | null }>();
  const users = await mapConcurrent(listed, options.concurrency, async (u) => {
    const name = u.UserName ?? '';
    // GetUser, not ListUserTags: the same one call per user, and it has the boundary as well.
    const [full, groups, attached, inlineNames] = [
      await getUser(iam, name),
      await collect(listGroupsForUser(iam, name, page)),
      await collect(listAttachedUserPolicies(iam, name, page)),
      await collect(listUserPolicies(iam, name, page)),
    ];
    const inline = [];
    for (const policyName of inlineNames) {
      const p = await getUserPolicy(iam, name, policyName);
      inline.push({ name: p.policyName, document: p.document });
    }
    for (const g of groups) {
      if (g.GroupName && g.Arn)
        groupsByName.set(g.GroupName, { arn: g.Arn, id: g.GroupId ?? null, path: g.Path ?? null });
    }
    const row: IamUserIdentity = {
      arn: u.Arn ?? '',
      user_name: name,
      user_id: u.UserId ?? null,
      path: u.Path ?? null,
      create_date: dateOrNull(u.CreateDate),
      permissions_boundary_arn: full.PermissionsBoundary?.PermissionsBoundaryArn ?? null,
      tags: tagsToObject(full.Tags),
      group_names: sortedUnique(groups.flatMap((g) => g.GroupName ?? [])),
      attached_policy_arns: sortedUnique(attached.flatMap((p) => p.PolicyArn ?? [])),
      inline_policies: sortInlinePolicies(inline),
    };
    return row;
  });
  const groups = await mapConcurrent([...groupsByName], options.concurrency, async ([groupName, g]) => {
    const attached = await collect(listAttachedGroupPolicies(iam, groupName, page));
    const inline = [];
    for (const policyName of await collect(listGroupPolicies(iam, groupName, page))) {
      const p = await getGroupPolicy(iam, groupName, policyName);
      inline.push({ name: p.policyName, document: p.document });
    }
    const row: IamGroupRow = {
      arn: g.arn,
      group_name: groupName,
      group_id: g.id,
      path: g.path,
      attached_policy_arns: sortedUnique(attached.flatMap((p) => p.PolicyArn ?? [])),
      inline_policies: sortInlinePolicies(inline),
    };
    return row;
  });
  return { users: byKey(users, (u) => u.arn), groups: byKey(groups, (g) => g.arn) };
}

export async function collectRoles(iam: IAMClient, options: PerEntityOptions): Promise<IamRoleRow[]> {
  const page = options.pageSize ? { pageSize: options.pageSize } : {};
  const listed = await collect(listRoles(iam, page));
  const roles = await mapConcurrent(listed, options.concurrency, async (r) => {
    const name = r.RoleName ?? '';
    // ListRoles leaves out the boundary and the tags.
    const full = await getRole(iam, name);
    const attached = await collect(listAttachedRolePolicies(iam, name, page));
    const inline = [];
    for (const policyName of await collect(listRolePolicies(iam, name, page))) {
      const p = await getRolePolicy(iam, name, policyName);
      inline.push({ name: p.policyName, document: p.document });
    }
    const row: IamRoleRow = {
      arn: r.Arn ?? '',
      role_name: name,
      role_id: r.RoleId ?? null,
      path: r.Path ?? null,
      create_date: dateOrNull(r.CreateDate),
      assume_role_policy: r.AssumeRolePolicyDocument
        ? decodePolicyDocument(r.AssumeRolePolicyDocument)
        : null,
      permissions_boundary_arn: full.PermissionsBoundary?.PermissionsBoundaryArn ?? null,
      tags: tagsToObject(full.Tags),
      attached_policy_arns: sortedUnique(attached.flatMap((p) => p.PolicyArn ?? [])),
      inline_policies: sortInlinePolicies(inline),
    };
    return row;
  });
  return byKey(roles, (r) => r.arn);
}

/** GetPolicy + GetPolicyVersion (the default one) for each ARN, once each. */
export async function collectManagedPolicies(
  iam: IAMClient,
  arns: Iterable<string>,
  options: PerEntityOptions,
): Promise<IamManagedPolicyRow[]> {
  const unique = sortedUnique(arns);
  const rows = await mapConcurrent(unique, options.concurrency, async (arn) => {
    const policy = await getPolicy(iam, arn);
    const version = policy.DefaultVersionId
      ? await getPolicyVersion(iam, arn, policy.DefaultVersionId)
      : undefined;
    const row: IamManagedPolicyRow = {
      arn,
      policy_name: policy.PolicyName ?? arn.slice(arn.lastIndexOf('/') + 1),
      policy_id: policy.PolicyId ?? null,
      path: policy.Path ?? null,
      default_version_id: policy.DefaultVersionId ?? null,
      document: version?.document ?? null,
      is_aws_managed: isAwsManagedPolicyArn(arn),
    };
    return row;
  });
  return byKey(rows, (p) => p.arn);
}
