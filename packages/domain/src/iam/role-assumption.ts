/**
 * Effective CodeCommit access over every path (DESIGN: "Has CodeCommit access"): a principal's own
 * policies (synced repositories and every CodeCommit Region), and the roles of the account it may
 * assume, transitively (role chaining), with a cycle guard.
 *
 * `sts:AssumeRole` into a role of the same account is allowed when no policy denies it and either the
 * role's trust policy names the caller (its ARN, or `*`), or it trusts the account (`arn:aws:iam::A:root`
 * or `A`) and the caller's identity policies allow `sts:AssumeRole` on the role
 * (https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html: "To allow a user to assume a
 * role in the same account, you can do either of the following: attach a policy to the user that allows
 * the user to call AssumeRole (as long as the role's trust policy trusts the account), or add the user
 * as a principal directly in the role's trust policy"). Conditions of trust policies are evaluated like
 * any other: a key the analysis cannot know (`aws:MultiFactorAuthPresent`, `sts:ExternalId`,
 * `aws:SourceIp`) leaves the step `unknown`, never a silent yes or no.
 *
 * Cost: the role graph (each role's own access, the roles each role may assume, the best path from each
 * role to every role with access) is computed once per analysis, that is once per run. A principal adds
 * one `sts:AssumeRole` evaluation per role, memoised by its policy set, so 2,000 users sharing a few
 * groups evaluate a few policy sets, not users × roles.
 */
import { analyzeCodeCommitAccess, type CodeCommitScope } from './codecommit-access.js';
import { evaluateConditionBlock } from './conditions.js';
import { createPrincipalEvaluator, principalRequestContext } from './evaluate.js';
import { actionElementMatches, isUnknown } from './matching.js';
import { buildRequestValues, type RequestValues } from './request-context.js';
import type {
  AccessLevel,
  CodeCommitAccessSummary,
  EvaluationResult,
  NamedPolicy,
  OtherAccountRole,
  PolicyDocument,
  PolicySource,
  PolicyStatement,
  PrincipalPolicies,
  RepositoryRef,
  RoleAccessPath,
  RoleAssumptionStep,
  StatementRef,
} from './types.js';
import { keysOf, type UnknownOutcome } from './unknown-keys.js';

/** How many role paths a summary lists (with the total count). */
export const MAX_ROLE_PATHS = 20;

/** A role as the analysis needs it: its policies and its trust policy (null when not collected). */
export interface RoleWithTrust {
  principal: PrincipalPolicies;
  trustPolicy: PolicyDocument | null;
}

export interface AccessAnalysisInput {
  repositories: RepositoryRef[];
  scope: CodeCommitScope;
  /** The account's roles; null when the run did not collect them (role paths are then undecided). */
  roles: readonly RoleWithTrust[] | null;
  /**
   * A principal's own access. Default: `analyzeCodeCommitAccess(principal, repositories, scope)`; a
   * caller that memoises it per distinct policy set passes its memoised version.
   */
  ownAccess?: (principal: PrincipalPolicies) => CodeCommitAccessSummary;
}

export interface AccessAnalysis {
  /** The principal's access over every path. */
  analyze(principal: PrincipalPolicies): CodeCommitAccessSummary;
}

const ASSUME_ROLE = 'sts:AssumeRole';
const LEVELS: AccessLevel[] = ['none', 'read', 'write', 'admin'];
const higher = (a: AccessLevel, b: AccessLevel) => (LEVELS.indexOf(a) >= LEVELS.indexOf(b) ? a : b);

type Presence = 'yes' | 'maybe' | 'no';
const PRESENCE: Presence[] = ['no', 'maybe', 'yes'];
const most = (a: Presence, b: Presence) => (PRESENCE.indexOf(a) >= PRESENCE.indexOf(b) ? a : b);
const least = (a: Presence, b: Presence) => (PRESENCE.indexOf(a) <= PRESENCE.indexOf(b) ? a : b);

function asList<T>(value: T | T[] | undefined): T[] {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? value : [value];
}

