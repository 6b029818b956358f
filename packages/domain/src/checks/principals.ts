import type {
  ActionGrant,
  CodeCommitAccessSummary,
  PolicySource,
  RoleAccessPath,
  StatementRef,
} from '../iam/types.js';
import { type DataGaps, describeGaps, gapsFor, mergeGaps } from './completeness.js';
import {
  type CheckEvidence,
  type IamUserEvidence,
  type PersonEvidence,
  SYNC_STEPS,
  type SyncRunEvidence,
} from './evidence.js';
import { listPhrase } from './format.js';

export type TriState = 'yes' | 'no' | 'unknown';

// --- Statements as evidence ------------------------------------------------------------------------

export function describePolicySource(source: PolicySource): string {
  switch (source.kind) {
    case 'inline':
      return `inline policy ${source.policyName} of ${source.viaGroup ? `group ${source.viaGroup}` : source.ownerArn}`;
    case 'managed':
      return `managed policy ${source.policyArn}${source.viaGroup ? ` via group ${source.viaGroup}` : ''}`;
    case 'boundary':
      return `permissions boundary ${source.policyArn}`;
    case 'trust':
      return `trust policy of ${source.roleArn}`;
  }
}

export interface StatementEvidence {
  policy: string;
  source: PolicySource;
  index: number;
  sid?: string;
  statement: StatementRef['statement'];
}

export function statementEvidence(ref: StatementRef): StatementEvidence {
  return {
    policy: describePolicySource(ref.source),
    source: ref.source,
    index: ref.index,
    ...(ref.sid === undefined ? {} : { sid: ref.sid }),
    statement: ref.statement,
  };
}

function statementKey(ref: StatementRef): string {
  const s = ref.source;
  const policy =
    s.kind === 'inline'
      ? `${s.ownerArn}|${s.policyName}|${s.viaGroup ?? ''}`
      : s.kind === 'managed'
        ? `${s.policyArn}|${s.versionId ?? ''}|${s.viaGroup ?? ''}`
        : s.kind === 'boundary'
          ? s.policyArn
          : s.roleArn;
  return `${s.kind}|${policy}#${ref.index}`;
}

/** Collects distinct statements, in first-seen order. */
class StatementSet {
  // The evaluator shares one source object per policy: dedupe on it before building string keys.
  private readonly bySource = new Map<PolicySource, Set<number>>();
  private readonly byKey = new Map<string, StatementEvidence>();

  add(refs: readonly StatementRef[]): void {
    for (const ref of refs) {
      let indexes = this.bySource.get(ref.source);
      if (indexes?.has(ref.index)) continue;
      if (!indexes) {
        indexes = new Set();
        this.bySource.set(ref.source, indexes);
      }
      indexes.add(ref.index);
      const k = statementKey(ref);
      if (!this.byKey.has(k)) this.byKey.set(k, statementEvidence(ref));
    }
  }

  list(): StatementEvidence[] {
    return [...this.byKey.values()];
  }
}

/** Distinct statements of some grants, in first-seen order. */
export function distinctStatements(grants: readonly ActionGrant[]): StatementEvidence[] {
  const set = new StatementSet();
  for (const g of grants) set.add(g.statements);
  return set.list();
}

const MAX_LISTED_REPOSITORIES = 20;

interface UndecidedGrant {
  repository: string;
  action: string;
  reason: string | null;
}

type AccessEvidence = Record<string, unknown> & { grantedBy: StatementEvidence[] };

// Principals analysed once per distinct policy set share their summary's large parts (`repositories`,
// `regions`, `viaRoles`): their evidence is built once per combination of those parts, by identity, and
// per the summary's small remaining fields, by value (a JSON of the large ones per principal would cost
// what the memo saves).
const NONE = {};

// Empty parts are equal whatever their identity (the role closure gives most users an array of their
// own, empty): one key for all of them, or the memo would miss for every such user.
const EMPTY = {};
const partKey = (part: readonly unknown[] | undefined): object =>
  part === undefined ? NONE : part.length === 0 ? EMPTY : part;

/**
 * A memo over access summaries: one answer per identity of the large parts and per value of the small
 * remaining fields (its principal's ARN and type aside, which the answers never use).
 */
