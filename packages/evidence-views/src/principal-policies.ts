import type {
  NamedPolicy,
  PolicyDocument,
  PolicySource,
  PrincipalPolicies,
} from '@codecommit-evidence/domain';
import type { EvidenceRow, InlinePolicy } from '@codecommit-evidence/evidence-store';

export type UserPolicyRow = Pick<
  EvidenceRow<'iam_users'>,
  | 'arn'
  | 'user_name'
  | 'user_id'
  | 'tags'
  | 'group_names'
  | 'attached_policy_arns'
  | 'inline_policies'
  | 'permissions_boundary_arn'
>;
export type RolePolicyRow = Pick<
  EvidenceRow<'iam_roles'>,
  'arn' | 'role_name' | 'tags' | 'attached_policy_arns' | 'inline_policies' | 'permissions_boundary_arn'
>;
export type GroupPolicyRow = Pick<
  EvidenceRow<'iam_groups'>,
  'arn' | 'group_name' | 'attached_policy_arns' | 'inline_policies'
>;
export type ManagedPolicyRow = Pick<
  EvidenceRow<'iam_managed_policies'>,
  'arn' | 'default_version_id' | 'document'
>;

/** The groups and managed policies of a run, indexed for building principals. */
export interface PolicyIndex {
  groupsByName: Map<string, GroupPolicyRow>;
  managedByArn: Map<string, ManagedPolicyRow>;
}

export function indexPolicies(
  groups: readonly GroupPolicyRow[],
  managed: readonly ManagedPolicyRow[],
): PolicyIndex {
  return {
    groupsByName: new Map(groups.map((g) => [g.group_name, g])),
    managedByArn: new Map(managed.map((p) => [p.arn, p])),
  };
}

/** A policy (or group) a principal refers to that the run did not hold: its access cannot be decided. */
export interface UnresolvedReference {
  principalArn: string;
  kind: 'managed_policy' | 'boundary' | 'group' | 'inline_policy';
  ref: string;
}

export interface BuiltPrincipal {
  principal: PrincipalPolicies;
  unresolved: UnresolvedReference[];
}

/**
 * Operator name of the stand-in statement for a policy whose document is missing. The evaluator does
 * not know it, so every request the stand-in could match is undecided ("unsupported condition operator
 * PolicyDocumentNotCollected"): access is reported as unknown instead of silently as none.
 */
export const NOT_COLLECTED_OPERATOR = 'PolicyDocumentNotCollected';

function standIn(source: PolicySource): NamedPolicy {
  return {
    source,
    document: {
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'DocumentNotCollected',
          Effect: 'Allow',
          Action: '*',
          Resource: '*',
          Condition: { [NOT_COLLECTED_OPERATOR]: { 'aws:PrincipalArn': '*' } },
        },
      ],
    },
  };
}

/**
 * A policy document as stored: parsed JSON, or (defensively) the URL-encoded JSON string IAM returns.
 * Anything without a `Statement` is not a usable document.
 */
export function asPolicyDocument(value: unknown): PolicyDocument | null {
  let doc = value;
  if (typeof doc === 'string') {
    try {
      doc = JSON.parse(doc.trim().startsWith('{') ? doc : decodeURIComponent(doc));
    } catch {
      return null;
    }
  }
  if (typeof doc !== 'object' || doc === null) return null;
  const statement = (doc as { Statement?: unknown }).Statement;
  if (typeof statement !== 'object' || statement === null) return null;
  return doc as PolicyDocument;
}

function inlinePolicies(
  ownerArn: string,
  policies: readonly InlinePolicy[],
  unresolved: UnresolvedReference[],
  principalArn: string,
  viaGroup?: string,
): NamedPolicy[] {
  return policies.map((p) => {
    const source: PolicySource = {
      kind: 'inline',
      ownerArn,
      policyName: p.name,
      ...(viaGroup ? { viaGroup } : {}),
    };
    const document = asPolicyDocument(p.document);
    if (document) return { source, document };
    unresolved.push({ principalArn, kind: 'inline_policy', ref: `${ownerArn}#${p.name}` });
    return standIn(source);
  });
}

