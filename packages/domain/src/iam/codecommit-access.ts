/**
 * Effective CodeCommit access of a principal: per repository, every catalogued action its policies
 * allow (or might allow), the resulting level, and whether it can change the default branch without a
 * pull request or override approval rules (DESIGN: "Has CodeCommit access", checks 1–3).
 */
import {
  CODECOMMIT_ACTIONS,
  DEFAULT_BRANCH_BYPASS_ACTIONS,
  OVERRIDE_APPROVAL_RULES_ACTION,
} from './codecommit-actions.js';
import { createPrincipalEvaluator, type PrincipalEvaluator, principalRequestContext } from './evaluate.js';
import { resourceMatchesPattern } from './matching.js';
import { buildRequestValues } from './request-context.js';
import type {
  AccessLevel,
  ActionGrant,
  CodeCommitAccessSummary,
  ContextValue,
  EvaluationResult,
  NamedPolicy,
  PolicyStatement,
  PrincipalPolicies,
  RegionAccess,
  RepositoryAccess,
  RepositoryRef,
  RequestContext,
} from './types.js';
import { keysOf } from './unknown-keys.js';

const LEVEL_ORDER: AccessLevel[] = ['none', 'read', 'write', 'admin'];

function higherLevel(a: AccessLevel, b: AccessLevel): AccessLevel {
  return LEVEL_ORDER.indexOf(a) >= LEVEL_ORDER.indexOf(b) ? a : b;
}

// Only these CodeCommit actions carry tags in the request (aws:RequestTag/*, aws:TagKeys).
const TAGGING_ACTIONS = new Set([
  'codecommit:tagresource',
  'codecommit:untagresource',
  'codecommit:createrepository',
]);

/**
 * The request an analysis evaluates for `action` on `repository`. Keys the analysis cannot know (the
 * caller's IP, MFA, time, …) are left unknown, so a condition on them makes the answer `unknown` rather
 * than a guess; keys it knows are set: `aws:RequestedRegion` and `aws:ResourceAccount` from the ARN,
 * `aws:ResourceTag/*` when the repository's tags are given, and `codecommit:References` when `references`
 * is given. Without `references` the key is absent: the request touches no particular branch, which is
 * how AWS's "protect a branch" policy (`Null: {codecommit:References: false}`) leaves other pushes alone.
 * Principal keys (`aws:username`, …) are added by `evaluatePrincipal`.
 */
export function buildCodeCommitRequest(
  repository: RepositoryRef,
  action: string,
  options: { references?: string[] } = {},
): RequestContext {
  const parts = repository.arn.split(':');
  const context: Record<string, ContextValue> = {};
  if (parts[3]) context['aws:RequestedRegion'] = parts[3];
  if (parts[4]) context['aws:ResourceAccount'] = parts[4];
  for (const [key, value] of Object.entries(repository.tags ?? {})) context[`aws:ResourceTag/${key}`] = value;
  const knownAbsentKeys: string[] = [];
  if (options.references) context['codecommit:References'] = options.references;
  else knownAbsentKeys.push('codecommit:References');
  if (repository.tags) knownAbsentKeys.push('aws:ResourceTag/*');
  if (!TAGGING_ACTIONS.has(action.toLowerCase())) knownAbsentKeys.push('aws:RequestTag/*', 'aws:TagKeys');
  return { action, resource: repository.arn, context, missingKeys: 'unknown', knownAbsentKeys };
}

/** A grant for an allowed or undecided result; `null` when the action is denied. */
export function grantOf(action: string, result: EvaluationResult): ActionGrant | null {
  if (result.decision === 'allow') return { action, decision: 'allow', statements: result.allowedBy };
  if (result.decision !== 'unknown') return null;
  const conditionKeys = keysOf(result.undecided);
  return {
    action,
    decision: 'unknown',
    statements: [...result.allowedBy, ...result.undecided.map(({ ref }) => ref)],
    reason: [...new Set(result.undecided.map(({ reason }) => reason))].join('; '),
    ...(conditionKeys.length > 0 ? { conditionKeys } : {}),
  };
}

const REPOSITORY_ACTIONS = CODECOMMIT_ACTIONS.filter((info) => info.resourceType === 'repository');
// Tagging actions get a request of their own: only they may carry aws:RequestTag/* and aws:TagKeys.
const ACTION_GROUPS = [
  REPOSITORY_ACTIONS.filter((info) => TAGGING_ACTIONS.has(info.action.toLowerCase())),
  REPOSITORY_ACTIONS.filter((info) => !TAGGING_ACTIONS.has(info.action.toLowerCase())),
];