function statementsOf(document: PolicyDocument | null | undefined): PolicyStatement[] {
  return asList(document?.Statement ?? undefined).filter((s) => typeof s === 'object' && s !== null);
}

function accountOf(arn: string): string {
  return arn.split(':')[4] ?? '';
}

function roleNameOf(arn: string): string {
  return arn.slice(arn.lastIndexOf('/') + 1);
}

// --- Trust policies ---------------------------------------------------------------------------------

type Admission = 'principal_arn' | 'account' | 'anyone';

/**
 * How a trust statement's Principal names the caller: its ARN (a role's ARN also names its sessions,
 * and an `assumed-role/<role>/<session>` ARN names a session the caller can choose), its account, or
 * anyone. Service, federated and other accounts' principals never name an IAM user or role of ours.
 */
function principalAdmits(principalElement: unknown, caller: PrincipalPolicies): Admission | null {
  if (principalElement === '*') return 'anyone';
  if (typeof principalElement !== 'object' || principalElement === null) return null;
  const account = accountOf(caller.arn);
  const sessionPrefix = `arn:${caller.arn.split(':')[1]}:sts::${account}:assumed-role/${roleNameOf(caller.arn)}/`;
  let best: Admission | null = null;
  for (const value of asList((principalElement as { AWS?: string | string[] }).AWS)) {
    if (typeof value !== 'string') continue;
    if (value === '*') return 'anyone';
    if (value === caller.arn) return 'principal_arn';
    if (caller.type === 'role' && value.startsWith(sessionPrefix)) return 'principal_arn';
    if (value === account || value === `arn:${caller.arn.split(':')[1]}:iam::${account}:root`)
      best = 'account';
  }
  return best;
}

interface TrustVerdict {
  /** A Deny of the trust policy applies to the caller ('maybe': only under unknown conditions). */
  deny: Presence;
  /** An Allow names the caller by ARN or `*`. */
  byArn: Presence;
  /** An Allow trusts the caller's account (the identity policies decide). */
  byAccount: Presence;
  trustedBy: StatementRef[];
  unknowns: UnknownOutcome[];
  admittedBy: Admission | null;
}

function trustVerdict(role: RoleWithTrust, caller: PrincipalPolicies, values: RequestValues): TrustVerdict {
  const source: PolicySource = { kind: 'trust', roleArn: role.principal.arn };
  const verdict: TrustVerdict = {
    deny: 'no',
    byArn: 'no',
    byAccount: 'no',
    trustedBy: [],
    unknowns: [],
    admittedBy: null,
  };
  statementsOf(role.trustPolicy).forEach((statement, index) => {
    const actions = statement.Action ?? statement.NotAction;
    if (!actionElementMatches(asList(actions), statement.Action === undefined, ASSUME_ROLE)) return;
    let admission: Admission | null;
    let presence: Presence = 'yes';
    if (statement.NotPrincipal !== undefined) {
      // Rare in trust policies and not evaluated here: it may name the caller or not.
      admission = 'account';
      presence = 'maybe';
      verdict.unknowns.push({
        unknown: 'the trust policy uses NotPrincipal, which this analysis does not evaluate',
      });
    } else admission = principalAdmits(statement.Principal, caller);
    if (!admission) return;
    const condition = evaluateConditionBlock(statement.Condition, values);
    if (condition === false) return;
    if (isUnknown(condition)) {
      presence = 'maybe';
      verdict.unknowns.push(condition);
    }
    const ref: StatementRef = { source, index, statement, ...(statement.Sid ? { sid: statement.Sid } : {}) };
    if (statement.Effect === 'Deny') verdict.deny = most(verdict.deny, presence);
    else if (statement.Effect === 'Allow') {
      verdict.trustedBy.push(ref);
      if (admission === 'account') verdict.byAccount = most(verdict.byAccount, presence);
      else verdict.byArn = most(verdict.byArn, presence);
      if (presence === 'yes' || !verdict.admittedBy) verdict.admittedBy = admission;
    }
  });
  return verdict;
}

