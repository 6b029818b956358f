import { describe, expect, it } from 'vitest';
import { branchProtectionAdminsCheck, evaluateBranchProtectionAdmins } from './branch-protection-admins.js';
import {
  credentials,
  evidence,
  grant,
  repoAccess,
  repository,
  role,
  roleArn,
  statementRef,
  template,
  user,
} from './test-support/evidence.js';

const adminPolicy = statementRef(
  { Action: '*', Resource: '*' },
  { kind: 'managed', policyArn: 'arn:aws:iam::aws:policy/AdministratorAccess' },
);

describe('codecommit-branch-protection-admins', () => {
  it('passes with a template on the default branch and no principal able to bypass it', () => {
    const result = evaluateBranchProtectionAdmins(
      evidence({
        repositories: [repository('app')],
        users: [user('alice')],
        roles: [role('Dev', [repoAccess('app')])],
      }),
    );
    expect(result.status).toBe('pass');
    expect(result.findings[0]!.reason).toBe(
      'Approval rule template require-review requires 1 approval on refs/heads/main in repository app, and no user or role may change main without a pull request or override approval rules.',
    );
  });

  it('fails, naming the one admin the Deny does not cover, with its actions and statements', () => {
    // Admin1 and Admin2 are bound by the Deny on codecommit:References; BreakGlass is not.
    const result = evaluateBranchProtectionAdmins(
      evidence({
        repositories: [repository('app')],
        roles: [
          role('Admin1', [repoAccess('app', { level: 'admin' })]),
          role('Admin2', [repoAccess('app', { level: 'admin' })]),
          role('BreakGlass', [
            repoAccess('app', {
              level: 'admin',
              bypass: [
                grant('codecommit:GitPush', { statements: [adminPolicy] }),
                grant('codecommit:PutFile', { statements: [adminPolicy] }),
              ],
            }),
          ]),
        ],
      }),
    );
    expect(result.status).toBe('fail');
    const finding = result.findings[0]!;
    expect(finding.reason).toBe(
      'In repository app, main can be changed without a pull request, or review overridden, by role BreakGlass (GitPush, PutFile).',
    );
    expect(finding.evidence['principalsThatMayBypass']).toEqual([
      {
        arn: roleArn('BreakGlass'),
        type: 'role',
        name: 'BreakGlass',
        actions: [
          { action: 'codecommit:GitPush', decision: 'allow' },
          { action: 'codecommit:PutFile', decision: 'allow' },
        ],
        statements: [
          expect.objectContaining({ policy: 'managed policy arn:aws:iam::aws:policy/AdministratorAccess' }),
        ],
      },
    ]);
  });

  it('fails for a user who may override approval rules through a group policy', () => {
    const viaGroup = statementRef(
      { Action: 'codecommit:OverridePullRequestApprovalRules' },
      {
        kind: 'inline',
        ownerArn: 'arn:aws:iam::111122223333:group/Leads',
        policyName: 'leads',
        viaGroup: 'Leads',
      },
    );
    const result = evaluateBranchProtectionAdmins(
      evidence({
        repositories: [repository('app')],
        users: [
          user('lead', {
            repositories: [
              repoAccess('app', {
                override: grant('codecommit:OverridePullRequestApprovalRules', { statements: [viaGroup] }),
              }),
            ],
          }),
        ],
      }),
    );
    expect(result.status).toBe('fail');
    expect(result.findings[0]!.reason).toContain('user lead (OverridePullRequestApprovalRules)');
    expect(JSON.stringify(result.findings[0]!.evidence)).toContain('inline policy leads of group Leads');
  });

  it('fails when the only template covers another branch', () => {
    const result = evaluateBranchProtectionAdmins(
      evidence({
        repositories: [
          repository('app', {
            approvalRuleTemplates: [
              template({ name: 'dev-review', destinationReferences: ['refs/heads/develop'] }),
            ],
          }),
        ],
      }),
    );
    expect(result.status).toBe('fail');
    expect(result.findings[0]!.reason).toBe(
      'In repository app, no associated approval rule template requires an approval on refs/heads/main (dev-review covers refs/heads/develop only).',
    );
  });

  it('fails when the template requires zero approvals, and when no template is associated', () => {
    const zero = evaluateBranchProtectionAdmins(
      evidence({
        repositories: [repository('app', { approvalRuleTemplates: [template({ requiredApprovals: 0 })] })],
      }),
    );
    expect(zero.status).toBe('fail');
    expect(zero.findings[0]!.reason).toContain('require-review requires 0 approvals');

    const none = evaluateBranchProtectionAdmins(
      evidence({ repositories: [repository('app', { approvalRuleTemplates: [] })] }),
    );
    expect(none.findings[0]!.reason).toContain('no approval rule template is associated with it');
  });

  it('accepts a template for all branches and a refs/heads/* wildcard', () => {
    const result = evaluateBranchProtectionAdmins(
      evidence({
        repositories: [
          repository('all', { approvalRuleTemplates: [template({ destinationReferences: [] })] }),
          repository('wild', {
            defaultBranch: 'trunk',
            approvalRuleTemplates: [template({ destinationReferences: ['refs/heads/*'] })],
          }),
          repository('prefix', {
            defaultBranch: 'main',
            approvalRuleTemplates: [template({ destinationReferences: ['refs/heads/ma*'] })],
          }),
        ],
      }),
    );
    expect(result.findings.map((f) => f.status)).toEqual(['pass', 'pass', 'pass']);
  });

  it('is not applicable for an empty repository and unknown when templates were not collected', () => {
    const result = evaluateBranchProtectionAdmins(
      evidence({
        run: {
          completeness: {
            missingPermissions: [
              {
                action: 'codecommit:ListAssociatedApprovalRuleTemplatesForRepository',
                step: 'codecommit:approval-rule-templates',
              },
            ],
            failedSteps: [],
          },
        },
        repositories: [
          repository('empty', { defaultBranch: null }),
          repository('app', { approvalRuleTemplates: null }),
        ],
      }),
    );
    expect(result.findings.map((f) => [f.resourceName, f.status])).toEqual([
      ['empty', 'not_applicable'],
      ['app', 'unknown'],
    ]);
    expect(result.findings[1]!.reason).toContain(
      'missing permission codecommit:ListAssociatedApprovalRuleTemplatesForRepository (sync step codecommit:approval-rule-templates)',
    );
    expect(result.status).toBe('unknown');
  });

  it('a fail whose templates were not collected says that part is undecided, naming the gap', () => {
    // Issue 11 (chaos, GetApprovalRuleTemplate answered invalid): the template part was left out silently.
    const result = evaluateBranchProtectionAdmins(
      evidence({
        run: {
          completeness: {
            missingPermissions: [],
            failedSteps: [{ step: 'codecommit:approval-rule-templates', reason: 'aws_response_invalid' }],
          },
        },
        repositories: [repository('app', { approvalRuleTemplates: null })],
        roles: [role('BreakGlass', [repoAccess('app', { bypass: [grant('codecommit:GitPush')] })])],
      }),
    );
    expect(result.findings[0]!.status).toBe('fail');
    expect(result.findings[0]!.reason).toBe(
      'In repository app, main can be changed without a pull request, or review overridden, by role BreakGlass (GitPush); review enforcement is undecided: its approval rule templates were not collected (sync step codecommit:approval-rule-templates failed: aws_response_invalid).',
    );
  });

  it('ignores a user without a usable credential and is unknown when the credential is not known', () => {
    const bypass = [grant('codecommit:GitPush')];
    const noCreds = user('old-admin', {
      credentials: credentials(),
      repositories: [repoAccess('app', { bypass })],
    });
    expect(
      evaluateBranchProtectionAdmins(evidence({ repositories: [repository('app')], users: [noCreds] }))
        .status,
    ).toBe('pass');

    const unknownCreds = user('other-admin', {
      credentials: credentials({ sshPublicKeys: null }),
      repositories: [repoAccess('app', { bypass })],
    });
    const result = evaluateBranchProtectionAdmins(
      evidence({
        run: {
          completeness: {
            missingPermissions: [{ action: 'iam:ListSSHPublicKeys', step: 'iam:ssh-keys' }],
            failedSteps: [],
          },
        },
        repositories: [repository('app')],
        users: [unknownCreds],
      }),
    );
    expect(result.status).toBe('unknown');
    expect(result.findings[0]!.reason).toContain(
      'user other-admin: may GitPush but whether it holds a usable credential is unknown',
    );
    expect(result.findings[0]!.reason).toContain('iam:ListSSHPublicKeys');
  });

  it('is unknown for a role with only undecided grants', () => {
    const result = evaluateBranchProtectionAdmins(
      evidence({
        repositories: [repository('app')],
        roles: [
          role('Ops', [
            repoAccess('app', {
              bypass: [
                grant('codecommit:GitPush', {
                  decision: 'unknown',
                  reason: 'condition key aws:SourceVpce is not in the request context',
                }),
              ],
            }),
          ]),
        ],
      }),
    );
    expect(result.status).toBe('unknown');
    expect(result.findings[0]!.reason).toContain('role Ops: GitPush undecided');
    expect(JSON.stringify(result.findings[0]!.evidence['principalsUndecided'])).toContain('aws:SourceVpce');
  });

  it('cannot pass when the role inventory is incomplete', () => {
    const result = evaluateBranchProtectionAdmins(
      evidence({
        run: {
          completeness: {
            missingPermissions: [{ action: 'iam:ListRoles', step: 'iam:roles' }],
            failedSteps: [],
          },
        },
        repositories: [repository('app')],
      }),
    );
    expect(result.status).toBe('unknown');
    expect(result.findings[0]).toMatchObject({ resourceType: 'account', status: 'unknown' });
    expect(result.findings[0]!.reason).toContain('missing permission iam:ListRoles (sync step iam:roles)');
  });

  it('documents the fix with the template JSON and the AWS-documented Deny statement', () => {
    const fix = branchProtectionAdminsCheck.howToFix;
    expect(fix).toContain('"DestinationReferences": [\n    "refs/heads/main"\n  ]');
    expect(fix).toContain('"NumberOfApprovalsNeeded": 1');
    expect(fix).toContain('"StringEqualsIfExists"');
    expect(fix).toContain('"Null": {\n      "codecommit:References": "false"');
    expect(fix).toContain('codecommit:OverridePullRequestApprovalRules');
  });
});
