import {
  type AccessLevel,
  type CheckEvidence,
  type CodeCommitAccessSummary,
  describePolicySource,
  describeRolePath,
  type IamUserEvidence,
  type LinkMethod,
  summaryMemo,
  userAccess,
} from '@codecommit-evidence/domain';
import { type Database, listIdentityLinks, listPeople } from '@codecommit-evidence/evidence-store';
import type { Kysely } from 'kysely';
import { loadCheckEvidence } from './check-evidence.js';
import type { RunCompleteness } from './completeness.js';
import { identityLinkEvidence, linkUserToPerson, personEvidence } from './people.js';

/** One principal of an access review: what it may do in CodeCommit and who it belongs to. */
export interface AccessReviewEntry {
  principalType: 'iam_user' | 'iam_role';
  arn: string;
  name: string;
  /**
   * Has CodeCommit access (DESIGN.md): some path (its own policies on some repository or Region, or a
   * role it may assume) allows some `codecommit:` action and, for a user, it holds a usable credential.
   * `unknown` when either cannot be decided. The same tri-state as the checks (`userAccess`).
   */
  hasAccess: 'yes' | 'no' | 'unknown';
  /** What the policies allow over every path, credentials aside: the IAM evaluator's verdict. */
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

// Principals analysed once per distinct policy set share their summary's parts: what the review shows
// of them is computed once per distinct part (the domain's summaryMemo), not once per principal (2,000
// users x 1,000 repositories otherwise).
const reachableOf = new WeakMap<CodeCommitAccessSummary['repositories'], ReturnType<typeof reachable>>();
const grantedByOf = summaryMemo<string[]>();

function shown(access: CodeCommitAccessSummary) {
  let known = reachableOf.get(access.repositories);
  if (!known) {
    known = reachable(access);
    reachableOf.set(access.repositories, known);
  }
  return { reachable: known, grantedBy: grantedByOf(access, () => grantingPolicies(access)) };
}

function grantingPolicies(access: CodeCommitAccessSummary): string[] {
  const names = new Set<string>();
  const grants = [...access.repositories, ...(access.regions ?? [])].flatMap((r) => r.grants);
  for (const g of grants)
    if (g.decision === 'allow')
      for (const s of g.statements)
        if (s.source.kind !== 'boundary') names.add(describePolicySource(s.source));
  // Roles it reaches CodeCommit through, named as findings name them.
  for (const path of access.viaRoles ?? []) if (path.decision === 'allow') names.add(describeRolePath(path));
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
      // The same effective access as the checks (every path, MFA-gated roles, credentials).
      hasAccess: userAccess(user, evidence.run).state,
      policyAccess: user.access.hasAccess,
      level: user.access.level,
      repositoryCount: shown(user.access).reachable.length,
      repositories: shown(user.access).reachable,
      grantedBy: shown(user.access).grantedBy,
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
      repositoryCount: shown(role.access).reachable.length,
      repositories: shown(role.access).reachable,
      grantedBy: shown(role.access).grantedBy,
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
 * The roster-independent part of a run's access review: what each principal may do. It depends only on
 * the run's evidence, which does not change once the run has finished, so it can be cached per run;
 * the people are joined per request (the roster changes at any time).
 */
export interface RunAccess {
  syncRunId: number;
  tenantId: string;
  completeness: RunCompleteness;
  entries: AccessReviewEntry[];
  users: Pick<IamUserEvidence, 'arn' | 'userName' | 'tags'>[];
}

export async function loadRunAccess(
  db: Kysely<Database>,
  input: { connectionId: string; runId: number },
): Promise<RunAccess> {
  // The epoch's roster is empty: the entries carry no person until `joinRoster`.
  const loaded = await loadCheckEvidence(db, { ...input, rosterAsOf: new Date(0) });
  return {
    syncRunId: loaded.syncRun.id,
    tenantId: loaded.connection.tenant_id,
    completeness: loaded.completeness,
    entries: buildAccessReview(loaded.evidence),
    users: loaded.evidence.users.map(({ arn, userName, tags }) => ({ arn, userName, tags })),
  };
}

/** The entries of a run's access with each user's person, as the roster and links say. */
export function joinRoster(
  access: RunAccess,
  roster: Pick<CheckEvidence, 'people' | 'identityLinks'>,
): AccessReviewEntry[] {
  const users = new Map(access.users.map((u) => [u.arn, u]));
  return access.entries.map((entry) => {
    const user = entry.principalType === 'iam_user' ? users.get(entry.arn) : undefined;
    if (!user) return entry;
    const link = linkUserToPerson(user, roster);
    return {
      ...entry,
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
    };
  });
}

/** A small LRU of runs' access, for readers that page through one run's review (the API). */
export interface RunAccessCache {
  get(db: Kysely<Database>, input: { connectionId: string; runId: number }): Promise<RunAccess>;
}

export function createRunAccessCache(maxRuns = 8): RunAccessCache {
  const entries = new Map<string, Promise<RunAccess>>();
  return {
    get(db, input) {
      const key = `${input.connectionId}:${input.runId}`;
      const hit = entries.get(key);
      if (hit) {
        entries.delete(key);
        entries.set(key, hit);
        return hit;
      }
      const loading = loadRunAccess(db, input);
      entries.set(key, loading);
      // A failed load is not kept: the next reader tries again.
      loading.catch(() => entries.delete(key));
      while (entries.size > maxRuns) {
        const oldest = entries.keys().next().value;
        if (oldest === undefined) break;
        entries.delete(oldest);
      }
      return loading;
    },
  };
}

/**
 * The access review of one sync run: every principal, judged as the checks judge them, with the people
 * as of `rosterAsOf`. Use `entries.filter(e => e.hasAccess !== 'no')` for "every principal with
 * CodeCommit access".
 */
export async function loadAccessReview(
  db: Kysely<Database>,
  input: { connectionId: string; runId: number; rosterAsOf: Date },
  cache?: RunAccessCache,
): Promise<AccessReview> {
  const access = cache ? await cache.get(db, input) : await loadRunAccess(db, input);
  const [people, links] = await Promise.all([
    listPeople(db, access.tenantId, input.rosterAsOf),
    listIdentityLinks(db, access.tenantId, input.rosterAsOf),
  ]);
  return {
    syncRunId: access.syncRunId,
    rosterAsOf: input.rosterAsOf,
    completeness: access.completeness,
    entries: joinRoster(access, {
      people: people.map(personEvidence),
      identityLinks: links.map(identityLinkEvidence),
    }),
  };
}
