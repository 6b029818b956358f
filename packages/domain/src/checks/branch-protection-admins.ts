import type { ActionGrant, CodeCommitAccessSummary } from '../iam/types.js';
import { inventoryGapFindings, unlessScopeMissing } from './completeness.js';
import { type CheckEvidence, type RepositoryEvidence, SYNC_STEPS } from './evidence.js';
import { capitalize, listPhrase } from './format.js';
import { credentialState, distinctStatements } from './principals.js';
import {
  type CheckDefinition,
  type CheckResult,
  type CheckSteps,
  type Finding,
  judgedRepositoriesSteps,
  type RepositoryJudgementSteps,
  runSteps,
} from './result.js';
import { branchRef, reviewEnforcement } from './review-enforcement.js';

interface Principal {
  arn: string;
  type: 'user' | 'role';
  name: string;
  /** Bypass and override grants by repository ARN and by name (shared by principals of one access summary). */
  bypass: BypassIndex;
  /** Users: whether it holds a usable credential. Roles: always 'yes' (anyone who can assume it acts). */
  credential: 'yes' | 'no' | 'unknown';
  credentialNote?: string;
}

/**
 * Bypass and override grants by repository ARN and by name, only for repositories where there are
 * some (the evaluator lists every repository, so a full index would be principals × repositories).
 */
interface BypassIndex {
  byArn: Map<string, ActionGrant[]>;
  byName: Map<string, ActionGrant[]>;
}

const NO_GRANTS: ActionGrant[] = [];

/**
 * Builds the bypass index of access summaries. Principals analysed once per distinct policy set share
 * their `repositories` list, and repositories of one resource class share their grant lists: the index
 * is built once per list, and one grant list object stands for each distinct (bypass, override) pair,
 * so that the decisions below can be reused by identity.
 */
class BypassIndexer {
  private readonly byRepositories = new WeakMap<CodeCommitAccessSummary['repositories'], BypassIndex>();
  private readonly pairs = new WeakMap<object, Map<ActionGrant | null, ActionGrant[]>>();

  index(access: CodeCommitAccessSummary): BypassIndex {
    const known = this.byRepositories.get(access.repositories);
    if (known) return known;
    const byArn = new Map<string, ActionGrant[]>();
    const byName = new Map<string, ActionGrant[]>();
    for (const r of access.repositories) {
      if (r.defaultBranchBypass.length === 0 && !r.overrideApprovalRules) continue;
      const grants = this.pair(r.defaultBranchBypass, r.overrideApprovalRules);
      byArn.set(r.repositoryArn, grants);
      byName.set(r.repositoryName, grants);
    }
    const index = { byArn, byName };
    this.byRepositories.set(access.repositories, index);
    return index;
  }

  private pair(bypass: ActionGrant[], override: ActionGrant | null): ActionGrant[] {
    let byOverride = this.pairs.get(bypass);
    if (!byOverride) {
      byOverride = new Map();
      this.pairs.set(bypass, byOverride);
    }
    let grants = byOverride.get(override);
    if (!grants) {
      grants = [...bypass, ...(override ? [override] : [])];
      byOverride.set(override, grants);
    }
    return grants;
  }
}

function bypassGrants(index: BypassIndex, repo: RepositoryEvidence): ActionGrant[] {
  return index.byArn.get(repo.arn) ?? index.byName.get(repo.name) ?? NO_GRANTS;
}

/** The actions with their decisions, and the distinct statements behind them, each listed once. */
function grantEvidence(grants: ActionGrant[]) {
  return {
    actions: grants.map((g) => ({
      action: g.action,
      decision: g.decision,
      ...(g.reason ? { reason: g.reason } : {}),
    })),
    statements: distinctStatements(grants),
  };
}

const shortAction = (a: string) => a.replace(/^codecommit:/i, '');

/** What left some grants undecided, e.g. "depends on aws:SourceIp, which varies per request". */
function undecidedWhy(grants: readonly ActionGrant[]): string {
  const reasons = [...new Set(grants.filter((g) => g.decision === 'unknown').map((g) => g.reason ?? ''))];
  return listPhrase(reasons.filter(Boolean), 2) || 'the policy evaluation left it undecided';
}

interface BypassDecision {
  bypassing: Record<string, unknown>[];
  bypassPhrases: string[];
  undecided: Record<string, unknown>[];
  undecidedPhrases: string[];
}