// --- One sts:AssumeRole -----------------------------------------------------------------------------

/** The identity side of `sts:AssumeRole` on one role: allow, unknown, or denied (implicit or explicit). */
function identityPresence(result: EvaluationResult): { allow: Presence; deny: Presence } {
  switch (result.decision) {
    case 'allow':
      return { allow: 'yes', deny: 'no' };
    case 'explicit_deny':
      return { allow: 'no', deny: 'yes' };
    case 'implicit_deny':
      return { allow: 'no', deny: 'no' };
    default:
      return {
        allow:
          result.allowedBy.length > 0 || result.undecided.some((u) => u.ref.statement?.Effect === 'Allow')
            ? 'maybe'
            : 'no',
        deny: result.undecided.some((u) => u.ref.statement?.Effect !== 'Allow') ? 'maybe' : 'no',
      };
  }
}

function assumeStep(
  role: RoleWithTrust,
  identity: EvaluationResult,
  trustOf: () => TrustVerdict,
): RoleAssumptionStep | null {
  const id = identityPresence(identity);
  if (id.deny === 'yes') return null;
  const base = { roleArn: role.principal.arn, roleName: role.principal.name };
  if (role.trustPolicy === null) {
    // Not collected: the identity policies may allow it, the trust policy may or may not admit.
    if (id.allow === 'no') return null;
    return {
      ...base,
      decision: 'unknown',
      admittedBy: 'not_collected',
      allowedBy: identity.allowedBy,
      trustedBy: [],
      reason: `the trust policy of role ${role.principal.name} was not collected`,
    };
  }
  const trust = trustOf();
  if (trust.deny === 'yes') return null;
  // An ARN-level grant needs no identity Allow, but an undecided identity Deny may still block it.
  const byArn = id.deny === 'maybe' ? least(trust.byArn, 'maybe') : trust.byArn;
  let allow = most(byArn, least(trust.byAccount, id.allow));
  if (trust.deny === 'maybe' || id.deny === 'maybe') allow = least(allow, 'maybe');
  if (allow === 'no') return null;
  const unknowns = [
    ...trust.unknowns,
    ...identity.undecided.map((u) => ({ unknown: u.reason, keys: u.keys })),
  ];
  const conditionKeys = keysOf(unknowns);
  const usesIdentity = byArn !== 'yes';
  return {
    ...base,
    decision: allow === 'yes' ? 'allow' : 'unknown',
    admittedBy: trust.admittedBy ?? 'account',
    allowedBy: usesIdentity ? identity.allowedBy : [],
    trustedBy: trust.trustedBy,
    ...(allow === 'maybe'
      ? { reason: [...new Set(unknowns.map((u) => u.unknown))].join('; ') || 'undecided' }
      : {}),
    ...(allow === 'maybe' && conditionKeys.length > 0 ? { conditionKeys } : {}),
  };
}

/**
 * Resource patterns of `sts:AssumeRole` Allow statements that name another account's role: access
 * through those roles cannot be decided from this connection. A wildcard account (`*`) is judged on
 * this account's roles only (CHECKS.md, "Decision: roles of other accounts").
 */
function otherAccountRoles(
  principal: PrincipalPolicies,
  accountId: string,
  ownRolesCollected: boolean,
): OtherAccountRole[] {
  const byPattern = new Map<string, StatementRef[]>();
  const otherPatterns = new Set<string>();
  for (const policy of principal.policies) {
    statementsOf(policy.document).forEach((statement, index) => {
      if (statement.Effect !== 'Allow' || statement.Action === undefined) return;
      if (!actionElementMatches(asList(statement.Action), false, ASSUME_ROLE)) return;
      for (const pattern of asList(statement.Resource)) {
        const account = typeof pattern === 'string' ? pattern.split(':')[4] : undefined;
        const other = account !== undefined && /^\d{12}$/.test(account) && account !== accountId;
        // Without the account's own roles, any pattern that may name one of them is undecided too.
        const unseenOwn = !ownRolesCollected && (pattern === '*' || account === accountId || account === '*');
        if (!other && !unseenOwn) continue;
        const ref: StatementRef = {
          source: policy.source,
          index,
          statement,
          ...(statement.Sid ? { sid: statement.Sid } : {}),
        };
        byPattern.set(pattern, [...(byPattern.get(pattern) ?? []), ref]);
        if (other) otherPatterns.add(pattern);
      }
    });
  }
  return [...byPattern].map(([resourcePattern, statements]) => ({
    why: otherPatterns.has(resourcePattern) ? ('other_account' as const) : ('roles_not_collected' as const),
    resourcePattern,
    statements,
  }));
}

