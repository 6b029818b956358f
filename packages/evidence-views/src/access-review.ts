import type {
  AccessLevel,
  CheckEvidence,
  CodeCommitAccessSummary,
  IamUserEvidence,
  LinkMethod,
  PolicySource,
} from '@codecommit-evidence/domain';
import type { Database } from '@codecommit-evidence/evidence-store';
import type { Kysely } from 'kysely';
import { type LoadCheckEvidenceInput, loadCheckEvidence } from './check-evidence.js';
import type { RunCompleteness } from './completeness.js';
import { linkUserToPerson } from './people.js';

/** One principal of an access review: what it may do in CodeCommit and who it belongs to. */
export interface AccessReviewEntry {
  principalType: 'iam_user' | 'iam_role';
  arn: string;
  name: string;
  /**
   * Has CodeCommit access (DESIGN.md): its policies allow some `codecommit:` action on some repository
   * and, for a user, it holds a usable credential. `unknown` when either cannot be decided.
   */
  hasAccess: 'yes' | 'no' | 'unknown';
  /** What the policies alone allow: the IAM evaluator's verdict. */
  policyAccess: boolean | 'unknown';
  /** The highest effective level over all repositories. */
  level: AccessLevel;
  repositoryCount: number;
  repositories: { name: string; level: AccessLevel }[];
  /** The policies whose statements allow it, named as findings name them. */
  grantedBy: string[];
  person: {
    email: string;
    name: string;
    status: 'active' | 'offboarded';
    offboardedAt: string | null;
  } | null;
  linkMethod: LinkMethod | null;
  linkedEmail: string | null;
  consolePassword: boolean | null;
  mfaActive: boolean | null;
  passwordLastUsed: string | null;
  accessKeys: { id: string | null; active: boolean; lastUsed: string | null }[] | null;
  /** The latest use of the console password or an access key; null when never used or unknown. */
  lastUsed: string | null;
  usableCredentials: string[];
  /** Credential sources not collected in this run (the user may hold one of them). */
  credentialsNotCollected: string[];
}

const iso = (d: Date | null | undefined) => (d ? d.toISOString() : null);

export function describePolicySource(source: PolicySource): string {
  switch (source.kind) {
    case 'inline':
      return `inline policy ${source.policyName} of ${source.viaGroup ? `group ${source.viaGroup}` : source.ownerArn}`;
    case 'managed':
      return `managed policy ${source.policyArn}${source.viaGroup ? ` via group ${source.viaGroup}` : ''}`;
    case 'boundary':
      return `permissions boundary ${source.policyArn}`;
  }
}

function grantingPolicies(access: CodeCommitAccessSummary): string[] {
  const names = new Set<string>();
  for (const r of access.repositories)
    for (const g of r.grants)
      if (g.decision === 'allow')
        for (const s of g.statements)
          if (s.source.kind !== 'boundary') names.add(describePolicySource(s.source));
  return [...names];
}

function reachable(access: CodeCommitAccessSummary): { name: string; level: AccessLevel }[] {
  return access.repositories
    .filter((r) => r.grants.some((g) => g.decision === 'allow'))
    .map((r) => ({ name: r.repositoryName, level: r.level }));
}

function credentials(user: IamUserEvidence): { usable: string[]; notCollected: string[] } {
  const c = user.credentials;
  const usable: string[] = [];
  const notCollected: string[] = [];
  if (c.passwordEnabled === true) usable.push('console password');
  if (c.passwordEnabled === null) notCollected.push('console password');
  if (c.accessKeys === null) notCollected.push('access keys');
  for (const k of c.accessKeys ?? []) if (k.active) usable.push(`active access key ${k.id ?? ''}`.trim());
  if (c.sshPublicKeys === null) notCollected.push('SSH public keys');
  for (const k of c.sshPublicKeys ?? []) if (k.active) usable.push(`active SSH key ${k.id}`);
  if (c.gitCredentials === null) notCollected.push('HTTPS Git credentials');
  for (const k of c.gitCredentials ?? []) if (k.active) usable.push(`active HTTPS Git credential ${k.id}`);
  return { usable, notCollected };
}

