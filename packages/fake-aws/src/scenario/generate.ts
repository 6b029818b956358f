import type {
  Scenario,
  ScenarioGroup,
  ScenarioPullRequest,
  ScenarioRepository,
  ScenarioRole,
  ScenarioUser,
} from './schema.js';

/**
 * The trust policy of a role the platform assumes: the platform account, with the connection's External
 * ID (one, or any of several for a role shared by connections). The generator's product role has it, and
 * so do the extra product roles tests and benches add for more connections.
 */
export function platformTrustPolicy(
  platformAccountId: string,
  externalId: string | string[],
): ScenarioRole['trustPolicy'] {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Principal: { AWS: `arn:aws:iam::${platformAccountId}:root` },
        Action: 'sts:AssumeRole',
        Condition: { StringEquals: { 'sts:ExternalId': externalId } },
      },
    ],
  };
}

/**
 * Adds a copy of the generated product role under another name, trusting the platform with its own
 * External ID: one more connection to the same account (External IDs are unique per connection).
 */
export function addProductRole(
  scenario: Scenario,
  role: { roleName: string; roleId: string; externalId: string },
): void {
  const product = scenario.account.roles.find((r) => r.roleName === GENERATED_DEFAULTS.productRole.roleName);
  if (!product) throw new Error('the scenario has no generated product role to copy');
  scenario.account.roles.push({
    ...structuredClone(product),
    roleName: role.roleName,
    roleId: role.roleId,
    trustPolicy: platformTrustPolicy(scenario.platform.accountId, role.externalId),
  });
}

/** Options of the synthetic account generator; the same options always give the same scenario. */
export interface GenerateOptions {
  repos: number;
  prsPerRepo: number;
  users: number;
  seed?: number;
  /** Branches per repository besides the default one (default 3). */
  branchesPerRepo?: number;
  /** Extra groups besides Admins, Developers and ReadOnly (default 0). */
  groups?: number;
  region?: string;
  accountId?: string;
  platformAccountId?: string;
  /** The "today" of the generated account; pull requests span the 180 days before it. */
  referenceDate?: string;
  /**
   * A pre-created role for the platform to assume (trusting the platform account, with this External
   * ID, AWSCodeCommitReadOnly and IAMReadOnlyAccess); null for none.
   */
  productRole?: { roleName: string; externalId: string } | null;
}

export const GENERATED_DEFAULTS = {
  accountId: '111122223333',
  platformAccountId: '444455556666',
  region: 'us-east-1',
  referenceDate: '2026-11-01T00:00:00Z',
  productRole: { roleName: 'CodeCommitEvidence', externalId: 'fake-aws-external-id' },
  platformCredentials: { accessKeyId: 'AKIAFAKEPLATFORM0001', secretAccessKey: 'fake-platform-secret' },
  adminCredentials: { accessKeyId: 'AKIAFAKECUSTADMIN001', secretAccessKey: 'fake-admin-secret' },
} as const;

/** mulberry32: a small, fast, seedable PRNG. */
function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (n: number) => Math.floor(next() * n),
    chance: (p: number) => next() < p,
    hex: (length: number) => {
      let out = '';
      while (out.length < length)
        out += Math.floor(next() * 0x100000000)
          .toString(16)
          .padStart(8, '0');
      return out.slice(0, length);
    },
    id: (prefix: string, length: number) => {
      const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
      let out = prefix;
      for (let i = 0; i < length; i++) out += alphabet[Math.floor(next() * 32)];
      return out;
    },
  };
}

const pad = (n: number, width = 5) => String(n).padStart(width, '0');
const DAY = 86_400_000;