// --- Memo keys --------------------------------------------------------------------------------------

const mentionsPrincipal = new WeakMap<object, boolean>();

/** Whether a policy's answers can depend on who the principal is (variables, principal keys). */
function dependsOnPrincipal(policy: NamedPolicy): boolean {
  const document = policy.document as object | undefined;
  if (!document) return false;
  let known = mentionsPrincipal.get(document);
  if (known === undefined) {
    const text = JSON.stringify(document).toLowerCase();
    known =
      text.includes('${') ||
      text.includes('aws:principal') ||
      text.includes('aws:username') ||
      text.includes('aws:userid');
    mentionsPrincipal.set(document, known);
  }
  return known;
}

function sourceKey(source: PolicySource): string {
  switch (source.kind) {
    case 'inline':
      return `i|${source.ownerArn}|${source.policyName}`;
    case 'managed':
      return `m|${source.policyArn}|${source.versionId ?? ''}`;
    case 'boundary':
      return `b|${source.policyArn}`;
    case 'trust':
      return `t|${source.roleArn}`;
  }
}

/**
 * What decides a principal's `sts:AssumeRole` evaluations: its policy set (and, when a policy refers
 * to the principal, the principal itself).
 */
function identityKey(principal: PrincipalPolicies): string {
  const policies = [
    ...principal.policies,
    ...(principal.permissionsBoundary ? [principal.permissionsBoundary] : []),
  ];
  const personal = policies.some(dependsOnPrincipal)
    ? `|${principal.arn}|${JSON.stringify(principal.tags ?? null)}`
    : '';
  return `${principal.type}|${policies.map((p) => sourceKey(p.source)).join(',')}${personal}`;
}

// --- The role graph ---------------------------------------------------------------------------------

interface RoleNode {
  role: RoleWithTrust;
  own: CodeCommitAccessSummary;
  /** What a path into this role says of it, built once per run (its grants span every repository). */
  target?: { role: RoleAccessPath['role']; unknownKeys: string[] };
}

interface PartialPath {
  steps: RoleAssumptionStep[];
  decision: 'allow' | 'unknown';
}

/**
 * Every grant of a summary, each grant list once: repositories analysed alike share one list, so a
 * role's 1,000 repositories under one policy are a few lists, not 1,000.
 */
function distinctGrants(summary: CodeCommitAccessSummary) {
  const lists = new Set([...summary.repositories, ...(summary.regions ?? [])].map((r) => r.grants));
  return [...lists].flat();
}

function grantingSources(summary: CodeCommitAccessSummary): PolicySource[] {
  const seen = new Map<string, PolicySource>();
  for (const grant of distinctGrants(summary)) {
    if (grant.decision !== 'allow') continue;
    for (const ref of grant.statements)
      if (ref.source.kind !== 'boundary' && !seen.has(sourceKey(ref.source)))
        seen.set(sourceKey(ref.source), ref.source);
  }
  return [...seen.values()];
}

function ownUnknownKeys(summary: CodeCommitAccessSummary): string[] {
  if (summary.ownAccess !== 'unknown' && summary.hasAccess !== 'unknown') return [];
  return [...new Set(distinctGrants(summary).flatMap((g) => g.conditionKeys ?? []))];
}

