import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import {
  type AccessLevel,
  type CheckEvidence,
  type CodeCommitAccessSummary,
  describePolicySource,
  describeRolePath,
  type IamUserEvidence,
  type LinkMethod,
  type RosterEvidence,
  summaryMemo,
  userAccess,
} from '@codecommit-evidence/domain';
import {
  type Database,
  getAccessRepositoryLists,
  getRunAccessState,
  listRosterFor,
  listRunAccess,
  type RunAccessInput,
  type RunAccessRow,
  type RunAccessState,
  writeRunAccess,
} from '@codecommit-evidence/evidence-store';
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
      ...personOf(user, evidence),
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
 * the run's evidence, which does not change once the run has finished, so it is derived once per run
 * and stored (`sync_run_access`); the people are joined per read (the roster changes at any time).
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
  // The epoch's roster is empty: the entries carry no person (the readers join theirs).
  const loaded = await loadCheckEvidence(db, { ...input, rosterAsOf: new Date(0) });
  return {
    syncRunId: loaded.syncRun.id,
    tenantId: loaded.connection.tenant_id,
    completeness: loaded.completeness,
    entries: buildAccessReview(loaded.evidence),
    users: loaded.evidence.users.map(({ arn, userName, tags }) => ({ arn, userName, tags })),
  };
}

/** A user's person as the access review shows it. */
function personOf(
  user: Pick<IamUserEvidence, 'arn' | 'userName' | 'tags'>,
  roster: RosterEvidence,
): Pick<AccessReviewEntry, 'person' | 'linkMethod' | 'linkedEmail'> {
  const link = linkUserToPerson(user, roster);
  return {
    person: link.person
      ? {
          email: link.person.email,
          name: link.person.name,
          status: link.person.status,
          offboardedAt: link.person.offboardedAt ? link.person.offboardedAt.toISOString().slice(0, 10) : null,
        }
      : null,
    linkMethod: link.method,
    linkedEmail: link.email,
  };
}

// --- Derived per run, read per request ------------------------------------------------------------

/** What is stored of an entry besides its key columns: everything but the person and the repositories. */
type StoredEntry = Omit<
  AccessReviewEntry,
  'principalType' | 'arn' | 'name' | 'hasAccess' | 'repositories' | 'person' | 'linkMethod' | 'linkedEmail'
>;

/** A run's access as `sync_run_access` stores it (the roster left out: it is joined per read). */
export function runAccessRows(access: Pick<RunAccess, 'entries' | 'users'>): RunAccessInput[] {
  const tags = new Map(access.users.map((u) => [u.arn, u.tags]));
  return access.entries.map((e) => {
    const {
      principalType,
      arn,
      name,
      hasAccess,
      repositories,
      person: _person,
      linkMethod: _method,
      linkedEmail: _email,
      ...entry
    } = e;
    return {
      principalType,
      arn,
      name,
      hasAccess,
      entry: entry satisfies StoredEntry,
      repositories,
      tags: (principalType === 'iam_user' ? tags.get(arn) : undefined) ?? {},
    };
  });
}

/** Writes a run's derived access from evidence already loaded (the evaluator's), unless it is there. */
export async function storeRunAccess(
  db: Kysely<Database>,
  input: {
    connectionId: string;
    runId: number;
    completeness: RunCompleteness;
    evidence: CheckEvidence;
    derivedAt: Date;
  },
): Promise<boolean> {
  if (await getRunAccessState(db, input.runId)) return false;
  // Built a few hundred principals at a time, handing the event loop back in between (the evaluator's
  // job lock must be renewed during it).
  const { evidence } = input;
  const entries: AccessReviewEntry[] = [];
  for (const [key, all] of [
    ['users', evidence.users],
    ['roles', evidence.roles],
  ] as const) {
    for (let i = 0; i < all.length; i += 250) {
      const part = { ...evidence, users: [], roles: [], [key]: all.slice(i, i + 250) } as CheckEvidence;
      entries.push(...buildAccessReview(part));
      await yieldToEventLoop();
    }
  }
  return writeRunAccess(db, {
    connectionId: input.connectionId,
    syncRunId: input.runId,
    completeness: input.completeness,
    derivedAt: input.derivedAt,
    principals: runAccessRows({ entries, users: evidence.users }),
  });
}

// One derivation per run at a time in this process; other processes meet at the state row.
const deriving = new Map<number, Promise<RunAccessState>>();

/**
 * The derived access of a finished sync run. Runs evaluated before it was stored (or whose evaluation
 * failed) are derived on their first read, once, and stored: that read pays the whole analysis
 * (seconds on a large account), every later one reads pages.
 */