function managedPolicies(
  arns: readonly string[],
  index: PolicyIndex,
  unresolved: UnresolvedReference[],
  principalArn: string,
  viaGroup?: string,
): NamedPolicy[] {
  return arns.map((policyArn) => {
    const row = index.managedByArn.get(policyArn);
    const source: PolicySource = {
      kind: 'managed',
      policyArn,
      ...(row?.default_version_id ? { versionId: row.default_version_id } : {}),
      ...(viaGroup ? { viaGroup } : {}),
    };
    const document = asPolicyDocument(row?.document ?? null);
    if (document) return { source, document };
    unresolved.push({ principalArn, kind: 'managed_policy', ref: policyArn });
    return standIn(source);
  });
}

function boundary(
  arn: string | null,
  index: PolicyIndex,
  unresolved: UnresolvedReference[],
  principalArn: string,
): NamedPolicy | null {
  if (!arn) return null;
  const source: PolicySource = { kind: 'boundary', policyArn: arn };
  const document = asPolicyDocument(index.managedByArn.get(arn)?.document ?? null);
  if (document) return { source, document };
  unresolved.push({ principalArn, kind: 'boundary', ref: arn });
  return standIn(source);
}

/**
 * A user's policies as IAM applies them: its own inline and attached managed policies, each group's
 * inline and attached managed policies (named "via group"), and its permissions boundary.
 */
export function userPrincipalPolicies(user: UserPolicyRow, index: PolicyIndex): BuiltPrincipal {
  const unresolved: UnresolvedReference[] = [];
  const policies: NamedPolicy[] = [
    ...inlinePolicies(user.arn, user.inline_policies ?? [], unresolved, user.arn),
    ...managedPolicies(user.attached_policy_arns ?? [], index, unresolved, user.arn),
  ];
  for (const groupName of user.group_names ?? []) {
    const group = index.groupsByName.get(groupName);
    if (!group) {
      // A group the run did not hold may carry any policy: undecidable, like a missing document.
      unresolved.push({ principalArn: user.arn, kind: 'group', ref: groupName });
      policies.push(
        standIn({
          kind: 'inline',
          ownerArn: user.arn,
          policyName: `(group ${groupName})`,
          viaGroup: groupName,
        }),
      );
      continue;
    }
    policies.push(
      ...inlinePolicies(group.arn, group.inline_policies ?? [], unresolved, user.arn, groupName),
      ...managedPolicies(group.attached_policy_arns ?? [], index, unresolved, user.arn, groupName),
    );
  }
  const principal: PrincipalPolicies = {
    arn: user.arn,
    type: 'user',
    name: user.user_name,
    policies,
    permissionsBoundary: boundary(user.permissions_boundary_arn, index, unresolved, user.arn),
    tags: user.tags ?? {},
  };
  if (user.user_id) principal.userId = user.user_id;
  return { principal, unresolved };
}

/** A role's policies: inline, attached managed, and its permissions boundary. */
export function rolePrincipalPolicies(role: RolePolicyRow, index: PolicyIndex): BuiltPrincipal {
  const unresolved: UnresolvedReference[] = [];
  const policies: NamedPolicy[] = [
    ...inlinePolicies(role.arn, role.inline_policies ?? [], unresolved, role.arn),
    ...managedPolicies(role.attached_policy_arns ?? [], index, unresolved, role.arn),
  ];
  return {
    principal: {
      arn: role.arn,
      type: 'role',
      name: role.role_name,
      policies,
      permissionsBoundary: boundary(role.permissions_boundary_arn, index, unresolved, role.arn),
      // aws:userid of a role's session is `AROA…:<session>`: unknown here, so not set.
      tags: role.tags ?? {},
    },
    unresolved,
  };
}
