import type { ActionGrant, CodeCommitAccessSummary } from '../iam/types.js';
import { inventoryGapFindings } from './completeness.js';
import { type CheckEvidence, type RepositoryEvidence, SYNC_STEPS } from './evidence.js';
import { capitalize, listPhrase } from './format.js';
import { credentialState, distinctStatements } from './principals.js';
import { buildCheckResult, type CheckDefinition, type CheckResult, type Finding } from './result.js';
import { branchRef, reviewEnforcement } from './review-enforcement.js';

interface Principal {
  arn: string;
  type: 'user' | 'role';
  name: string;
  /**
   * Bypass and override grants by repository ARN and by name, only for repositories where there are
   * some (the evaluator lists every repository, so a full index would be principals × repositories).
   */
  byArn: Map<string, ActionGrant[]>;
  byName: Map<string, ActionGrant[]>;
  /** Users: whether it holds a usable credential. Roles: always 'yes' (anyone who can assume it acts). */
  credential: 'yes' | 'no' | 'unknown';
  credentialNote?: string;
}

function indexBypassGrants(access: CodeCommitAccessSummary): Pick<Principal, 'byArn' | 'byName'> {
  const byArn = new Map<string, ActionGrant[]>();
  const byName = new Map<string, ActionGrant[]>();
  for (const r of access.repositories) {
    const grants = [...r.defaultBranchBypass, ...(r.overrideApprovalRules ? [r.overrideApprovalRules] : [])];
    if (grants.length === 0) continue;
    byArn.set(r.repositoryArn, grants);
    byName.set(r.repositoryName, grants);
  }
  return { byArn, byName };
}

function bypassGrants(p: Principal, repo: RepositoryEvidence): ActionGrant[] {
  return p.byArn.get(repo.arn) ?? p.byName.get(repo.name) ?? [];
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

function judgeRepository(
  repo: RepositoryEvidence,
  principals: Principal[],
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

  const bypassing: Record<string, unknown>[] = [];
  const bypassPhrases: string[] = [];
  const undecided: Record<string, unknown>[] = [];
  const undecidedPhrases: string[] = [];
  for (const p of principals) {
    const grants = bypassGrants(p, repo);
    if (grants.length === 0 || p.credential === 'no') continue;
    const allowed = grants.filter((g) => g.decision === 'allow');
    const who = `${p.type} ${p.name}`;
    if (allowed.length > 0 && p.credential === 'yes') {
      bypassing.push({ arn: p.arn, type: p.type, name: p.name, ...grantEvidence(allowed) });
      bypassPhrases.push(`${who} (${allowed.map((g) => shortAction(g.action)).join(', ')})`);
      continue;
    }
    const why =
      allowed.length > 0
        ? `may ${allowed.map((g) => shortAction(g.action)).join(', ')} but ${p.credentialNote ?? 'its credentials are unknown'}`
        : `${grants.map((g) => shortAction(g.action)).join(', ')} undecided (${undecidedWhy(grants)})`;
    undecided.push({ arn: p.arn, type: p.type, name: p.name, reason: why, ...grantEvidence(grants) });
    undecidedPhrases.push(`${who}: ${why}`);
  }

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
    return {
      ...base,
      status: 'fail',
      reason: `In repository ${repo.name}, ${failures.join('; and ')}.`,
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

/** `codecommit-branch-protection-admins`: one finding per repository. */
export function evaluateBranchProtectionAdmins(evidence: CheckEvidence): CheckResult {
  const { run } = evidence;
  const principals: Principal[] = [
    ...evidence.users.map((u): Principal => {
      const cred = credentialState(u, run);
      return {
        arn: u.arn,
        type: 'user',
        name: u.userName,
        ...indexBypassGrants(u.access),
        credential: cred.state,
        ...(cred.state === 'unknown'
          ? { credentialNote: `whether it holds a usable credential is unknown (${cred.unknown.join('; ')})` }
          : {}),
      };
    }),
    ...evidence.roles.map(
      (r): Principal => ({
        arn: r.arn,
        type: 'role',
        name: r.roleName,
        ...indexBypassGrants(r.access),
        credential: 'yes',
      }),
    ),
  ];
  const findings: Finding[] = [
    ...inventoryGapFindings(
      run,
      [SYNC_STEPS.repositories, SYNC_STEPS.authorizationDetails, SYNC_STEPS.users, SYNC_STEPS.roles],
      'repository and IAM principal inventory',
    ),
    ...evidence.repositories.map((repo) => judgeRepository(repo, principals, evidence)),
  ];
  return buildCheckResult('codecommit-branch-protection-admins', findings);
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
  evaluate: evaluateBranchProtectionAdmins,
};