function analyzeRepository(evaluator: PrincipalEvaluator, repository: RepositoryRef): RepositoryAccess {
  const grantsByAction = new Map<string, ActionGrant>();
  let level: AccessLevel = 'none';
  // Actions without a repository resource (ListRepositories, approval rule templates) say nothing
  // about access to this repository, so only repository actions are asked.
  for (const group of ACTION_GROUPS) {
    const first = group[0];
    if (!first) continue;
    const request = buildCodeCommitRequest(repository, first.action);
    const actions = group.map((info) => info.action);
    evaluator.evaluateActions(request, actions).forEach((result, index) => {
      const info = group[index]!;
      const grant = grantOf(info.action, result);
      if (!grant) return;
      grantsByAction.set(info.action, grant);
      if (grant.decision === 'allow') level = higherLevel(level, info.category);
    });
  }
  // Catalog order, whatever the grouping.
  const grants = REPOSITORY_ACTIONS.flatMap((info) => grantsByAction.get(info.action) ?? []);

  const defaultBranchBypass: ActionGrant[] = [];
  if (repository.defaultBranch) {
    const references = [`refs/heads/${repository.defaultBranch}`];
    const request = buildCodeCommitRequest(repository, DEFAULT_BRANCH_BYPASS_ACTIONS[0]!, { references });
    evaluator.evaluateActions(request, DEFAULT_BRANCH_BYPASS_ACTIONS).forEach((result, index) => {
      const grant = grantOf(DEFAULT_BRANCH_BYPASS_ACTIONS[index]!, result);
      if (grant) defaultBranchBypass.push(grant);
    });
  }

  return {
    repositoryName: repository.name,
    repositoryArn: repository.arn,
    level,
    grants,
    defaultBranchBypass,
    overrideApprovalRules: grantsByAction.get(OVERRIDE_APPROVAL_RULES_ACTION) ?? null,
  };
}

function statementsOf(policy: NamedPolicy): PolicyStatement[] {
  const statements = policy.document?.Statement;
  if (statements === undefined || statements === null) return [];
  return Array.isArray(statements) ? statements : [statements];
}