export function summaryMemo<T>(): (access: CodeCommitAccessSummary, compute: () => T) => T {
  const memo = new WeakMap<object, WeakMap<object, WeakMap<object, Map<string, T>>>>();
  return (access, compute) => {
    const repositories = partKey(access.repositories);
    let byRegions = memo.get(repositories);
    if (!byRegions) {
      byRegions = new WeakMap();
      memo.set(repositories, byRegions);
    }
    const regions = partKey(access.regions);
    let byRoles = byRegions.get(regions);
    if (!byRoles) {
      byRoles = new WeakMap();
      byRegions.set(regions, byRoles);
    }
    const viaRoles = partKey(access.viaRoles);
    let byRest = byRoles.get(viaRoles);
    if (!byRest) {
      byRest = new Map();
      byRoles.set(viaRoles, byRest);
    }
    const {
      principalArn: _arn,
      principalType: _type,
      repositories: _repositories,
      regions: _regions,
      viaRoles: _viaRoles,
      ...rest
    } = access;
    const key = JSON.stringify(rest);
    let answer = byRest.get(key);
    if (answer === undefined) {
      answer = compute();
      byRest.set(key, answer);
    }
    return answer;
  };
}

const accessEvidenceMemo = summaryMemo<AccessEvidence>();

/** What a finding shows of an access summary: level, some repositories, and the granting statements. */
export function accessEvidence(access: CodeCommitAccessSummary): AccessEvidence {
  return accessEvidenceMemo(access, () => accessEvidenceOf(access));
}

function accessEvidenceOf(access: CodeCommitAccessSummary): AccessEvidence {
  // The evaluator lists every repository, also those the principal cannot touch.
  const statements = new StatementSet();
  const reachable: { name: string; level: string }[] = [];
  let reachableCount = 0;
  const undecided: UndecidedGrant[] = [];
  let undecidedCount = 0;
  for (const r of access.repositories) {
    let allowed = false;
    for (const g of r.grants) {
      if (g.decision === 'allow') {
        allowed = true;
        statements.add(g.statements);
      } else {
        undecidedCount += 1;
        if (undecided.length < MAX_LISTED_REPOSITORIES)
          undecided.push({ repository: r.repositoryName, action: g.action, reason: g.reason ?? null });
      }
    }
    if (allowed) {
      reachableCount += 1;
      if (reachable.length < MAX_LISTED_REPOSITORIES)
        reachable.push({ name: r.repositoryName, level: r.level });
    }
  }
  const regions: { region: string; level: string }[] = [];
  for (const r of access.regions ?? []) {
    const allowed = r.grants.filter((g) => g.decision === 'allow');
    for (const g of allowed) statements.add(g.statements);
    if (allowed.length > 0) regions.push({ region: r.region, level: r.level });
    else {
      undecidedCount += 1;
      if (undecided.length < MAX_LISTED_REPOSITORIES)
        undecided.push({
          repository: r.resourcePattern,
          action: r.grants[0]?.action ?? '',
          reason: r.grants[0]?.reason ?? null,
        });
    }
  }
  return {
    hasAccess: access.hasAccess,
    ...(access.ownAccess !== undefined ? { ownAccess: access.ownAccess } : {}),
    level: access.level,
    repositoryCount: reachableCount,
    repositories: reachable,
    ...(access.regions ? { regions } : {}),
    grantedBy: statements.list(),
    ...(access.viaRoles && access.viaRoles.length > 0
      ? {
          viaRoles: access.viaRoles.map(rolePathEvidence),
          ...(access.viaRoleCount ? { viaRoleCount: access.viaRoleCount } : {}),
        }
      : {}),
    ...(access.otherAccountRoles
      ? {
          otherAccountRoles: access.otherAccountRoles.map((o) => ({
            why: o.why,
            resourcePattern: o.resourcePattern,
            statements: o.statements.map(statementEvidence),
          })),
        }
      : {}),
    ...(access.considered ? { considered: access.considered } : {}),
    ...(undecidedCount > 0 ? { undecidedCount, undecided } : {}),
  };
}