export function createAccessAnalysis(input: AccessAnalysisInput): AccessAnalysis {
  const { scope } = input;
  const analyzeOwn =
    input.ownAccess ?? ((p: PrincipalPolicies) => analyzeCodeCommitAccess(p, input.repositories, scope));
  // A role is analysed as a target of others' paths and as a principal of its own: once.
  const ownByPrincipal = new WeakMap<PrincipalPolicies, CodeCommitAccessSummary>();
  const own = (p: PrincipalPolicies) => {
    let summary = ownByPrincipal.get(p);
    if (!summary) {
      summary = analyzeOwn(p);
      ownByPrincipal.set(p, summary);
    }
    return summary;
  };
  const roles = (input.roles ?? []).filter((r) => accountOf(r.principal.arn) === scope.accountId);
  const nodes = new Map<string, RoleNode>();
  const nodeOf = (role: RoleWithTrust): RoleNode => {
    let node = nodes.get(role.principal.arn);
    if (!node) {
      node = { role, own: own(role.principal) };
      nodes.set(role.principal.arn, node);
    }
    return node;
  };
  // Trust policies that name principals by ARN, indexed, so a principal without sts:AssumeRole of its
  // own is checked against the few roles that name it, not against every role.
  const rolesNaming = new Map<string, RoleWithTrust[]>();
  const rolesTrustingAnyone: RoleWithTrust[] = [];
  const namedBy = new Map<string, Set<string>>();
  const genericTrust = new Map<string, boolean>();
  for (const role of roles) {
    const named = new Set<string>();
    let anyone = role.trustPolicy === null;
    for (const statement of statementsOf(role.trustPolicy)) {
      if (statement.Principal === '*' || statement.NotPrincipal !== undefined) anyone = true;
      const aws =
        typeof statement.Principal === 'object' && statement.Principal !== null
          ? asList((statement.Principal as { AWS?: string | string[] }).AWS)
          : [];
      for (const value of aws) {
        if (value === '*') anyone = true;
        else if (typeof value === 'string')
          named.add(
            value.includes(':assumed-role/')
              ? value.replace(/^arn:([^:]+):sts::(\d+):assumed-role\/([^/]+)\/.*$/, 'role-name:$2:$3')
              : value,
          );
      }
    }
    if (anyone) rolesTrustingAnyone.push(role);
    for (const arn of named) rolesNaming.set(arn, [...(rolesNaming.get(arn) ?? []), role]);
    namedBy.set(role.principal.arn, named);
    // A trust policy that names no one in particular and reads no principal key answers every caller
    // of one type alike: its verdict is computed once per caller type.
    genericTrust.set(
      role.principal.arn,
      role.trustPolicy === null ||
        !dependsOnPrincipal({
          source: { kind: 'trust', roleArn: role.principal.arn },
          document: role.trustPolicy,
        }),
    );
  }

  const identityMemo = new Map<
    string,
    { results: Map<string, EvaluationResult>; others: OtherAccountRole[]; assumes: boolean }
  >();
  /** The caller's identity-side answers for sts:AssumeRole, once per policy set. */
  const identityAnswers = (caller: PrincipalPolicies) => {
    const key = identityKey(caller);
    let memo = identityMemo.get(key);
    if (!memo) {
      const answers = createPrincipalEvaluator(caller).evaluateResources(
        { action: ASSUME_ROLE, missingKeys: 'unknown' },
        roles.map((role) => role.principal.arn),
      );
      const results = new Map<string, EvaluationResult>();
      let assumes = false;
      answers.forEach((result, i) => {
        results.set(roles[i]!.principal.arn, result);
        if (result.decision !== 'implicit_deny' || result.undecided.length > 0) assumes = true;
      });
      memo = { results, others: otherAccountRoles(caller, scope.accountId, input.roles !== null), assumes };
      identityMemo.set(key, memo);
    }
    return memo;
  };
  const NO_ALLOW: EvaluationResult = {
    decision: 'implicit_deny',
    allowedBy: [],
    deniedBy: [],
    undecided: [],
  };

  /** Every role the caller may assume directly, with the step. */
  const stepsFrom = (caller: PrincipalPolicies): RoleAssumptionStep[] => {
    const answers = identityAnswers(caller);
    const candidates = answers.assumes
      ? roles
      : [
          ...new Set([
            ...(rolesNaming.get(caller.arn) ?? []),
            ...(caller.type === 'role'
              ? (rolesNaming.get(`role-name:${accountOf(caller.arn)}:${caller.name}`) ?? [])
              : []),
            ...rolesTrustingAnyone,
          ]),
        ];
    const steps: RoleAssumptionStep[] = [];
    let values: RequestValues | undefined;
    const callerValues = () => {
      values ??= buildRequestValues(
        principalRequestContext(caller, { action: ASSUME_ROLE, resource: '', missingKeys: 'unknown' }),
      );
      return values;
    };
    const callerName = `role-name:${accountOf(caller.arn)}:${caller.name}`;
    for (const role of candidates) {
      if (role.principal.arn === caller.arn) continue;
      const arn = role.principal.arn;
      const named = namedBy.get(arn);
      const generic =
        genericTrust.get(arn) === true &&
        !named?.has(caller.arn) &&
        !(caller.type === 'role' && named?.has(callerName));
      const trustOf = () => {
        if (!generic) return trustVerdict(role, caller, callerValues());
        const key = `${arn}|${caller.type}`;
        let verdict = genericVerdicts.get(key);
        if (!verdict) {
          verdict = trustVerdict(role, caller, callerValues());
          genericVerdicts.set(key, verdict);
        }
        return verdict;
      };
      const step = assumeStep(role, answers.results.get(arn) ?? NO_ALLOW, trustOf);
      if (step) steps.push(step);
    }
    return steps;
  };
  const genericVerdicts = new Map<string, TrustVerdict>();

  const roleSteps = new Map<string, RoleAssumptionStep[]>();
  const stepsOfRole = (node: RoleNode) => {
    let steps = roleSteps.get(node.role.principal.arn);
    if (!steps) {
      steps = stepsFrom(node.role.principal);
      roleSteps.set(node.role.principal.arn, steps);
    }
    return steps;
  };
  const byArn = new Map(roles.map((r) => [r.principal.arn, r]));

  /**
   * From a role, the best chain to each role with access of its own (itself included, with no steps):
   * breadth first over allowed steps, then over all, so a sure path wins over a shorter undecided one;
   * a role already on the way is never entered again (cycle guard). Once per role per run.
   */
  const reachMemo = new Map<string, Map<string, PartialPath>>();
  const reachFrom = (start: RoleWithTrust): Map<string, PartialPath> => {
    const cached = reachMemo.get(start.principal.arn);
    if (cached) return cached;
    const best = new Map<string, PartialPath>();
    for (const sureOnly of [true, false]) {
      const seen = new Set([start.principal.arn]);
      let frontier: { arn: string; path: PartialPath }[] = [
        { arn: start.principal.arn, path: { steps: [], decision: 'allow' } },
      ];
      while (frontier.length > 0) {
        const next: typeof frontier = [];
        for (const { arn, path } of frontier) {
          const node = nodeOf(byArn.get(arn)!);
          if (node.own.hasAccess !== false && !best.has(arn)) best.set(arn, path);
          for (const step of stepsOfRole(node)) {
            if (seen.has(step.roleArn) || !byArn.has(step.roleArn)) continue;
            if (sureOnly && step.decision !== 'allow') continue;
            seen.add(step.roleArn);
            next.push({
              arn: step.roleArn,
              path: {
                steps: [...path.steps, step],
                decision: step.decision === 'allow' ? path.decision : 'unknown',
              },
            });
          }
        }
        frontier = next;
      }
    }
    reachMemo.set(start.principal.arn, best);
    return best;
  };

  const targetOf = (node: RoleNode) => {
    node.target ??= {
      role: {
        arn: node.role.principal.arn,
        name: node.role.principal.name,
        access: node.own.hasAccess,
        level: node.own.level,
        grantedBy: grantingSources(node.own),
      },
      unknownKeys: ownUnknownKeys(node.own),
    };
    return node.target;
  };

  const toPath = (
    steps: RoleAssumptionStep[],
    decision: 'allow' | 'unknown',
    node: RoleNode,
  ): RoleAccessPath => {
    const target = targetOf(node);
    const conditionKeys = [
      ...new Set([...steps.flatMap((s) => s.conditionKeys ?? []), ...target.unknownKeys]),
    ];
    return {
      steps,
      decision: decision === 'allow' && target.role.access === true ? 'allow' : 'unknown',
      role: target.role,
      conditionKeys,
    };
  };

  /** Every role with access the principal reaches, best path per role, best first. */
  const pathsFor = (principal: PrincipalPolicies): RoleAccessPath[] => {
    const best = new Map<string, RoleAccessPath>();
    for (const step of stepsFrom(principal)) {
      const first = byArn.get(step.roleArn);
      if (!first) continue;
      for (const [targetArn, rest] of reachFrom(first)) {
        if (targetArn === principal.arn || rest.steps.some((s) => s.roleArn === principal.arn)) continue;
        const path = toPath(
          [step, ...rest.steps],
          step.decision === 'allow' ? rest.decision : 'unknown',
          nodes.get(targetArn)!,
        );
        const known = best.get(targetArn);
        if (!known || rank(path) < rank(known)) best.set(targetArn, path);
      }
    }
    return [...best.values()].sort((a, b) => rank(a) - rank(b) || a.role.name.localeCompare(b.role.name));
  };
  // Users whose policy set is the same and whom no trust policy singles out reach the same roles the
  // same way: their paths are computed once per policy set.
  const personalTrust = (r: RoleWithTrust) => genericTrust.get(r.principal.arn) !== true;
  const someTrustIsPersonal = roles.some(personalTrust);
  const someOpenTrustIsPersonal = rolesTrustingAnyone.some(personalTrust);
  const pathsMemo = new Map<string, RoleAccessPath[]>();
  const pathsOf = (principal: PrincipalPolicies): RoleAccessPath[] => {
    const shared =
      principal.type === 'user' &&
      !rolesNaming.has(principal.arn) &&
      !(identityAnswers(principal).assumes ? someTrustIsPersonal : someOpenTrustIsPersonal);
    if (!shared) return pathsFor(principal);
    const key = identityKey(principal);
    let paths = pathsMemo.get(key);
    if (!paths) {
      paths = pathsFor(principal);
      pathsMemo.set(key, paths);
    }
    return paths;
  };

  return {
    analyze(principal) {
      const summary = own(principal);
      const paths = pathsOf(principal);
      const others = identityAnswers(principal).others;
      const ownAccess = summary.ownAccess ?? summary.hasAccess;
      const hasAccess =
        ownAccess === true || paths.some((p) => p.decision === 'allow')
          ? true
          : ownAccess === 'unknown' || paths.length > 0 || others.length > 0
            ? ('unknown' as const)
            : false;
      const level = paths
        .filter((p) => p.decision === 'allow')
        .reduce<AccessLevel>((l, p) => higher(l, p.role.level), summary.level);
      return {
        ...summary,
        hasAccess,
        ownAccess,
        level,
        // The memoised list itself when it is short enough: principals of one policy set then share it,
        // and what is built from it downstream is built once (evidence-views and principals.ts key on it).
        viaRoles: paths.length > MAX_ROLE_PATHS ? paths.slice(0, MAX_ROLE_PATHS) : paths,
        ...(paths.length > MAX_ROLE_PATHS ? { viaRoleCount: paths.length } : {}),
        ...(others.length > 0 ? { otherAccountRoles: others } : {}),
        considered: {
          repositories: input.repositories.length,
          regions: scope.regions.length,
          roles: roles.length,
        },
      };
    },
  };
}

/** Sure paths first, then shorter ones. */
function rank(path: RoleAccessPath): number {
  return (path.decision === 'allow' ? 0 : 1000) + path.steps.length;
}