/** Builds a large synthetic account: users, groups, roles, repositories and pull requests. */
export function generateScenario(options: GenerateOptions): Scenario {
  const seed = options.seed ?? 1;
  const r = prng(seed);
  const accountId = options.accountId ?? GENERATED_DEFAULTS.accountId;
  const platformAccountId = options.platformAccountId ?? GENERATED_DEFAULTS.platformAccountId;
  const region = options.region ?? GENERATED_DEFAULTS.region;
  const reference = Date.parse(options.referenceDate ?? GENERATED_DEFAULTS.referenceDate);
  const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const ago = (maxDays: number, minDays = 0) => reference - (minDays + r.next() * (maxDays - minDays)) * DAY;
  const productRole =
    options.productRole === undefined ? GENERATED_DEFAULTS.productRole : options.productRole;

  const group = (groupName: string, attached: string[]): ScenarioGroup => ({
    groupName,
    groupId: r.id('AGPA', 17),
    path: '/',
    createDate: iso(ago(900, 800)),
    inlinePolicies: [],
    attachedPolicies: attached,
  });
  const groups: ScenarioGroup[] = [
    group('Admins', ['arn:aws:iam::aws:policy/AdministratorAccess']),
    group('Developers', ['arn:aws:iam::aws:policy/AWSCodeCommitPowerUser']),
    group('ReadOnly', ['arn:aws:iam::aws:policy/AWSCodeCommitReadOnly']),
  ];
  for (let i = 1; i <= (options.groups ?? 0); i++) {
    groups.push({
      groupName: `team-${pad(i, 3)}`,
      groupId: r.id('AGPA', 17),
      path: '/',
      createDate: iso(ago(800, 400)),
      attachedPolicies: [],
      inlinePolicies: [
        {
          name: 'team-repos',
          document: {
            Version: '2012-10-17',
            Statement: [
              {
                Effect: 'Allow',
                Action: ['codecommit:GitPull', 'codecommit:GitPush'],
                Resource: `arn:aws:codecommit:${region}:${accountId}:repo-*`,
              },
            ],
          },
        },
      ],
    });
  }
  const groupNames = groups.map((g) => g.groupName);

  const users: ScenarioUser[] = [];
  const userNames: string[] = [];
  for (let i = 1; i <= options.users; i++) {
    const userName = `user-${pad(i)}`;
    userNames.push(userName);
    const created = ago(800, 30);
    const hasPassword = r.chance(0.6);
    const keyCount = r.int(3);
    users.push({
      userName,
      userId: r.id('AIDA', 17),
      path: '/',
      createDate: iso(created),
      inlinePolicies: [],
      attachedPolicies: [],
      permissionsBoundary: null,
      tags: r.chance(0.9) ? [{ Key: 'email', Value: `${userName}@example.com` }] : [],
      groups: [groupNames[r.chance(0.1) ? 0 : r.chance(0.8) ? 1 : 2 + r.int(groupNames.length - 2)]!],
      password: hasPassword
        ? { enabled: true, lastUsed: r.chance(0.8) ? iso(ago(60)) : null, lastChanged: iso(ago(200, 30)) }
        : null,
      mfaActive: hasPassword && r.chance(0.7),
      accessKeys: Array.from({ length: keyCount }, () => {
        const used = r.chance(0.7);
        return {
          accessKeyId: r.id('AKIA', 16),
          status: r.chance(0.85) ? ('Active' as const) : ('Inactive' as const),
          createDate: iso(ago(400, 30)),
          lastUsedDate: used ? iso(ago(30)) : null,
          lastUsedRegion: used ? region : null,
          lastUsedService: used ? 'codecommit' : null,
        };
      }),
      sshPublicKeys: r.chance(0.3)
        ? [{ sshPublicKeyId: r.id('APKA', 16), status: 'Active', uploadDate: iso(ago(300, 30)) }]
        : [],
      serviceSpecificCredentials: r.chance(0.2)
        ? [
            {
              serviceSpecificCredentialId: r.id('ACCA', 17),
              serviceName: 'codecommit.amazonaws.com',
              status: 'Active',
              createDate: iso(ago(300, 30)),
            },
          ]
        : [],
    });
  }

  const role = (
    roleName: string,
    trustPolicy: ScenarioRole['trustPolicy'],
    attached: string[],
    days: [number, number],
  ): ScenarioRole => ({
    roleName,
    roleId: r.id('AROA', 17),
    path: '/',
    createDate: iso(ago(days[0], days[1])),
    maxSessionDuration: 3600,
    trustPolicy,
    inlinePolicies: [],
    attachedPolicies: attached,
    permissionsBoundary: null,
    tags: [],
  });
  const roles: ScenarioRole[] = [
    role(
      'Developer',
      {
        Version: '2012-10-17',
        Statement: [
          { Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${accountId}:root` }, Action: 'sts:AssumeRole' },
        ],
      },
      ['arn:aws:iam::aws:policy/AWSCodeCommitPowerUser'],
      [900, 800],
    ),
  ];
  if (productRole) {
    roles.push(
      role(
        productRole.roleName,
        platformTrustPolicy(platformAccountId, productRole.externalId),
        ['arn:aws:iam::aws:policy/AWSCodeCommitReadOnly', 'arn:aws:iam::aws:policy/IAMReadOnlyAccess'],
        [10, 5],
      ),
    );
  }

  const template = {
    Version: '2018-11-08' as const,
    DestinationReferences: ['refs/heads/main'],
    Statements: [
      {
        Type: 'Approvers' as const,
        NumberOfApprovalsNeeded: 1,
        ApprovalPoolMembers: [`arn:aws:sts::${accountId}:assumed-role/Developer/*`],
      },
    ],
  };
  const templateId = `${r.hex(8)}-${r.hex(4)}-${r.hex(4)}-${r.hex(4)}-${r.hex(12)}`;
  const repositories: ScenarioRepository[] = [];
  const associated: string[] = [];
  const pullRequests: ScenarioPullRequest[] = [];
  const developer = (name: string) => `arn:aws:sts::${accountId}:assumed-role/Developer/${name}`;
  let prId = 0;
  for (let i = 1; i <= options.repos; i++) {
    const repositoryName = `repo-${pad(i)}`;
    const created = ago(700, 200);
    const mainCommit = r.hex(40);
    const branches = [{ name: 'main', commitId: mainCommit }];
    for (let b = 1; b <= (options.branchesPerRepo ?? 3); b++)
      branches.push({ name: `feature/${pad(b, 3)}`, commitId: r.hex(40) });
    repositories.push({
      repositoryName,
      repositoryId: `${r.hex(8)}-${r.hex(4)}-${r.hex(4)}-${r.hex(4)}-${r.hex(12)}`,
      description: `Synthetic repository ${i}`,
      defaultBranch: 'main',
      creationDate: iso(created),
      lastModifiedDate: iso(ago(30)),
      branches,
    });
    const protectedRepo = r.chance(0.7);
    if (protectedRepo) associated.push(repositoryName);
    for (let j = 0; j < options.prsPerRepo; j++) {
      prId++;
      const author = userNames.length > 0 ? userNames[r.int(userNames.length)]! : 'developer';
      const created2 = ago(180, 1);
      const last = Math.min(reference, created2 + r.next() * 5 * DAY);
      const roll = r.next();
      const merged = roll < 0.7;
      const closed = merged || roll < 0.8;
      const revisionCount = 1 + r.int(3);
      const revisions = Array.from({ length: revisionCount }, () => r.hex(64));
      const approvals: { revisionId: string; userArn: string; state: 'APPROVE' | 'REVOKE' }[] = [];
      if (r.chance(0.85)) {
        const approver = userNames.length > 0 ? userNames[r.int(userNames.length)]! : 'reviewer';
        const onCurrent = r.chance(0.9);
        approvals.push({
          revisionId: onCurrent ? revisions[revisionCount - 1]! : revisions[0]!,
          userArn: developer(approver),
          state: 'APPROVE',
        });
      }
      const creationIso = iso(created2);
      pullRequests.push({
        pullRequestId: String(prId),
        title: `Change ${prId} in ${repositoryName}`,
        repositoryName,
        authorArn: developer(author),
        status: closed ? 'CLOSED' : 'OPEN',
        creationDate: creationIso,
        lastActivityDate: iso(last),
        sourceReference: `refs/heads/feature/${pad(1 + r.int(options.branchesPerRepo ?? 3), 3)}`,
        destinationReference: 'refs/heads/main',
        sourceCommit: r.hex(40),
        destinationCommit: mainCommit,
        mergeBase: r.hex(40),
        isMerged: merged,
        mergedBy: merged ? developer(author) : null,
        mergeCommitId: merged ? r.hex(40) : null,
        mergeOption: merged ? 'SQUASH_MERGE' : null,
        revisions,
        approvals,
        approvalRules: protectedRepo
          ? [
              {
                name: 'require-one-approval',
                id: `${r.hex(8)}-${r.hex(4)}-${r.hex(4)}-${r.hex(4)}-${r.hex(12)}`,
                content: template,
                originTemplate: { id: templateId, name: 'require-one-approval' },
                creationDate: creationIso,
                lastModifiedDate: creationIso,
                lastModifiedUser: developer(author),
              },
            ]
          : [],
        override: null,
      });
    }
  }

  const scenario: Scenario = {
    name: `generated: ${options.repos} repos x ${options.prsPerRepo} PRs, ${options.users} users, seed ${seed}`,
    referenceDate: iso(reference),
    platform: { accountId: platformAccountId, credentials: { ...GENERATED_DEFAULTS.platformCredentials } },
    account: {
      accountId,
      createDate: iso(reference - 1000 * DAY),
      adminCredentials: { ...GENERATED_DEFAULTS.adminCredentials },
      root: { mfaActive: true, passwordLastUsed: iso(ago(90, 10)), accessKeys: [] },
      users,
      groups,
      roles,
      policies: [],
      regions: {
        [region]: {
          repositories,
          approvalRuleTemplates: [
            {
              name: 'require-one-approval',
              id: templateId,
              description: 'One approval from a developer on main',
              content: template,
              creationDate: iso(reference - 720 * DAY),
              lastModifiedDate: iso(reference - 720 * DAY),
              lastModifiedUser: `arn:aws:iam::${accountId}:root`,
            },
          ],
          associations: { 'require-one-approval': associated },
          pullRequests,
        },
      },
    },
  };
  return scenario;
}