export async function ensureRunAccess(
  db: Kysely<Database>,
  input: { connectionId: string; runId: number },
  now: () => Date,
): Promise<RunAccessState> {
  const state = await getRunAccessState(db, input.runId);
  if (state) return state;
  let pending = deriving.get(input.runId);
  if (!pending) {
    pending = (async () => {
      const access = await loadRunAccess(db, input);
      await writeRunAccess(db, {
        connectionId: input.connectionId,
        syncRunId: input.runId,
        completeness: access.completeness,
        derivedAt: now(),
        principals: runAccessRows(access),
      });
      const written = await getRunAccessState(db, input.runId);
      if (!written) throw new Error(`derived access of sync run ${input.runId} was not written`);
      return written;
    })().finally(() => deriving.delete(input.runId));
    deriving.set(input.runId, pending);
  }
  return pending;
}

/** The part of the roster (as of `asOf`) that can link the users of some stored rows. */
export async function loadRosterFor(
  db: Kysely<Database>,
  tenantId: string,
  asOf: Date,
  rows: readonly RunAccessRow[],
): Promise<RosterEvidence> {
  const users = rows
    .filter((r) => r.principal_type === 'iam_user')
    .map((r) => ({ arn: r.arn, userName: r.name, tags: r.tags }));
  const { people, links } = await listRosterFor(db, tenantId, asOf, users);
  return { people: people.map(personEvidence), identityLinks: links.map(identityLinkEvidence) };
}

/**
 * Stored rows back to access-review entries, each user with its person as `roster` says. `repositories`:
 * `inline` keeps the stored first ones (`repositoriesTruncated` says when there are more), `all`
 * reads each distinct whole list once (`lists` caches them across pages).
 */
export async function accessEntriesOf(
  db: Kysely<Database>,
  connectionId: string,
  rows: readonly RunAccessRow[],
  roster: RosterEvidence,
  lists?: Map<string, unknown[]>,
): Promise<(AccessReviewEntry & { repositoriesTruncated: boolean })[]> {
  if (lists) {
    const missing = rows.flatMap((r) =>
      r.repositories_digest && !lists.has(r.repositories_digest) ? [r.repositories_digest] : [],
    );
    for (const [d, l] of await getAccessRepositoryLists(db, connectionId, missing)) lists.set(d, l);
  }
  return rows.map((r) => {
    const stored = r.entry as unknown as StoredEntry;
    const whole = lists && r.repositories_digest ? lists.get(r.repositories_digest) : undefined;
    const repositories = (whole ?? r.repositories) as AccessReviewEntry['repositories'];
    const person =
      r.principal_type === 'iam_user'
        ? personOf({ arn: r.arn, userName: r.name, tags: r.tags }, roster)
        : { person: null, linkMethod: null, linkedEmail: null };
    return {
      principalType: r.principal_type,
      arn: r.arn,
      name: r.name,
      hasAccess: r.has_access,
      policyAccess: stored.policyAccess,
      level: stored.level,
      repositoryCount: stored.repositoryCount,
      repositories,
      grantedBy: stored.grantedBy,
      ...person,
      consolePassword: stored.consolePassword,
      mfaActive: stored.mfaActive,
      passwordLastUsed: stored.passwordLastUsed,
      accessKeys: stored.accessKeys,
      lastUsed: stored.lastUsed,
      usableCredentials: stored.usableCredentials,
      credentialsNotCollected: stored.credentialsNotCollected,
      repositoriesTruncated: repositories.length < stored.repositoryCount,
    };
  });
}

/**
 * The access review of one sync run, whole: every principal, judged as the checks judge them, with
 * the people as of `rosterAsOf`. Read from the run's derived access (derived first if need be). For
 * tests and small accounts; the API pages it (`listRunAccess` + `accessEntriesOf`).
 */
export async function loadAccessReview(
  db: Kysely<Database>,
  input: { connectionId: string; runId: number; rosterAsOf: Date },
  now: () => Date = () => new Date(),
): Promise<AccessReview> {
  const state = await ensureRunAccess(db, input, now);
  const tenant = await db
    .selectFrom('connections')
    .select('tenant_id')
    .where('id', '=', input.connectionId)
    .executeTakeFirstOrThrow();
  const lists = new Map<string, unknown[]>();
  const entries: AccessReviewEntry[] = [];
  for (let after: { principalType: 'iam_user' | 'iam_role'; name: string } | undefined; ; ) {
    const rows = await listRunAccess(db, input.runId, { ...(after ? { after } : {}), limit: 1000 });
    const roster = await loadRosterFor(db, tenant.tenant_id, input.rosterAsOf, rows);
    for (const { repositoriesTruncated: _t, ...e } of await accessEntriesOf(
      db,
      input.connectionId,
      rows,
      roster,
      lists,
    ))
      entries.push(e);
    const last = rows[rows.length - 1];
    if (!last || rows.length < 1000) break;
    after = { principalType: last.principal_type, name: last.name };
  }
  return {
    syncRunId: input.runId,
    rosterAsOf: input.rosterAsOf,
    completeness: state.completeness as RunCompleteness,
    entries,
  };
}