/** One role path as a finding shows it: the chain, each step's statements, and the role's grants. */
function rolePathEvidence(path: RoleAccessPath) {
  return {
    path: describeRolePath(path),
    decision: path.decision,
    role: {
      arn: path.role.arn,
      name: path.role.name,
      access: path.role.access,
      level: path.role.level,
      grantedBy: path.role.grantedBy.map(describePolicySource),
    },
    steps: path.steps.map((step) => ({
      roleArn: step.roleArn,
      decision: step.decision,
      admittedBy: step.admittedBy,
      allowedBy: step.allowedBy.map(statementEvidence),
      trustedBy: step.trustedBy.map(statementEvidence),
      ...(step.reason ? { reason: step.reason } : {}),
    })),
    ...(path.conditionKeys.length > 0 ? { conditionKeys: path.conditionKeys } : {}),
  };
}

const shortPolicy = (source: PolicySource) =>
  describePolicySource(source).replace(/arn:[^:]+:iam::(aws|\d{12}):policy\/(.+\/)?/, '');

/** "via sts:AssumeRole into role Dev (managed policy AWSCodeCommitPowerUser)"; chains say "then". */
export function describeRolePath(path: RoleAccessPath): string {
  const chain = path.steps.map((s) => `role ${s.roleName}`).join(', then ');
  const policies = listPhrase(path.role.grantedBy.map(shortPolicy), 2);
  return `via sts:AssumeRole into ${chain}${policies ? ` (${policies})` : ''}`;
}

/** Keys after which a path is open only on MFA: its trust policy requires MFA. */
const MFA_KEYS = new Set(['aws:multifactorauthpresent', 'aws:multifactorauthage']);

/** A role path that is undecided only because its trust policy (or the role) requires MFA. */
export function requiresMfa(path: RoleAccessPath): boolean {
  return (
    path.decision === 'unknown' &&
    path.role.access === true &&
    path.conditionKeys.length > 0 &&
    path.conditionKeys.every((k) => MFA_KEYS.has(k.toLowerCase())) &&
    path.steps.every((s) => s.decision === 'allow' || (s.conditionKeys ?? []).length > 0)
  );
}

/**
 * When a principal's only CodeCommit paths are roles whose trust requires MFA: those paths. Empty
 * otherwise (it has access of its own, or some other path, or none).
 */
export function mfaOnlyPaths(access: CodeCommitAccessSummary): RoleAccessPath[] {
  if (access.hasAccess !== 'unknown') return [];
  if ((access.ownAccess ?? access.hasAccess) !== false) return [];
  if (access.otherAccountRoles?.length || access.viaRoleCount) return [];
  const paths = access.viaRoles ?? [];
  return paths.length > 0 && paths.every(requiresMfa) ? paths : [];
}

const accessPathsMemo = summaryMemo<string>();

/** The paths behind an access summary, as a phrase: own policies, Regions, roles. */
export function describeAccessPaths(access: CodeCommitAccessSummary): string {
  return accessPathsMemo(access, () => describeAccessPathsOf(access));
}

function describeAccessPathsOf(access: CodeCommitAccessSummary): string {
  const parts: string[] = [];
  const allowed = (grants: readonly ActionGrant[]) => grants.filter((g) => g.decision === 'allow');
  const repositoryGrants = access.repositories.flatMap((r) => allowed(r.grants));
  if (repositoryGrants.length > 0) parts.push(describePolicies(distinctStatements(repositoryGrants)));
  else {
    const regions = (access.regions ?? []).filter((r) => allowed(r.grants).length > 0);
    if (regions.length > 0)
      parts.push(
        `in ${listPhrase(
          regions.map((r) => r.region),
          3,
        )} (${describePolicies(distinctStatements(regions.flatMap((r) => allowed(r.grants))))})`,
      );
  }
  // Paths open only with MFA count for a user who has an MFA device (`userAccess`): name them too.
  const viaRoles = (access.viaRoles ?? [])
    .filter((p) => p.decision === 'allow' || requiresMfa(p))
    .map((p) => `${describeRolePath(p)}${p.decision === 'allow' ? '' : ' with MFA'}`);
  parts.push(...viaRoles.slice(0, 2));
  if (viaRoles.length > 2) parts.push(`${viaRoles.length - 2} more role(s)`);
  return listPhrase(parts.filter(Boolean), 4);
}

/** A short phrase of the policies behind some statements, e.g. "managed policy X via group Devs". */
export function describePolicies(statements: readonly StatementEvidence[]): string {
  const policies = [...new Set(statements.map((s) => s.policy))];
  if (policies.length === 0) return '';
  const shown = policies.slice(0, 3).join(', ');
  return policies.length > 3 ? `${shown} and ${policies.length - 3} more` : shown;
}

