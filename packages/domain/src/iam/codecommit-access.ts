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
  RepositoryAccess,
  RepositoryRef,
  RequestContext,
} from './types.js';

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
  return {
    action,
    decision: 'unknown',
    statements: [...result.allowedBy, ...result.undecided.map(({ ref }) => ref)],
    reason: result.undecided.map(({ reason }) => reason).join('; '),
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
  return JSON.stringify([region, account, repository.tags ?? null, repository.defaultBranch, matches]);
}

/**
 * What a principal may do in each repository. `hasAccess` is true when some catalogued action is allowed
 * on some repository, `'unknown'` when some is only undecided. Undecided actions are reported as grants
 * with decision `'unknown'` but do not raise the level.
 */
export function analyzeCodeCommitAccess(
  principal: PrincipalPolicies,
  repositories: RepositoryRef[],
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
  const bySignature = new Map<string, RepositoryAccess>();
  const analyzed = repositories.map((repository) => {
    const signature = repositorySignature(principal, patterns, repository);
    const known = bySignature.get(signature);
    if (known) return { ...known, repositoryName: repository.name, repositoryArn: repository.arn };
    const access = analyzeRepository(evaluator, repository);
    bySignature.set(signature, access);
    return access;
  });
  const grants = analyzed.flatMap((repository) => repository.grants);
  const hasAccess = grants.some((grant) => grant.decision === 'allow')
    ? true
    : grants.length > 0
      ? ('unknown' as const)
      : false;
  return {
    principalArn: principal.arn,
    principalType: principal.type,
    hasAccess,
    level: analyzed.reduce<AccessLevel>((level, repository) => higherLevel(level, repository.level), 'none'),
    repositories: analyzed,
  };
}