/** Who may bypass review on one repository, and who is undecided, in principal order. */
function decideBypass(repo: RepositoryEvidence, principals: Principal[]): BypassDecision {
  const bypassing: Record<string, unknown>[] = [];
  const bypassPhrases: string[] = [];
  const undecided: Record<string, unknown>[] = [];
  const undecidedPhrases: string[] = [];
  // Principals of one policy set share their grants: their evidence is built once and shared.
  const evidenceOf = new Map<ActionGrant[], ReturnType<typeof grantEvidence>>();
  const allowedEvidenceOf = new Map<ActionGrant[], ReturnType<typeof grantEvidence>>();
  const shared = (
    cache: Map<ActionGrant[], ReturnType<typeof grantEvidence>>,
    grants: ActionGrant[],
    pick: (grants: ActionGrant[]) => ActionGrant[],
  ) => {
    let ev = cache.get(grants);
    if (!ev) {
      ev = grantEvidence(pick(grants));
      cache.set(grants, ev);
    }
    return ev;
  };
  for (const p of principals) {
    const grants = bypassGrants(p.bypass, repo);
    if (grants.length === 0 || p.credential === 'no') continue;
    const allowed = grants.filter((g) => g.decision === 'allow');
    const who = `${p.type} ${p.name}`;
    if (allowed.length > 0 && p.credential === 'yes') {
      const ev = shared(allowedEvidenceOf, grants, () => allowed);
      bypassing.push({ arn: p.arn, type: p.type, name: p.name, ...ev });
      bypassPhrases.push(`${who} (${allowed.map((g) => shortAction(g.action)).join(', ')})`);
      continue;
    }
    const why =
      allowed.length > 0
        ? `may ${allowed.map((g) => shortAction(g.action)).join(', ')} but ${p.credentialNote ?? 'its credentials are unknown'}`
        : `${grants.map((g) => shortAction(g.action)).join(', ')} undecided (${undecidedWhy(grants)})`;
    undecided.push({
      arn: p.arn,
      type: p.type,
      name: p.name,
      reason: why,
      ...shared(evidenceOf, grants, (g) => g),
    });
    undecidedPhrases.push(`${who}: ${why}`);
  }
  return { bypassing, bypassPhrases, undecided, undecidedPhrases };
}

/**
 * `decideBypass` once per repository resource class: the repositories on which every principal class
 * (same bypass index, same credential state) holds the same grant lists get the same decision, so a
 * thousand repositories matched by the same `*` statements are decided once. The grant lists are
 * compared by identity, which `BypassIndexer` makes stand for their content.
 */
function bypassDecider(principals: Principal[]): (repo: RepositoryEvidence) => BypassDecision {
  const classes = new Map<string, Principal>();
  const ids = new Map<object, number>();
  const idOf = (o: object) => {
    let id = ids.get(o);
    if (id === undefined) {
      id = ids.size;
      ids.set(o, id);
    }
    return id;
  };
  for (const p of principals) {
    const key = `${idOf(p.bypass)}|${p.credential}|${p.credentialNote ?? ''}`;
    if (!classes.has(key)) classes.set(key, p);
  }
  const representatives = [...classes.values()];
  const decisions = new Map<string, BypassDecision>();
  return (repo) => {
    const key = representatives.map((p) => idOf(bypassGrants(p.bypass, repo))).join(',');
    let decision = decisions.get(key);
    if (!decision) {
      decision = decideBypass(repo, principals);
      decisions.set(key, decision);
    }
    return decision;
  };
}

