/**
 * The one test of the checks that runs the project's IAM evaluator: it proves that the policy the
 * branch-protection how-to-fix tells customers to apply does bind an administrator. Every other test
 * builds access summaries by hand.
 */
import { describe, expect, it } from 'vitest';
import { analyzeCodeCommitAccess, type PolicyStatement, type PrincipalPolicies } from '../iam/index.js';
import {
  DENY_DEFAULT_BRANCH_CHANGES_STATEMENT,
  DENY_OVERRIDE_STATEMENT,
  evaluateBranchProtectionAdmins,
} from './branch-protection-admins.js';
import { evidence, repoArn, repository, roleArn } from './test-support/evidence.js';

const repo = repository('app');
const repoRef = { name: repo.name, arn: repo.arn, defaultBranch: 'main' };

function adminRole(extra: PolicyStatement[]): PrincipalPolicies {
  return {
    arn: roleArn('Admin'),
    type: 'role',
    name: 'Admin',
    policies: [
      {
        source: { kind: 'managed', policyArn: 'arn:aws:iam::aws:policy/AdministratorAccess' },
        document: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] },
      },
      ...(extra.length > 0
        ? [
            {
              source: { kind: 'managed' as const, policyArn: 'arn:aws:iam::111122223333:policy/ProtectMain' },
              document: { Version: '2012-10-17', Statement: extra },
            },
          ]
        : []),
    ],
  };
}

function withResource(statement: object): PolicyStatement {
  return { ...(statement as PolicyStatement), Resource: repoArn('app') };
}

function check(principal: PrincipalPolicies) {
  const access = analyzeCodeCommitAccess(principal, [repoRef]);
  return evaluateBranchProtectionAdmins(
    evidence({ repositories: [repo], roles: [{ arn: principal.arn, roleName: principal.name, access }] }),
  );
}

describe('branch-protection how-to-fix', () => {
  it('an administrator without the Deny may bypass review', () => {
    const result = check(adminRole([]));
    expect(result.status).toBe('fail');
    expect(result.findings[0]!.reason).toContain(
      'role Admin (GitPush, PutFile, DeleteFile, CreateCommit, DeleteBranch',
    );
    expect(result.findings[0]!.reason).toContain('OverridePullRequestApprovalRules');
  });

  it('the documented Deny statements bind the administrator, who keeps write access through pull requests', () => {
    const principal = adminRole([
      withResource(DENY_DEFAULT_BRANCH_CHANGES_STATEMENT),
      withResource(DENY_OVERRIDE_STATEMENT),
    ]);
    const result = check(principal);
    expect(result.status).toBe('pass');
    const access = analyzeCodeCommitAccess(principal, [repoRef]);
    const grants = access.repositories[0]!.grants.map((g) => g.action);
    expect(grants).toEqual(
      expect.arrayContaining(['codecommit:GitPush', 'codecommit:MergePullRequestBySquash']),
    );
  });
});
