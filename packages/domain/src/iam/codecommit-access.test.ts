// biome-ignore-all lint/suspicious/noTemplateCurlyInString: IAM policy variables such as ${aws:PrincipalTag/team} are literal policy text here.
import { describe, expect, it } from 'vitest';
import { analyzeCodeCommitAccess, buildCodeCommitRequest } from './codecommit-access.js';
import { CODECOMMIT_ACTIONS, DEFAULT_BRANCH_BYPASS_ACTIONS } from './codecommit-actions.js';
import { explainDecision } from './evaluate.js';
import type { NamedPolicy, PolicyStatement, PrincipalPolicies, RepositoryRef } from './types.js';

const ACCOUNT = '111111111111';

function repository(
  name: string,
  defaultBranch: string | null = 'main',
  extra: Partial<RepositoryRef> = {},
): RepositoryRef {
  return { name, arn: `arn:aws:codecommit:us-east-2:${ACCOUNT}:${name}`, defaultBranch, ...extra };
}

function managed(name: string, statements: PolicyStatement[]): NamedPolicy {
  const policyArn = name.startsWith('arn:') ? name : `arn:aws:iam::${ACCOUNT}:policy/${name}`;
  return {
    source: { kind: 'managed', policyArn },
    document: { Version: '2012-10-17', Statement: statements },
  };
}

function user(policies: NamedPolicy[], extra: Partial<PrincipalPolicies> = {}): PrincipalPolicies {
  return { arn: `arn:aws:iam::${ACCOUNT}:user/alice`, type: 'user', name: 'alice', policies, ...extra };
}

const ADMINISTRATOR_ACCESS = managed('arn:aws:iam::aws:policy/AdministratorAccess', [
  { Effect: 'Allow', Action: '*', Resource: '*' },
]);

/** The CodeCommit part of AWS's AWSCodeCommitPowerUser: everything but deleting repositories. */
const POWER_USER_LIKE = managed('arn:aws:iam::aws:policy/AWSCodeCommitPowerUser', [
  {
    Effect: 'Allow',
    Action: [
      'codecommit:AssociateApprovalRuleTemplateWithRepository',
      'codecommit:BatchAssociate*',
      'codecommit:BatchDescribe*',
      'codecommit:BatchDisassociate*',
      'codecommit:BatchGet*',
      'codecommit:CreateApprovalRuleTemplate',
      'codecommit:CreateBranch',
      'codecommit:CreateCommit',
      'codecommit:CreatePullRequest*',
      'codecommit:CreateRepository',
      'codecommit:CreateUnreferencedMergeCommit',
      'codecommit:DeleteBranch',
      'codecommit:DeleteCommentContent',
      'codecommit:DeleteFile',
      'codecommit:DeletePullRequest*',
      'codecommit:Describe*',
      'codecommit:DisassociateApprovalRuleTemplateFromRepository',
      'codecommit:EvaluatePullRequestApprovalRules',
      'codecommit:Get*',
      'codecommit:List*',
      'codecommit:Merge*',
      'codecommit:OverridePullRequestApprovalRules',
      'codecommit:Post*',
      'codecommit:Put*',
      'codecommit:TagResource',
      'codecommit:TestRepositoryTriggers',
      'codecommit:UntagResource',
      'codecommit:Update*',
      'codecommit:GitPull',
      'codecommit:GitPush',
    ],
    Resource: '*',
  },
]);

/** The read part of AWS's AWSCodeCommitReadOnly. */
const READ_ONLY_LIKE = managed('arn:aws:iam::aws:policy/AWSCodeCommitReadOnly', [
  {
    Effect: 'Allow',
    Action: [
      'codecommit:BatchGet*',
      'codecommit:BatchDescribe*',
      'codecommit:Describe*',
      'codecommit:EvaluatePullRequestApprovalRules',
      'codecommit:Get*',
      'codecommit:List*',
      'codecommit:GitPull',
    ],
    Resource: '*',
  },
]);

/**
 * AWS's "limit pushes and merges to branches" policy, in its documented shape:
 * https://docs.aws.amazon.com/codecommit/latest/userguide/how-to-conditional-branch.html
 */
const PROTECT_MAIN = managed('DenyChangesToMain', [
  {
    Effect: 'Deny',
    Action: [
      'codecommit:GitPush',
      'codecommit:DeleteBranch',
      'codecommit:PutFile',
      'codecommit:MergeBranchesByFastForward',
      'codecommit:MergeBranchesBySquash',
      'codecommit:MergeBranchesByThreeWay',
      'codecommit:MergePullRequestByFastForward',
      'codecommit:MergePullRequestBySquash',
      'codecommit:MergePullRequestByThreeWay',
    ],
    Resource: `arn:aws:codecommit:us-east-2:${ACCOUNT}:MyDemoRepo`,
    Condition: {
      StringEqualsIfExists: { 'codecommit:References': ['refs/heads/main'] },
      Null: { 'codecommit:References': 'false' },
    },
  },
]);

