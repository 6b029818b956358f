/**
 * The evidence rows the IAM sync writes, and the normalisation both collection paths share, so that
 * `GetAccountAuthorizationDetails` and the per-entity calls yield byte-identical rows: a connection
 * whose permissions change between runs (and so switches paths) must not churn evidence versions.
 */

import type { EvidenceInput, InlinePolicy } from '@codecommit-evidence/evidence-store';

export type IamUserRow = EvidenceInput<'iam_users'>;
export type IamGroupRow = EvidenceInput<'iam_groups'>;
export type IamRoleRow = EvidenceInput<'iam_roles'>;
export type IamManagedPolicyRow = EvidenceInput<'iam_managed_policies'>;
export type CredentialReportEvidenceRow = EvidenceInput<'iam_credential_report_rows'>;

export type SshPublicKeyFacts = NonNullable<IamUserRow['ssh_public_keys']>[number];
export type GitCredentialFacts = NonNullable<IamUserRow['service_specific_credentials']>[number];

/** Users as the identities step sees them, before SSH keys and Git credentials are added. */
export type IamUserIdentity = Omit<IamUserRow, 'ssh_public_keys' | 'service_specific_credentials'>;

/** Everything the identities step collects, whichever path it took. */
export interface IamIdentities {
  users: IamUserIdentity[];
  groups: IamGroupRow[];
  roles: IamRoleRow[];
  policies: IamManagedPolicyRow[];
}

/** AWS managed policies live in the pseudo-account `aws`. */
export function isAwsManagedPolicyArn(arn: string): boolean {
  return arn.startsWith('arn:aws:iam::aws:policy/') || /^arn:aws[\w-]*:iam::aws:policy\//.test(arn);
}

/** IAM tags as an object; IAM forbids two tags with the same key on one entity. */
export function tagsToObject(
  tags: readonly { Key?: string; Value?: string }[] | undefined,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const t of tags ?? []) if (t.Key !== undefined) out[t.Key] = t.Value ?? '';
  return sortKeys(out);
}

function sortKeys(o: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** Sorted and without duplicates: AWS's list order is not part of the evidence. */
export function sortedUnique(values: Iterable<string>): string[] {
  return [...new Set(values)].sort();
}

export function sortInlinePolicies(policies: InlinePolicy[]): InlinePolicy[] {
  return [...policies].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/**
 * The managed policies worth storing: those attached to a stored principal or used as its
 * permissions boundary. A policy nobody uses grants nothing, and AWS's own catalog has ~1,300.
 */
export function policiesInUse(identities: Omit<IamIdentities, 'policies'>): Set<string> {
  const arns = new Set<string>();
  for (const u of identities.users) {
    for (const a of u.attached_policy_arns) arns.add(a);
    if (u.permissions_boundary_arn) arns.add(u.permissions_boundary_arn);
  }
  for (const g of identities.groups) for (const a of g.attached_policy_arns) arns.add(a);
  for (const r of identities.roles) {
    for (const a of r.attached_policy_arns) arns.add(a);
    if (r.permissions_boundary_arn) arns.add(r.permissions_boundary_arn);
  }
  return arns;
}

/**
 * Groups with at least one member. The per-user calls can only discover a group through its members
 * (the reference's permission set has no `iam:ListGroups`), and a group without members grants
 * nothing to anyone; keeping the same rule on both paths keeps their evidence identical.
 */
export function groupsWithMembers<G extends { group_name: string }>(
  groups: G[],
  users: IamUserIdentity[],
): G[] {
  const members = new Set(users.flatMap((u) => u.group_names));
  return groups.filter((g) => members.has(g.group_name));
}

export function byKey<T>(rows: T[], key: (row: T) => string): T[] {
  return [...rows].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

export function sortIdentities(identities: IamIdentities): IamIdentities {
  return {
    users: byKey(identities.users, (u) => u.arn),
    groups: byKey(identities.groups, (g) => g.arn),
    roles: byKey(identities.roles, (r) => r.arn),
    policies: byKey(identities.policies, (p) => p.arn),
  };
}

/** A Date, or null; the content hash needs Date objects, never strings. */
export function dateOrNull(value: Date | string | undefined | null): Date | null {
  if (value === undefined || value === null) return null;
  const d = value instanceof Date ? value : new Date(value);
  return Number.isNaN(d.getTime()) ? null : d;
}