function asList(value: string | string[] | undefined): string[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

/**
 * What decides the analysis of a repository for this principal, as a string: the request keys taken
 * from the repository (region, account, tags, default branch) and how each Resource/NotResource pattern
 * of the principal's policies matches its ARN, in each request the analysis makes. Two repositories with
 * the same signature get the same answers, so thousands of repositories under a few patterns are
 * evaluated a few times, not thousands.
 */
function repositorySignature(
  principal: PrincipalPolicies,
  patterns: string[],
  repository: RepositoryRef,
  regionMatters = true,
): string {
  const requests = [
    buildCodeCommitRequest(repository, 'codecommit:GetRepository'),
    buildCodeCommitRequest(repository, 'codecommit:TagResource'),
  ];
  if (repository.defaultBranch) {
    const references = [`refs/heads/${repository.defaultBranch}`];
    requests.push(buildCodeCommitRequest(repository, 'codecommit:GitPush', { references }));
  }
  const matches = requests.map((request) => {
    const values = buildRequestValues(principalRequestContext(principal, request));
    return patterns.map((pattern) => resourceMatchesPattern(pattern, repository.arn, values));
  });
  const [, , , region, account] = repository.arn.split(':');
  return JSON.stringify([
    regionMatters ? region : null,
    account,
    repository.tags ?? null,
    repository.defaultBranch,
    matches,
  ]);
}

/** The account's CodeCommit beyond the synced repositories: every Region a grant could reach. */
export interface CodeCommitScope {
  accountId: string;
  partition: string;
  /** The partition's CodeCommit Regions. */
  regions: readonly string[];
}

/** `arn:aws:codecommit:us-west-2:111122223333:*`: the account's CodeCommit in one Region. */
export function regionRepositoryPattern(
  scope: Pick<CodeCommitScope, 'accountId' | 'partition'>,
  region: string,
) {
  return `arn:${scope.partition}:codecommit:${region}:${scope.accountId}:*`;
}

const WILDCARD_SEGMENT = /^[*?]*$/;

function globMatches(pattern: string, value: string): boolean {
  if (WILDCARD_SEGMENT.test(pattern) && pattern.includes('*')) return true;
  const escaped = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${escaped}$`, 'i').test(value);
}

/**
 * Repository ARNs that stand for "some repository" of the account in `region`, one per Resource pattern
 * of the principal's Allow statements that could name a repository there (wildcards filled with a
 * letter, `${aws:username}` and `${aws:userid}` with the principal's), plus one generic name. If any of
 * them is allowed, the principal has CodeCommit access in that Region, whatever repositories exist.
 */
function regionWitnesses(
  principal: PrincipalPolicies,
  scope: CodeCommitScope,
  region: string,
  patterns: readonly string[],
): string[] {
  const prefix = `arn:${scope.partition}:codecommit:${region}:${scope.accountId}:`;
  const witnesses = new Set([`${prefix}any-repository`]);
  for (const pattern of patterns) {
    if (!pattern.startsWith('arn:')) continue;
    const parts = pattern.split(':');
    const [, partition = '*', service = '*', patternRegion = '*', account = '*'] = parts;
    const resource = parts.length >= 6 ? parts.slice(5).join(':') : '*';
    if (!globMatches(partition, scope.partition) || !globMatches(service, 'codecommit')) continue;
    if (!globMatches(patternRegion, region) || !globMatches(account, scope.accountId)) continue;
    let name = resource.replace(/\$\{aws:username\}/gi, principal.type === 'user' ? principal.name : '');
    if (principal.userId) name = name.replace(/\$\{aws:userid\}/gi, principal.userId);
    name = name
      .replace(/\$\{\*\}/g, '*')
      .replace(/\$\{\?\}/g, '?')
      .replace(/\$\{\$\}/g, '$');
    if (name.includes('${') || name === '') continue;
    witnesses.add(prefix + name.replace(/[*?]/g, 'w'));
  }
  return [...witnesses];
}

/** The grants of several analyses of one Region, merged per action: an allow wins over an unknown. */
function mergeGrants(analyses: readonly RepositoryAccess[]): ActionGrant[] {
  const byAction = new Map<string, ActionGrant>();
  for (const analysis of analyses)
    for (const grant of analysis.grants) {
      const known = byAction.get(grant.action);
      if (!known || (known.decision === 'unknown' && grant.decision === 'allow'))
        byAction.set(grant.action, grant);
    }
  return REPOSITORY_ACTIONS.flatMap((info) => byAction.get(info.action) ?? []);
}

function summaryAccess(grants: readonly ActionGrant[]): boolean | 'unknown' {
  if (grants.some((grant) => grant.decision === 'allow')) return true;
  return grants.length > 0 ? 'unknown' : false;
}

/**
 * What a principal may do through its own policies: in each synced repository, and, with `scope`, in
 * each CodeCommit Region of the account (so a grant scoped to a Region that is not synced counts).
 * `hasAccess` is true when some catalogued action is allowed somewhere, `'unknown'` when some is only
 * undecided. Undecided actions are reported as grants with decision `'unknown'` but do not raise the level.
 */
export function analyzeCodeCommitAccess(
  principal: PrincipalPolicies,
  repositories: RepositoryRef[],
  scope?: CodeCommitScope,
): CodeCommitAccessSummary {
  const evaluator = createPrincipalEvaluator(principal);
  const policies = [
    ...principal.policies,
    ...(principal.permissionsBoundary ? [principal.permissionsBoundary] : []),
  ];
  const patterns = [
    ...new Set(
      policies
        .flatMap(statementsOf)
        .flatMap((statement) => [...asList(statement?.Resource), ...asList(statement?.NotResource)]),
    ),
  ];
  // Only a condition on the Region makes two Regions differ beyond their ARNs' pattern matches.
  const regionMatters = policies.some((policy) =>
    JSON.stringify(policy.document ?? null)
      .toLowerCase()
      .includes('aws:requestedregion'),
  );
  const bySignature = new Map<string, RepositoryAccess>();
  const analyze = (repository: RepositoryRef): RepositoryAccess => {
    const signature = repositorySignature(principal, patterns, repository, regionMatters);
    const known = bySignature.get(signature);
    if (known) return { ...known, repositoryName: repository.name, repositoryArn: repository.arn };
    const access = analyzeRepository(evaluator, repository);
    bySignature.set(signature, access);
    return access;
  };
  const analyzed = repositories.map(analyze);

  const regions: RegionAccess[] = [];
  if (scope) {
    const allowPatterns = [
      ...new Set(
        principal.policies
          .flatMap(statementsOf)
          .filter((statement) => statement?.Effect === 'Allow')
          .flatMap((statement) => asList(statement.Resource)),
      ),
    ];
    for (const region of scope.regions) {
      const witnesses = regionWitnesses(principal, scope, region, allowPatterns).map((arn) =>
        analyze({ name: arn.slice(arn.lastIndexOf(':') + 1), arn, defaultBranch: null }),
      );
      const grants = mergeGrants(witnesses);
      if (grants.length === 0) continue;
      regions.push({
        region,
        resourcePattern: regionRepositoryPattern(scope, region),
        level: witnesses.reduce<AccessLevel>((level, w) => higherLevel(level, w.level), 'none'),
        grants,
      });
    }
  }

  const grants = [
    ...analyzed.flatMap((repository) => repository.grants),
    ...regions.flatMap((r) => r.grants),
  ];
  const ownAccess = summaryAccess(grants);
  return {
    principalArn: principal.arn,
    principalType: principal.type,
    hasAccess: ownAccess,
    ownAccess,
    level: [...analyzed, ...regions].reduce<AccessLevel>((level, r) => higherLevel(level, r.level), 'none'),
    repositories: analyzed,
    ...(scope ? { regions } : {}),
  };
}