const REPOSITORY_ACTION_COUNT = CODECOMMIT_ACTIONS.filter(
  (info) => info.resourceType === 'repository',
).length;
const actionsOf = (grants: { action: string }[]) => grants.map((grant) => grant.action);

describe('analyzeCodeCommitAccess', () => {
  it('AdministratorAccess: admin on every repository, may bypass the default branch and override approvals', () => {
    const summary = analyzeCodeCommitAccess(user([ADMINISTRATOR_ACCESS]), [
      repository('MyDemoRepo'),
      repository('other'),
    ]);
    expect(summary).toMatchObject({
      principalArn: `arn:aws:iam::${ACCOUNT}:user/alice`,
      principalType: 'user',
      hasAccess: true,
      level: 'admin',
    });
    for (const access of summary.repositories) {
      expect(access.level).toBe('admin');
      expect(access.grants).toHaveLength(REPOSITORY_ACTION_COUNT);
      expect(actionsOf(access.defaultBranchBypass)).toEqual(DEFAULT_BRANCH_BYPASS_ACTIONS);
      expect(access.overrideApprovalRules).toMatchObject({
        decision: 'allow',
        action: 'codecommit:OverridePullRequestApprovalRules',
      });
      expect(access.overrideApprovalRules!.statements[0]!.source).toEqual({
        kind: 'managed',
        policyArn: 'arn:aws:iam::aws:policy/AdministratorAccess',
      });
    }
  });

  it('a power user has every repository action its policy lists, DeleteRepository not among them', () => {
    const [access] = analyzeCodeCommitAccess(user([POWER_USER_LIKE]), [
      repository('MyDemoRepo'),
    ]).repositories;
    expect(access!.level).toBe('admin');
    const missing = CODECOMMIT_ACTIONS.filter((info) => info.resourceType === 'repository')
      .map((info) => info.action)
      .filter((action) => !actionsOf(access!.grants).includes(action));
    expect(missing).toEqual([
      'codecommit:CancelUploadArchive',
      'codecommit:DeleteRepository',
      'codecommit:UploadArchive',
    ]);
  });

  it('read-only: level read, no bypass, no override', () => {
    const summary = analyzeCodeCommitAccess(user([READ_ONLY_LIKE]), [repository('MyDemoRepo')]);
    expect(summary.level).toBe('read');
    expect(summary.hasAccess).toBe(true);
    expect(summary.repositories[0]!.defaultBranchBypass).toEqual([]);
    expect(summary.repositories[0]!.overrideApprovalRules).toBeNull();
  });

  it('no policies: no access', () => {
    const summary = analyzeCodeCommitAccess(user([]), [repository('MyDemoRepo')]);
    expect(summary).toMatchObject({ hasAccess: false, level: 'none' });
    expect(summary.repositories[0]!.grants).toEqual([]);
  });

  it('an action without a repository resource (ListRepositories) is not access to a repository', () => {
    const list = managed('list', [
      {
        Effect: 'Allow',
        Action: ['codecommit:ListRepositories', 'codecommit:ListApprovalRuleTemplates'],
        Resource: '*',
      },
    ]);
    expect(analyzeCodeCommitAccess(user([list]), [repository('MyDemoRepo')]).hasAccess).toBe(false);
  });

  it('evaluates per repository ARN', () => {
    const team = managed('team', [
      { Effect: 'Allow', Action: 'codecommit:*', Resource: `arn:aws:codecommit:*:${ACCOUNT}:team-*` },
    ]);
    const summary = analyzeCodeCommitAccess(user([team]), [repository('team-api'), repository('payroll')]);
    expect(summary.repositories.map((access) => [access.repositoryName, access.level])).toEqual([
      ['team-api', 'admin'],
      ['payroll', 'none'],
    ]);
    expect(summary.hasAccess).toBe(true);
  });

  it('with no default branch, there is no bypass to report', () => {
    const [access] = analyzeCodeCommitAccess(user([ADMINISTRATOR_ACCESS]), [
      repository('empty', null),
    ]).repositories;
    expect(access!.defaultBranchBypass).toEqual([]);
  });

  describe("AWS's protect-a-branch policy", () => {
    const developer = user([POWER_USER_LIKE, PROTECT_MAIN]);

    it('still lets the developer push to other branches', () => {
      const [access] = analyzeCodeCommitAccess(developer, [repository('MyDemoRepo')]).repositories;
      expect(actionsOf(access!.grants)).toEqual(
        expect.arrayContaining(['codecommit:GitPush', 'codecommit:MergeBranchesBySquash']),
      );
    });

    it('denies the listed actions on main, but not DeleteFile and CreateCommit, which the documented policy omits', () => {
      const [access] = analyzeCodeCommitAccess(developer, [repository('MyDemoRepo')]).repositories;
      expect(actionsOf(access!.defaultBranchBypass)).toEqual([
        'codecommit:DeleteFile',
        'codecommit:CreateCommit',
      ]);
      expect(access!.defaultBranchBypass.every((grant) => grant.decision === 'allow')).toBe(true);
    });

    it('with DeleteFile and CreateCommit added, nothing bypasses main', () => {
      const statement = (PROTECT_MAIN.document.Statement as PolicyStatement[])[0]!;
      const complete = managed('DenyAllChangesToMain', [
        {
          ...statement,
          Action: [...(statement.Action as string[]), 'codecommit:DeleteFile', 'codecommit:CreateCommit'],
        },
      ]);
      const [access] = analyzeCodeCommitAccess(user([POWER_USER_LIKE, complete]), [
        repository('MyDemoRepo'),
      ]).repositories;
      expect(access!.defaultBranchBypass).toEqual([]);
      // Overriding approval rules is a separate permission the policy leaves in place.
      expect(access!.overrideApprovalRules?.decision).toBe('allow');
    });

    it('does not protect another repository, or a default branch other than main', () => {
      const summary = analyzeCodeCommitAccess(developer, [
        repository('OtherRepo'),
        repository('MyDemoRepo', 'develop'),
      ]);
      for (const access of summary.repositories) {
        expect(actionsOf(access.defaultBranchBypass)).toEqual(DEFAULT_BRANCH_BYPASS_ACTIONS);
      }
    });

    it('explainDecision names the denying statement for a push to main', () => {
      const request = buildCodeCommitRequest(repository('MyDemoRepo'), 'codecommit:GitPush', {
        references: ['refs/heads/main'],
      });
      const explained = explainDecision(developer, request);
      expect(explained.decision).toBe('explicit_deny');
      expect(explained.deniedBy[0]!.source).toEqual({
        kind: 'managed',
        policyArn: `arn:aws:iam::${ACCOUNT}:policy/DenyChangesToMain`,
      });
      expect(explained.summary).toMatch(
        /explicitly denied by managed policy .*DenyChangesToMain, statement 0/,
      );
    });
  });

  describe('conditions the analysis cannot know', () => {
    const mfaOnly = managed('mfa', [
      {
        Effect: 'Allow',
        Action: 'codecommit:*',
        Resource: '*',
        Condition: { Bool: { 'aws:MultiFactorAuthPresent': 'true' } },
      },
    ]);

    it('make access unknown, not granted and not denied', () => {
      const summary = analyzeCodeCommitAccess(user([mfaOnly]), [repository('MyDemoRepo')]);
      expect(summary.hasAccess).toBe('unknown');
      expect(summary.level).toBe('none');
      const grant = summary.repositories[0]!.grants[0]!;
      expect(grant).toMatchObject({
        decision: 'unknown',
        reason: 'depends on aws:MultiFactorAuthPresent, which varies per request',
        conditionKeys: ['aws:MultiFactorAuthPresent'],
      });
      expect(grant.statements[0]!.source).toMatchObject({ policyArn: `arn:aws:iam::${ACCOUNT}:policy/mfa` });
    });

    it('an unknown grant beside a decided one: access is true, the level counts only the decided one', () => {
      const summary = analyzeCodeCommitAccess(user([mfaOnly, READ_ONLY_LIKE]), [repository('MyDemoRepo')]);
      expect(summary).toMatchObject({ hasAccess: true, level: 'read' });
      expect(
        summary.repositories[0]!.grants.find((grant) => grant.action === 'codecommit:GitPush')?.decision,
      ).toBe('unknown');
    });

    it('an undecided Deny makes every action it covers unknown', () => {
      const forceMfa = managed('force-mfa', [
        {
          Effect: 'Deny',
          Action: '*',
          Resource: '*',
          Condition: { BoolIfExists: { 'aws:MultiFactorAuthPresent': 'false' } },
        },
      ]);
      const summary = analyzeCodeCommitAccess(user([ADMINISTRATOR_ACCESS, forceMfa]), [
        repository('MyDemoRepo'),
      ]);
      expect(summary.hasAccess).toBe('unknown');
    });
  });

  describe('conditions the analysis knows', () => {
    it('aws:RequestedRegion comes from the repository ARN', () => {
      const region = managed('region', [
        {
          Effect: 'Allow',
          Action: 'codecommit:*',
          Resource: '*',
          Condition: { StringEquals: { 'aws:RequestedRegion': 'us-east-2' } },
        },
      ]);
      const summary = analyzeCodeCommitAccess(user([region]), [
        repository('MyDemoRepo'),
        { ...repository('x'), arn: `arn:aws:codecommit:eu-west-1:${ACCOUNT}:x` },
      ]);
      expect(summary.repositories.map((access) => access.level)).toEqual(['admin', 'none']);
    });

    it('aws:username and aws:PrincipalTag come from the principal, aws:ResourceTag from the repository', () => {
      const abac = managed('abac', [
        {
          Effect: 'Allow',
          Action: 'codecommit:*',
          Resource: '*',
          Condition: { StringEquals: { 'aws:ResourceTag/team': '${aws:PrincipalTag/team}' } },
        },
      ]);
      const tagged = user([abac], { tags: { team: 'payments' } });
      const summary = analyzeCodeCommitAccess(tagged, [
        repository('pay', 'main', { tags: { team: 'payments' } }),
        repository('hr', 'main', { tags: { team: 'people' } }),
        repository('untagged', 'main', { tags: {} }),
        repository('tags-unknown'),
      ]);
      expect(summary.repositories.map((access) => [access.repositoryName, access.level])).toEqual([
        ['pay', 'admin'],
        ['hr', 'none'],
        ['untagged', 'none'],
        ['tags-unknown', 'none'],
      ]);
      expect(summary.repositories[3]!.grants[0]?.decision).toBe('unknown');
    });

    it('for a role, aws:username is absent', () => {
      const ownRepo = managed('own', [
        {
          Effect: 'Allow',
          Action: 'codecommit:*',
          Resource: `arn:aws:codecommit:*:${ACCOUNT}:\${aws:username}`,
        },
      ]);
      const role: PrincipalPolicies = {
        arn: `arn:aws:iam::${ACCOUNT}:role/alice`,
        type: 'role',
        name: 'alice',
        policies: [ownRepo],
      };
      expect(analyzeCodeCommitAccess(role, [repository('alice')]).hasAccess).toBe(false);
      expect(analyzeCodeCommitAccess(user([ownRepo]), [repository('alice')]).hasAccess).toBe(true);
    });
  });

  it('a permissions boundary caps the level', () => {
    const boundary: NamedPolicy = {
      source: { kind: 'boundary', policyArn: `arn:aws:iam::${ACCOUNT}:policy/read-boundary` },
      document: READ_ONLY_LIKE.document,
    };
    const summary = analyzeCodeCommitAccess(user([ADMINISTRATOR_ACCESS], { permissionsBoundary: boundary }), [
      repository('MyDemoRepo'),
    ]);
    expect(summary.level).toBe('read');
    expect(summary.repositories[0]!.defaultBranchBypass).toEqual([]);
  });

  it('repositories that share a signature get the same answers as when analyzed alone', () => {
    const repositories = [
      repository('MyDemoRepo'),
      repository('MyDemoRepo2'),
      repository('team-api', 'develop'),
      repository('team-web', 'main', { tags: { team: 'payments' } }),
      repository('team-ops', 'main', { tags: { team: 'people' } }),
      repository('alice'),
      repository('plain-1'),
      repository('plain-2'),
      repository('empty', null),
      { ...repository('west'), arn: `arn:aws:codecommit:us-west-2:${ACCOUNT}:west` },
    ];
    const abac = managed('abac', [
      {
        Effect: 'Allow',
        Action: 'codecommit:Merge*',
        Resource: '*',
        Condition: { StringEquals: { 'aws:ResourceTag/team': '${aws:PrincipalTag/team}' } },
      },
      {
        Effect: 'Allow',
        Action: 'codecommit:GitPull',
        Resource: `arn:aws:codecommit:*:${ACCOUNT}:\${aws:username}`,
      },
      {
        Effect: 'Deny',
        Action: 'codecommit:DeleteBranch',
        NotResource: `arn:aws:codecommit:us-east-2:${ACCOUNT}:team-*`,
      },
    ]);
    const principal = user([READ_ONLY_LIKE, PROTECT_MAIN, abac, POWER_USER_LIKE], {
      tags: { team: 'payments' },
    });
    const together = analyzeCodeCommitAccess(principal, repositories).repositories;
    const alone = repositories.map((one) => analyzeCodeCommitAccess(principal, [one]).repositories[0]);
    expect(together).toEqual(alone);
  });

  it('analyzes a thousand repositories quickly', () => {
    const repositories = Array.from({ length: 1000 }, (_, index) => repository(`repo-${index}`));
    const started = performance.now();
    const summary = analyzeCodeCommitAccess(
      user([POWER_USER_LIKE, PROTECT_MAIN, READ_ONLY_LIKE]),
      repositories,
    );
    expect(summary.repositories).toHaveLength(1000);
    // Repositories no policy tells apart share one evaluation; a loose bound, the machine is shared.
    expect(performance.now() - started).toBeLessThan(5_000);
  });
});