// --- Credentials and access -------------------------------------------------------------------------

export interface CredentialState {
  state: TriState;
  /** Usable credentials found, e.g. "console password", "active access key AKIA…". */
  usable: string[];
  /** Phrases of credentials that were not collected, with why. */
  unknown: string[];
  gaps: DataGaps;
}

/** Whether an IAM user holds a credential that can reach CodeCommit (password, key, SSH key, Git credential). */
export function credentialState(user: IamUserEvidence, run: SyncRunEvidence): CredentialState {
  const c = user.credentials;
  const usable: string[] = [];
  const unknownSteps: { what: string; step: string }[] = [];
  if (c.passwordEnabled === true) usable.push('console password');
  else if (c.passwordEnabled === null)
    unknownSteps.push({ what: 'console password', step: SYNC_STEPS.credentialReport });
  if (c.accessKeys === null) unknownSteps.push({ what: 'access keys', step: SYNC_STEPS.credentialReport });
  else
    for (const k of c.accessKeys.filter((k) => k.active))
      usable.push(k.id ? `active access key ${k.id}` : 'active access key');
  if (c.sshPublicKeys === null) unknownSteps.push({ what: 'SSH public keys', step: SYNC_STEPS.sshKeys });
  else for (const k of c.sshPublicKeys.filter((k) => k.active)) usable.push(`active SSH key ${k.id}`);
  if (c.gitCredentials === null)
    unknownSteps.push({ what: 'HTTPS Git credentials', step: SYNC_STEPS.gitCredentials });
  else
    for (const k of c.gitCredentials.filter((k) => k.active))
      usable.push(`active HTTPS Git credential ${k.id}`);

  const byStep = new Map<string, string[]>();
  for (const u of unknownSteps) byStep.set(u.step, [...(byStep.get(u.step) ?? []), u.what]);
  const unknown = [...byStep].map(([step, whats]) => `${whats.join(' and ')} (${describeGaps(run, [step])})`);
  const gaps = gapsFor(run, [...byStep.keys()]);
  return {
    state: usable.length > 0 ? 'yes' : unknownSteps.length > 0 ? 'unknown' : 'no',
    usable,
    unknown,
    gaps,
  };
}

/** Why an access summary says 'unknown': undecided statements and gaps of the IAM sync. */
export function accessUnknownReason(access: CodeCommitAccessSummary, run: SyncRunEvidence): string {
  const reasons = [
    ...new Set([
      ...[
        ...access.repositories.flatMap((r) => [
          ...r.grants,
          ...r.defaultBranchBypass,
          ...(r.overrideApprovalRules ? [r.overrideApprovalRules] : []),
        ]),
        ...(access.regions ?? []).flatMap((r) => r.grants),
      ]
        .filter((g) => g.decision === 'unknown')
        .map((g) => g.reason ?? `${g.action} undecided`),
      ...(access.viaRoles ?? [])
        .filter((p) => p.decision === 'unknown')
        .map((p) => `${describeRolePath(p)}: ${rolePathUnknownReason(p)}`),
      ...(access.otherAccountRoles ?? []).map((o) =>
        o.why === 'other_account'
          ? `it may assume ${o.resourcePattern} in another account, which this connection cannot see`
          : `it may assume roles matching ${o.resourcePattern}, which this run did not collect`,
      ),
    ]),
  ];
  const steps = [SYNC_STEPS.authorizationDetails, SYNC_STEPS.users, SYNC_STEPS.roles];
  const gaps = gapsFor(run, steps);
  const parts = reasons.slice(0, 3);
  if (gaps.missingPermissions.length > 0 || gaps.failedSteps.length > 0) parts.push(describeGaps(run, steps));
  return parts.length > 0 ? parts.join('; ') : 'the policy evaluation left it undecided';
}

function rolePathUnknownReason(path: RoleAccessPath): string {
  const step = path.steps.find((s) => s.decision === 'unknown');
  if (step) return `assuming role ${step.roleName} ${step.reason ?? 'is undecided'}`;
  return `role ${path.role.name}'s own CodeCommit access is undecided`;
}

export interface UserAccess {
  /** Has CodeCommit access: some codecommit action allowed AND a usable credential. */
  state: TriState;
  /** For 'no' and 'unknown': why, as a clause ("holds no usable credential"). */
  why: string;
  credentials: CredentialState;
  gaps: DataGaps;
}