function judgeRepository(
  repo: RepositoryEvidence,
  decide: (repo: RepositoryEvidence) => BypassDecision,
  evidence: CheckEvidence,
): Finding {
  const base = { resourceType: 'repository' as const, resourceId: repo.name, resourceName: repo.name };
  if (repo.defaultBranch === null) {
    return {
      ...base,
      status: 'not_applicable',
      reason: `Repository ${repo.name} is empty: it has no default branch to protect.`,
      evidence: { repositoryArn: repo.arn, defaultBranch: null },
    };
  }
  const branch = repo.defaultBranch;
  const ref = branchRef(branch);
  const review = reviewEnforcement({ ...repo, defaultBranch: branch }, evidence.run);

  const { bypassing, bypassPhrases, undecided, undecidedPhrases } = decide(repo);

  const ev = {
    repositoryArn: repo.arn,
    defaultBranch: branch,
    ...review.evidence,
    principalsThatMayBypass: bypassing,
    principalsUndecided: undecided,
    ...(review.gaps ? { gaps: review.gaps } : {}),
  };

  const failures: string[] = [];
  if (review.status === 'fail') failures.push(review.reason);
  if (bypassing.length > 0)
    failures.push(
      `${branch} can be changed without a pull request, or review overridden, by ${listPhrase(bypassPhrases)}`,
    );
  if (failures.length > 0) {
    // The fail stands on what was seen, but a part that could not be judged (templates not collected)
    // is said, naming its gap, rather than left out of the reason.
    const undecidedPart =
      review.status === 'unknown' ? `; review enforcement is undecided: ${review.reason}` : '';
    return {
      ...base,
      status: 'fail',
      reason: `In repository ${repo.name}, ${failures.join('; and ')}${undecidedPart}.`,
      evidence: ev,
    };
  }
  const unknowns: string[] = [];
  if (review.status === 'unknown') unknowns.push(review.reason);
  if (undecided.length > 0)
    unknowns.push(`some principals may bypass review (${listPhrase(undecidedPhrases, 3)})`);
  if (unknowns.length > 0) {
    return {
      ...base,
      status: 'unknown',
      reason: `Branch protection of ${ref} in repository ${repo.name} cannot be decided: ${unknowns.join('; and ')}.`,
      evidence: ev,
    };
  }
  return {
    ...base,
    status: 'pass',
    reason: `${capitalize(review.reason)} in repository ${repo.name}, and no user or role may change ${branch} without a pull request or override approval rules.`,
    evidence: ev,
  };
}

export interface BranchProtectionOptions {
  /**
   * Decide who may bypass review once per repository resource class (default), or afresh for every
   * repository: the straightforward path that tests compare with. Same findings either way.
   */
  decideOncePerClass?: boolean;
}

/** `codecommit-branch-protection-admins`: one finding per repository. */
export function evaluateBranchProtectionAdmins(
  evidence: CheckEvidence,
  options: BranchProtectionOptions = {},
): CheckResult {
  return runSteps(branchProtectionAdminsSteps(evidence, options));
}

/** {@link evaluateBranchProtectionAdmins} paused after each principal indexed and each repository. */
export function branchProtectionAdminsSteps(
  evidence: CheckEvidence,
  options: BranchProtectionOptions = {},
): CheckSteps {
  return judgedRepositoriesSteps(
    'codecommit-branch-protection-admins',
    branchProtectionAdminsJudgement(evidence, options),
    evidence.repositories,
  );
}

/**
 * The branch-protection check set up for a run (every principal indexed, paused after each; its
 * `evidence.repositories` is not read), and the judge of one repository.
 */
export function* branchProtectionAdminsJudgement(
  evidence: CheckEvidence,
  options: BranchProtectionOptions = {},
): RepositoryJudgementSteps {
  const { run } = evidence;
  const indexer = new BypassIndexer();
  const principals: Principal[] = [];
  for (const u of evidence.users) {
    const cred = credentialState(u, run);
    principals.push({
      arn: u.arn,
      type: 'user',
      name: u.userName,
      bypass: indexer.index(u.access),
      credential: cred.state,
      ...(cred.state === 'unknown'
        ? { credentialNote: `whether it holds a usable credential is unknown (${cred.unknown.join('; ')})` }
        : {}),
    });
    yield;
  }
  for (const r of evidence.roles) {
    principals.push({
      arn: r.arn,
      type: 'role',
      name: r.roleName,
      bypass: indexer.index(r.access),
      credential: 'yes',
    });
    yield;
  }
  const decide =
    options.decideOncePerClass === false
      ? (repo: RepositoryEvidence) => decideBypass(repo, principals)
      : bypassDecider(principals);
  return {
    accountFindings: inventoryGapFindings(
      run,
      [SYNC_STEPS.repositories, SYNC_STEPS.authorizationDetails, SYNC_STEPS.users, SYNC_STEPS.roles],
      'repository and IAM principal inventory',
    ),
    // Each repository's finding depends on the repository's own answer and on every principal's
    // policies and credentials (any of them may be the one that bypasses review).
    judge: (repo) =>
      unlessScopeMissing(judgeRepository(repo, decide, evidence), run, [
        SYNC_STEPS.repositories,
        `${SYNC_STEPS.repository}:${repo.name}`,
        SYNC_STEPS.authorizationDetails,
        SYNC_STEPS.users,
        SYNC_STEPS.roles,
        SYNC_STEPS.credentialReport,
      ]),
  };
}