function latest(dates: (Date | null)[]): Date | null {
  let best: Date | null = null;
  for (const d of dates) if (d && (!best || d > best)) best = d;
  return best;
}

/** Mirrors the domain's tri-state "has CodeCommit access" (CHECKS.md, shared definitions). */
function userHasAccess(
  policy: boolean | 'unknown',
  usable: string[],
  notCollected: string[],
): 'yes' | 'no' | 'unknown' {
  if (policy === false) return 'no';
  if (usable.length === 0 && notCollected.length === 0) return 'no';
  if (policy === true && usable.length > 0) return 'yes';
  return 'unknown';
}

/** Every IAM user and role of the evidence with its effective access, person, MFA and last use. */
export function buildAccessReview(evidence: CheckEvidence): AccessReviewEntry[] {
  const users = evidence.users.map((user): AccessReviewEntry => {
    const creds = credentials(user);
    const link = linkUserToPerson(user, evidence);
    const c = user.credentials;
    return {
      principalType: 'iam_user',
      arn: user.arn,
      name: user.userName,
      hasAccess: userHasAccess(user.access.hasAccess, creds.usable, creds.notCollected),
      policyAccess: user.access.hasAccess,
      level: user.access.level,
      repositoryCount: reachable(user.access).length,
      repositories: reachable(user.access),
      grantedBy: grantingPolicies(user.access),
      person: link.person
        ? {
            email: link.person.email,
            name: link.person.name,
            status: link.person.status,
            offboardedAt: link.person.offboardedAt
              ? link.person.offboardedAt.toISOString().slice(0, 10)
              : null,
          }
        : null,
      linkMethod: link.method,
      linkedEmail: link.email,
      consolePassword: c.passwordEnabled,
      mfaActive: c.mfaActive,
      passwordLastUsed: iso(c.passwordLastUsed),
      accessKeys: c.accessKeys
        ? c.accessKeys.map((k) => ({ id: k.id ?? null, active: k.active, lastUsed: iso(k.lastUsed) }))
        : null,
      lastUsed: iso(latest([c.passwordLastUsed, ...(c.accessKeys ?? []).map((k) => k.lastUsed)])),
      usableCredentials: creds.usable,
      credentialsNotCollected: creds.notCollected,
    };
  });
  const roles = evidence.roles.map(
    (role): AccessReviewEntry => ({
      principalType: 'iam_role',
      arn: role.arn,
      name: role.roleName,
      hasAccess: role.access.hasAccess === true ? 'yes' : role.access.hasAccess === false ? 'no' : 'unknown',
      policyAccess: role.access.hasAccess,
      level: role.access.level,
      repositoryCount: reachable(role.access).length,
      repositories: reachable(role.access),
      grantedBy: grantingPolicies(role.access),
      person: null,
      linkMethod: null,
      linkedEmail: null,
      consolePassword: null,
      mfaActive: null,
      passwordLastUsed: null,
      accessKeys: null,
      lastUsed: null,
      usableCredentials: [],
      credentialsNotCollected: [],
    }),
  );
  return [...users, ...roles];
}

export interface AccessReview {
  syncRunId: number;
  rosterAsOf: Date;
  completeness: RunCompleteness;
  entries: AccessReviewEntry[];
}

/**
 * The access review of one sync run: every principal, judged as the checks judge them. Use
 * `entries.filter(e => e.hasAccess !== 'no')` for "every principal with CodeCommit access".
 */
export async function loadAccessReview(
  db: Kysely<Database>,
  input: LoadCheckEvidenceInput,
): Promise<AccessReview> {
  const loaded = await loadCheckEvidence(db, input);
  return {
    syncRunId: loaded.syncRun.id,
    rosterAsOf: input.rosterAsOf,
    completeness: loaded.completeness,
    entries: buildAccessReview(loaded.evidence),
  };
}
