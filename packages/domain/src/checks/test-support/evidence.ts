/** Hand-built evidence for the checks' unit tests. Not part of the package's API. */
import type {
  ActionGrant,
  CodeCommitAccessSummary,
  PolicySource,
  PolicyStatement,
  RepositoryAccess,
  StatementRef,
} from '../../iam/types.js';
import type {
  ApprovalRuleTemplateEvidence,
  CheckEvidence,
  IamRoleEvidence,
  IamUserEvidence,
  PullRequestEvidence,
  RepositoryEvidence,
  UserCredentialsEvidence,
} from '../evidence.js';

export const ACCOUNT = '111122223333';
export const REGION = 'eu-west-1';
export const NOW = new Date('2026-11-26T12:00:00.000Z');
export const daysAgo = (days: number) => new Date(NOW.getTime() - days * 24 * 60 * 60 * 1000);

export const userArn = (name: string) => `arn:aws:iam::${ACCOUNT}:user/${name}`;
export const roleArn = (name: string) => `arn:aws:iam::${ACCOUNT}:role/${name}`;
export const sessionArn = (role: string, session: string) =>
  `arn:aws:sts::${ACCOUNT}:assumed-role/${role}/${session}`;
export const repoArn = (name: string) => `arn:aws:codecommit:${REGION}:${ACCOUNT}:${name}`;

const POWER_USER: PolicySource = {
  kind: 'managed',
  policyArn: 'arn:aws:iam::aws:policy/AWSCodeCommitPowerUser',
};

export function statementRef(
  statement: Partial<PolicyStatement> = {},
  source: PolicySource = POWER_USER,
  index = 0,
): StatementRef {
  return {
    source,
    index,
    statement: { Effect: 'Allow', Action: 'codecommit:*', Resource: '*', ...statement },
  };
}

export function grant(
  action: string,
  opts: { decision?: 'allow' | 'unknown'; statements?: StatementRef[]; reason?: string } = {},
): ActionGrant {
  return {
    action,
    decision: opts.decision ?? 'allow',
    statements: opts.statements ?? [statementRef()],
    ...(opts.reason ? { reason: opts.reason } : {}),
  };
}

const WRITE_ACTIONS = ['codecommit:GitPull', 'codecommit:GitPush', 'codecommit:CreatePullRequest'];

export function repoAccess(
  repoName: string,
  opts: {
    grants?: ActionGrant[];
    bypass?: ActionGrant[];
    override?: ActionGrant | null;
    level?: RepositoryAccess['level'];
  } = {},
): RepositoryAccess {
  return {
    repositoryName: repoName,
    repositoryArn: repoArn(repoName),
    level: opts.level ?? 'write',
    grants: opts.grants ?? WRITE_ACTIONS.map((a) => grant(a)),
    defaultBranchBypass: opts.bypass ?? [],
    overrideApprovalRules: opts.override ?? null,
  };
}

export function summary(
  principalArn: string,
  principalType: 'user' | 'role',
  repositories: RepositoryAccess[],
  hasAccess?: boolean | 'unknown',
): CodeCommitAccessSummary {
  return {
    principalArn,
    principalType,
    hasAccess: hasAccess ?? repositories.length > 0,
    level: repositories.length > 0 ? 'write' : 'none',
    repositories,
  };
}

export function credentials(overrides: Partial<UserCredentialsEvidence> = {}): UserCredentialsEvidence {
  return {
    passwordEnabled: false,
    passwordLastUsed: null,
    mfaActive: false,
    accessKeys: [],
    sshPublicKeys: [],
    gitCredentials: [],
    credentialReportRow: null,
    ...overrides,
  };
}

/** An IAM user; by default with a console password, MFA and write access to `app`. */
export function user(
  name: string,
  opts: {
    tags?: Record<string, string>;
    credentials?: Partial<UserCredentialsEvidence>;
    repositories?: RepositoryAccess[];
    hasAccess?: boolean | 'unknown';
  } = {},
): IamUserEvidence {
  const arn = userArn(name);
  const creds = credentials({ passwordEnabled: true, mfaActive: true, ...opts.credentials });
  return {
    arn,
    userName: name,
    userId: `AIDA${name.toUpperCase()}`,
    tags: opts.tags ?? {},
    credentials: {
      ...creds,
      credentialReportRow: creds.credentialReportRow ?? {
        user: name,
        arn,
        password_enabled: String(creds.passwordEnabled),
        mfa_active: String(creds.mfaActive),
      },
    },
    access: summary(arn, 'user', opts.repositories ?? [repoAccess('app')], opts.hasAccess),
  };
}

export function role(
  name: string,
  repositories: RepositoryAccess[],
  hasAccess?: boolean | 'unknown',
): IamRoleEvidence {
  const arn = roleArn(name);
  return { arn, roleName: name, access: summary(arn, 'role', repositories, hasAccess) };
}

export function template(
  overrides: Partial<ApprovalRuleTemplateEvidence> = {},
): ApprovalRuleTemplateEvidence {
  return {
    name: 'require-review',
    id: 'tmpl-1',
    destinationReferences: ['refs/heads/main'],
    requiredApprovals: 1,
    approvalPoolMembers: [],
    ...overrides,
  };
}

export function repository(name: string, overrides: Partial<RepositoryEvidence> = {}): RepositoryEvidence {
  return {
    name,
    arn: repoArn(name),
    id: `id-${name}`,
    defaultBranch: 'main',
    approvalRuleTemplates: [template()],
    pullRequests: [],
    ...overrides,
  };
}

/** A pull request merged into main 10 days ago, approved on its final revision by bob. */
export function pullRequest(id: string, overrides: Partial<PullRequestEvidence> = {}): PullRequestEvidence {
  const revisionId = overrides.revisionId ?? `rev-${id}-2`;
  return {
    id,
    title: `Change ${id}`,
    authorArn: userArn('alice'),
    status: 'CLOSED',
    isMerged: true,
    mergedBy: userArn('alice'),
    mergedAt: daysAgo(10),
    creationDate: daysAgo(12),
    lastActivityDate: daysAgo(10),
    sourceReference: `refs/heads/feature-${id}`,
    destinationReference: 'refs/heads/main',
    revisionId,
    approvals: [{ revisionId, userArn: userArn('bob'), state: 'APPROVE' }],
    evaluation: {
      approved: true,
      overridden: false,
      approvalRulesSatisfied: ['require-review'],
      approvalRulesNotSatisfied: [],
    },
    override: { overridden: false, overrider: null },
    ...overrides,
  };
}

export function evidence(
  overrides: Partial<Omit<CheckEvidence, 'run'>> & { run?: Partial<CheckEvidence['run']> } = {},
): CheckEvidence {
  const { run, ...rest } = overrides;
  return {
    run: {
      syncRunId: 'run-1',
      accountId: ACCOUNT,
      region: REGION,
      evaluatedAt: NOW,
      auditWindowDays: 90,
      completeness: { missingPermissions: [], failedSteps: [] },
      ...run,
    },
    users: [],
    roles: [],
    root: { mfaActive: true, credentialReportRow: { user: '<root_account>', mfa_active: 'true' } },
    people: [],
    identityLinks: [],
    repositories: [],
    ...rest,
  };
}