/** "no IAM policy allows it any CodeCommit action …": what was considered, for a true "no". */
function noAccessWhy(access: CodeCommitAccessSummary): string {
  const c = access.considered;
  if (!c) return 'no IAM policy allows it any CodeCommit action';
  return `no IAM policy allows it any CodeCommit action on the ${c.repositories} synced repositories or in any of the ${c.regions} CodeCommit Regions, and it may assume none of the ${c.roles} roles of the account in a way that would give it some`;
}

export function userAccess(user: IamUserEvidence, run: SyncRunEvidence): UserAccess {
  const credentials = credentialState(user, run);
  const gated = mfaOnlyPaths(user.access);
  // A trust policy that requires MFA decides by the user's own MFA device, which the credential
  // report knows: without one it cannot assume the role; with one it can.
  const mfa = user.credentials.mfaActive;
  const has = gated.length > 0 && mfa !== null ? mfa : user.access.hasAccess;
  const accessGaps =
    has === 'unknown' ? gapsFor(run, [SYNC_STEPS.authorizationDetails, SYNC_STEPS.users]) : null;
  const gaps = accessGaps ? mergeGaps(accessGaps, credentials.gaps) : credentials.gaps;
  if (has === false) {
    const why =
      gated.length > 0
        ? `it reaches CodeCommit only ${listPhrase(gated.map(describeRolePath), 2)}, whose trust policy requires MFA, and it has no MFA device`
        : noAccessWhy(user.access);
    return { state: 'no', why, credentials, gaps };
  }
  if (credentials.state === 'no') {
    return {
      state: 'no',
      why: 'it holds no usable credential (no console password, active access key, SSH key or HTTPS Git credential)',
      credentials,
      gaps,
    };
  }
  if (has === true && credentials.state === 'yes') return { state: 'yes', why: '', credentials, gaps };
  const why: string[] = [];
  if (has === 'unknown')
    why.push(`its CodeCommit permissions could not be decided (${accessUnknownReason(user.access, run)})`);
  if (credentials.state === 'unknown')
    why.push(
      `it is not known whether it holds a usable credential: not collected: ${credentials.unknown.join('; ')}`,
    );
  return { state: 'unknown', why: why.join(', and '), credentials, gaps };
}

// --- People -----------------------------------------------------------------------------------------

export type LinkMethod = 'explicit' | 'email_tag' | 'user_name';

export interface PersonLink {
  person: PersonEvidence | null;
  method: LinkMethod | null;
  /** The email the link points to (also when that email is not in the roster). */
  email: string | null;
  /** The tag that linked it, for `email_tag`. */
  tag?: { key: string; value: string };
}

const norm = (s: string) => s.trim().toLowerCase();

interface RosterIndex {
  byEmail: Map<string, PersonEvidence>;
  linksByArn: Map<string, CheckEvidence['identityLinks']>;
}

// Built once per evidence object (evidence is never mutated), so linking every user stays linear.
const rosterIndexes = new WeakMap<RosterEvidence, RosterIndex>();

function rosterIndex(evidence: RosterEvidence): RosterIndex {
  const cached = rosterIndexes.get(evidence);
  if (cached) return cached;
  const byEmail = new Map(evidence.people.map((p) => [norm(p.email), p]));
  const linksByArn = new Map<string, CheckEvidence['identityLinks']>();
  for (const link of evidence.identityLinks) {
    linksByArn.set(link.iamUserArn, [...(linksByArn.get(link.iamUserArn) ?? []), link]);
  }
  const index = { byEmail, linksByArn };
  rosterIndexes.set(evidence, index);
  return index;
}

/**
 * An IAM user's person: an explicit link first, else an `email` tag (key and address case-insensitive),
 * else a user name equal to the email (case-insensitive).
 */
/** What linking needs of the evidence: the roster and the explicit links. */
export type RosterEvidence = Pick<CheckEvidence, 'people' | 'identityLinks'>;