export const APPROVAL_RULE_TEMPLATE_EXAMPLE = {
  Version: '2018-11-08',
  DestinationReferences: ['refs/heads/main'],
  Statements: [
    {
      Type: 'Approvers',
      NumberOfApprovalsNeeded: 1,
    },
  ],
};

/**
 * The statement AWS documents in "Limit pushes and merges to branches" (CodeCommit user guide, customer
 * managed policy example 4), with the pull-request merge actions left out so that merging a reviewed
 * pull request stays possible, and the other actions that change a branch (DeleteFile, CreateCommit)
 * added. `Null: false` limits it to requests that name a reference; `StringEqualsIfExists` matches the
 * protected branch.
 */
export const DENY_DEFAULT_BRANCH_CHANGES_STATEMENT = {
  Sid: 'DenyChangesToDefaultBranchOutsidePullRequests',
  Effect: 'Deny',
  Action: [
    'codecommit:GitPush',
    'codecommit:DeleteBranch',
    'codecommit:PutFile',
    'codecommit:DeleteFile',
    'codecommit:CreateCommit',
    'codecommit:MergeBranchesByFastForward',
    'codecommit:MergeBranchesBySquash',
    'codecommit:MergeBranchesByThreeWay',
  ],
  Resource: 'arn:aws:codecommit:<region>:<account-id>:<repository>',
  Condition: {
    StringEqualsIfExists: { 'codecommit:References': ['refs/heads/main'] },
    Null: { 'codecommit:References': 'false' },
  },
};

export const DENY_OVERRIDE_STATEMENT = {
  Sid: 'DenyOverridingApprovalRules',
  Effect: 'Deny',
  Action: 'codecommit:OverridePullRequestApprovalRules',
  Resource: 'arn:aws:codecommit:<region>:<account-id>:<repository>',
};

export const branchProtectionAdminsCheck: CheckDefinition = {
  id: 'codecommit-branch-protection-admins',
  title: 'Branch protection rules should be enforced for admins',
  description:
    'Per repository with default branch D: an approval rule template associated with the repository must cover refs/heads/D and require at least one approval, and no user or role, admins included, may change D without a pull request (GitPush, PutFile, DeleteFile, CreateCommit, DeleteBranch, MergeBranchesBy* with codecommit:References = refs/heads/D) or override approval rules. Users count when they hold a usable credential; roles always count.',
  controls: { soc2: ['CC8.1', 'CC6.1'], iso27001: ['A.8.32', 'A.8.4', 'A.8.2'] },
  howToFix: [
    '1. Require a review on the default branch. Create an approval rule template (replace main with the default branch):',
    '```json',
    JSON.stringify(APPROVAL_RULE_TEMPLATE_EXAMPLE, null, 2),
    '```',
    '`aws codecommit create-approval-rule-template --approval-rule-template-name require-review-main --approval-rule-template-content file://template.json`',
    'then `aws codecommit associate-approval-rule-template-with-repository --approval-rule-template-name require-review-main --repository-name <repository>`. A template applies to pull requests created after the association.',
    '2. Bind everyone, admins included: add this statement to a policy attached to every user, group and role that has write access (administrator roles and groups too), or to an AWS Organizations service control policy on the account, which binds every IAM principal of a member account, AdministratorAccess included (not the management account). Use `arn:aws:codecommit:<region>:<account-id>:*` as Resource to cover every repository whose default branch has that name:',
    '```json',
    JSON.stringify(DENY_DEFAULT_BRANCH_CHANGES_STATEMENT, null, 2),
    '```',
    'and, so that nobody can skip the approval rules of a pull request:',
    '```json',
    JSON.stringify(DENY_OVERRIDE_STATEMENT, null, 2),
    '```',
    'Merging a pull request (MergePullRequestBy*) stays allowed, so changes reach the default branch only through reviewed pull requests. Remove any Allow that the finding names if the principal should not write at all.',
  ].join('\n'),
  evaluate: (evidence) => evaluateBranchProtectionAdmins(evidence),
  evaluateInSteps: (evidence) => branchProtectionAdminsSteps(evidence),
  judgeRepositoriesInSteps: (evidence) => branchProtectionAdminsJudgement(evidence),
};