export function linkUserToPerson(
  user: Pick<IamUserEvidence, 'arn' | 'userName' | 'tags'>,
  evidence: RosterEvidence,
): PersonLink {
  const { byEmail, linksByArn } = rosterIndex(evidence);
  const explicit = linksByArn.get(user.arn) ?? [];
  if (explicit.length > 0) {
    // The API keys links by user ARN, so there is one; if several slipped in, prefer an offboarded
    // person so that the check errs towards failing.
    const people = explicit.map((l) => ({
      email: l.personEmail,
      person: byEmail.get(norm(l.personEmail)) ?? null,
    }));
    const chosen =
      people.find((p) => p.person?.status === 'offboarded') ?? people.find((p) => p.person) ?? people[0]!;
    return { person: chosen.person, method: 'explicit', email: chosen.email };
  }
  for (const [key, value] of Object.entries(user.tags)) {
    if (norm(key) !== 'email') continue;
    const person = byEmail.get(norm(value));
    if (person) return { person, method: 'email_tag', email: person.email, tag: { key, value } };
  }
  const byName = byEmail.get(norm(user.userName));
  if (byName) return { person: byName, method: 'user_name', email: byName.email };
  return { person: null, method: null, email: null };
}

/** A person counts as offboarded from their offboarding date on (so a past run is judged as of its date). */
export function isOffboarded(person: PersonEvidence, at: Date): boolean {
  if (person.status !== 'offboarded') return false;
  return person.offboardedAt === null || person.offboardedAt.getTime() <= at.getTime();
}

// --- Identity of pull-request actors -----------------------------------------------------------------

export type ParsedPrincipal =
  | { kind: 'user'; accountId: string; name: string }
  | { kind: 'session'; accountId: string; roleName: string; name: string }
  | { kind: 'federated'; accountId: string; name: string }
  | { kind: 'role'; accountId: string; name: string }
  | { kind: 'root'; accountId: string }
  | { kind: 'other'; arn: string };

export function parsePrincipalArn(arn: string): ParsedPrincipal {
  const m = /^arn:[^:]+:(iam|sts)::([^:]*):(.+)$/.exec(arn);
  if (!m) return { kind: 'other', arn };
  const accountId = m[2]!;
  const resource = m[3]!;
  if (resource === 'root') return { kind: 'root', accountId };
  const parts = resource.split('/');
  const type = parts[0];
  const last = parts[parts.length - 1] ?? '';
  if (type === 'user' && parts.length >= 2) return { kind: 'user', accountId, name: last };
  if (type === 'assumed-role' && parts.length >= 3)
    return { kind: 'session', accountId, roleName: parts[1]!, name: last };
  if (type === 'federated-user' && parts.length >= 2) return { kind: 'federated', accountId, name: last };
  if (type === 'role' && parts.length >= 2) return { kind: 'role', accountId, name: last };
  return { kind: 'other', arn };
}

/**
 * Resolves principals to the person behind them. Two principals are one person when their keys
 * intersect: the same IAM user; the same name across an IAM user, role sessions under any role and
 * federated users (the console's switch-role and most SSO set the session name to the user name or
 * email); or IAM users linked to the same roster person.
 */
export class IdentityResolver {
  private readonly userLinks = new Map<string, string>();
  private readonly cache = new Map<string, Set<string>>();

  constructor(evidence: CheckEvidence) {
    for (const user of evidence.users) {
      const link = linkUserToPerson(user, evidence);
      if (link.email) {
        this.userLinks.set(norm(user.arn), norm(link.email));
        this.userLinks.set(`name:${norm(user.userName)}`, norm(link.email));
      }
    }
  }

  keys(arn: string): Set<string> {
    const cached = this.cache.get(arn);
    if (cached) return cached;
    const keys = new Set<string>([`arn:${norm(arn)}`]);
    this.cache.set(arn, keys);
    const p = parsePrincipalArn(arn);
    const addName = (name: string) => {
      const n = norm(name);
      keys.add(`name:${n}`);
      if (n.includes('@')) keys.add(`person:${n}`);
      const linked = this.userLinks.get(`name:${n}`);
      if (linked) keys.add(`person:${linked}`);
    };
    switch (p.kind) {
      case 'user': {
        addName(p.name);
        const linked = this.userLinks.get(norm(arn));
        if (linked) keys.add(`person:${linked}`);
        break;
      }
      case 'session':
      case 'federated':
        addName(p.name);
        break;
      case 'root':
        keys.add(`root:${p.accountId}`);
        break;
      case 'role':
      case 'other':
        break;
    }
    return keys;
  }

  samePerson(a: string, b: string): boolean {
    const ka = this.keys(a);
    for (const k of this.keys(b)) if (ka.has(k)) return true;
    return false;
  }
}
