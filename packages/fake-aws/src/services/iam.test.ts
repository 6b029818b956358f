import {
  AttachRolePolicyCommand,
  CreateRoleCommand,
  DeleteRoleCommand,
  DeleteRolePolicyCommand,
  DetachRolePolicyCommand,
  GenerateCredentialReportCommand,
  GetAccountAuthorizationDetailsCommand,
  GetCredentialReportCommand,
  GetGroupPolicyCommand,
  GetPolicyCommand,
  GetPolicyVersionCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  GetUserCommand,
  GetUserPolicyCommand,
  type IAMClient,
  ListAccessKeysCommand,
  ListAttachedGroupPoliciesCommand,
  ListAttachedRolePoliciesCommand,
  ListAttachedUserPoliciesCommand,
  ListGroupPoliciesCommand,
  ListGroupsCommand,
  ListGroupsForUserCommand,
  ListPoliciesCommand,
  ListRolePoliciesCommand,
  ListRolesCommand,
  ListRoleTagsCommand,
  ListServiceSpecificCredentialsCommand,
  ListSSHPublicKeysCommand,
  ListUserPoliciesCommand,
  ListUsersCommand,
  ListUserTagsCommand,
  PutRolePolicyCommand,
  paginateGetAccountAuthorizationDetails,
  paginateListUsers,
  UpdateAssumeRolePolicyCommand,
} from '@aws-sdk/client-iam';
import { AssumeRoleCommand } from '@aws-sdk/client-sts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FakeAws } from '../server.js';
import {
  ACCOUNT,
  assume,
  caught,
  clients,
  createRole,
  productSession,
  startDemo,
  trustPlatform,
} from '../test-support/fixture.js';
import { CREDENTIAL_REPORT_COLUMNS } from './credential-report.js';

const decode = (doc: string | undefined) => JSON.parse(decodeURIComponent(doc ?? ''));

describe('IAM reads with the product role', () => {
  let fake: FakeAws;
  let iam: IAMClient;
  beforeAll(async () => {
    fake = await startDemo();
    iam = clients(fake, await productSession(fake)).iam;
  });
  afterAll(() => fake.close());

  it('ListUsers pages with MaxItems and Marker', async () => {
    const first = await iam.send(new ListUsersCommand({ MaxItems: 4 }));
    expect(first.Users?.map((u) => u.UserName)).toEqual(['alice', 'bob', 'carol', 'dave']);
    expect(first.IsTruncated).toBe(true);
    const names: string[] = [];
    for await (const page of paginateListUsers({ client: iam, pageSize: 4 }, {})) {
      names.push(...(page.Users ?? []).map((u) => u.UserName!));
    }
    expect(names).toHaveLength(9);
    const alice = first.Users?.[0];
    expect(alice?.Arn).toBe(`arn:aws:iam::${ACCOUNT}:user/alice`);
    expect(alice?.CreateDate).toEqual(new Date('2024-03-01T09:00:00Z'));
    expect(alice?.PasswordLastUsed).toBeInstanceOf(Date);
    expect(first.Users?.[3]?.PasswordLastUsed).toBeUndefined();
    const service = await iam.send(new ListUsersCommand({ PathPrefix: '/service/' }));
    expect(service.Users?.map((u) => u.Arn)).toEqual([`arn:aws:iam::${ACCOUNT}:user/service/ci-bot`]);
    expect((await caught(() => iam.send(new ListUsersCommand({ Marker: 'garbage' })))).name).toBe(
      'ValidationError',
    );
  });

  it('GetAccountAuthorizationDetails returns every entity across pages, documents URL-encoded', async () => {
    const users: string[] = [];
    const groups: string[] = [];
    const roles: string[] = [];
    const policies: string[] = [];
    let pages = 0;
    for await (const page of paginateGetAccountAuthorizationDetails({ client: iam, pageSize: 5 }, {})) {
      pages++;
      users.push(...(page.UserDetailList ?? []).map((u) => u.UserName!));
      groups.push(...(page.GroupDetailList ?? []).map((g) => g.GroupName!));
      roles.push(...(page.RoleDetailList ?? []).map((r) => r.RoleName!));
      policies.push(...(page.Policies ?? []).map((p) => p.PolicyName!));
    }
    expect(pages).toBeGreaterThan(3);
    expect(users).toHaveLength(9);
    expect(groups).toEqual(['Admins', 'Developers', 'Auditors', 'Finance']);
    expect(roles).toEqual(['Developer', 'Admin', 'CodeCommitEvidence']);
    expect(policies.sort()).toEqual(
      [
        'AWSCodeCommitPowerUser',
        'AWSCodeCommitReadOnly',
        'AdministratorAccess',
        'IAMReadOnlyAccess',
        'ProtectMainBranch',
      ].sort(),
    );
    const only = await iam.send(
      new GetAccountAuthorizationDetailsCommand({ Filter: ['LocalManagedPolicy'] }),
    );
    expect(only.UserDetailList).toEqual([]);
    const protect = only.Policies?.[0];
    expect(protect?.DefaultVersionId).toBe('v2');
    expect(protect?.PolicyVersionList?.map((v) => [v.VersionId, v.IsDefaultVersion])).toEqual([
      ['v1', false],
      ['v2', true],
    ]);
    expect(decode(protect?.PolicyVersionList?.[1]?.Document).Statement[0].Condition.Null).toEqual({
      'codecommit:References': 'false',
    });
    const ci = (
      await iam.send(new GetAccountAuthorizationDetailsCommand({ Filter: ['User'] }))
    ).UserDetailList?.find((u) => u.UserName === 'ci-bot');
    expect(decode(ci?.UserPolicyList?.[0]?.PolicyDocument).Statement[0].Action).toEqual([
      'codecommit:GitPull',
      'codecommit:GitPush',
    ]);
  });

  it('answers the per-user, per-group and per-role calls', async () => {
    expect((await iam.send(new ListUserTagsCommand({ UserName: 'bob' }))).Tags).toEqual([
      { Key: 'Email', Value: 'Bob@Acme.Example' },
    ]);
    expect(
      (await iam.send(new ListGroupsForUserCommand({ UserName: 'alice' }))).Groups?.map((g) => g.GroupName),
    ).toEqual(['Admins']);
    expect(
      (await iam.send(new ListAttachedUserPoliciesCommand({ UserName: 'alice' }))).AttachedPolicies,
    ).toEqual([]);
    expect((await iam.send(new ListUserPoliciesCommand({ UserName: 'ci-bot' }))).PolicyNames).toEqual([
      'ci-push-infra-tools',
    ]);
    const userPolicy = await iam.send(
      new GetUserPolicyCommand({ UserName: 'ci-bot', PolicyName: 'ci-push-infra-tools' }),
    );
    expect(decode(userPolicy.PolicyDocument).Statement[0].Resource).toBe(
      `arn:aws:codecommit:us-east-1:${ACCOUNT}:infra-tools`,
    );
    expect((await iam.send(new ListGroupPoliciesCommand({ GroupName: 'Finance' }))).PolicyNames).toEqual([
      'billing-read',
    ]);
    const groupPolicy = await iam.send(
      new GetGroupPolicyCommand({ GroupName: 'Finance', PolicyName: 'billing-read' }),
    );
    expect(decode(groupPolicy.PolicyDocument).Statement[0].Action).toContain('ce:Get*');
    expect(
      (await iam.send(new ListAttachedGroupPoliciesCommand({ GroupName: 'Developers' }))).AttachedPolicies,
    ).toEqual([
      { PolicyName: 'AWSCodeCommitPowerUser', PolicyArn: 'arn:aws:iam::aws:policy/AWSCodeCommitPowerUser' },
      { PolicyName: 'ProtectMainBranch', PolicyArn: `arn:aws:iam::${ACCOUNT}:policy/ProtectMainBranch` },
    ]);
    const roles = await iam.send(new ListRolesCommand({}));
    expect(roles.Roles?.map((r) => r.RoleName)).toEqual(['Developer', 'Admin', 'CodeCommitEvidence']);
    expect(decode(roles.Roles?.[1]?.AssumeRolePolicyDocument).Statement[0].Condition).toEqual({
      Bool: { 'aws:MultiFactorAuthPresent': 'true' },
    });
    expect((await iam.send(new ListRolePoliciesCommand({ RoleName: 'Admin' }))).PolicyNames).toEqual([]);
    expect(
      (await iam.send(new ListAttachedRolePoliciesCommand({ RoleName: 'Admin' }))).AttachedPolicies?.map(
        (p) => p.PolicyName,
      ),
    ).toEqual(['AdministratorAccess', 'ProtectMainBranch']);
    const missing = await caught(() =>
      iam.send(new GetRolePolicyCommand({ RoleName: 'Admin', PolicyName: 'nope' })),
    );
    expect(missing.name).toBe('NoSuchEntityException');
    expect((await caught(() => iam.send(new ListUserTagsCommand({ UserName: 'zed' })))).message).toBe(
      'The user with name zed cannot be found.',
    );
  });

  it('answers the extra reads: GetUser, GetRole, ListRoleTags, ListAccessKeys, ListGroups, ListPolicies', async () => {
    const user = await iam.send(new GetUserCommand({ UserName: 'ci-bot' }));
    expect(user.User).toMatchObject({
      Path: '/service/',
      Arn: `arn:aws:iam::${ACCOUNT}:user/service/ci-bot`,
    });
    expect(user.User?.Tags).toHaveLength(2);
    const role = await iam.send(new GetRoleCommand({ RoleName: 'Developer' }));
    expect(role.Role).toMatchObject({
      RoleName: 'Developer',
      MaxSessionDuration: 43200,
      Description: 'Engineers (via SSO)',
    });
    expect((await iam.send(new ListRoleTagsCommand({ RoleName: 'Developer' }))).Tags).toEqual([]);
    const keys = await iam.send(new ListAccessKeysCommand({ UserName: 'dave' }));
    expect(keys.AccessKeyMetadata).toEqual([
      expect.objectContaining({ UserName: 'dave', Status: 'Inactive' }),
    ]);
    expect((await iam.send(new ListGroupsCommand({}))).Groups?.map((g) => g.GroupName)).toEqual([
      'Admins',
      'Developers',
      'Auditors',
      'Finance',
    ]);
    const local = await iam.send(new ListPoliciesCommand({ Scope: 'Local' }));
    expect(local.Policies?.map((p) => p.PolicyName)).toEqual(['ProtectMainBranch']);
    const attached = await iam.send(new ListPoliciesCommand({ Scope: 'AWS', OnlyAttached: true }));
    expect(attached.Policies?.map((p) => p.PolicyName).sort()).toEqual([
      'AWSCodeCommitPowerUser',
      'AWSCodeCommitReadOnly',
      'AdministratorAccess',
      'IAMReadOnlyAccess',
    ]);
  });

  it('GetPolicy and GetPolicyVersion for customer and AWS managed policies', async () => {
    const policy = await iam.send(
      new GetPolicyCommand({ PolicyArn: `arn:aws:iam::${ACCOUNT}:policy/ProtectMainBranch` }),
    );
    expect(policy.Policy).toMatchObject({
      PolicyName: 'ProtectMainBranch',
      DefaultVersionId: 'v2',
      AttachmentCount: 4,
    });
    const v1 = await iam.send(
      new GetPolicyVersionCommand({ PolicyArn: policy.Policy!.Arn!, VersionId: 'v1' }),
    );
    expect(v1.PolicyVersion?.IsDefaultVersion).toBe(false);
    expect(decode(v1.PolicyVersion?.Document).Statement).toHaveLength(1);
    const power = await iam.send(
      new GetPolicyCommand({ PolicyArn: 'arn:aws:iam::aws:policy/AWSCodeCommitPowerUser' }),
    );
    const doc = await iam.send(
      new GetPolicyVersionCommand({
        PolicyArn: power.Policy!.Arn!,
        VersionId: power.Policy!.DefaultVersionId!,
      }),
    );
    expect(decode(doc.PolicyVersion?.Document).Statement[0].Action).toContain(
      'codecommit:OverridePullRequestApprovalRules',
    );
    const gone = await caught(() =>
      iam.send(new GetPolicyVersionCommand({ PolicyArn: policy.Policy!.Arn!, VersionId: 'v9' })),
    );
    expect(gone.name).toBe('NoSuchEntityException');
  });

  it('lists SSH keys and HTTPS Git credentials', async () => {
    const ssh = await iam.send(new ListSSHPublicKeysCommand({ UserName: 'frank' }));
    expect(ssh.SSHPublicKeys).toEqual([
      expect.objectContaining({
        UserName: 'frank',
        Status: 'Active',
        UploadDate: new Date('2025-09-01T11:00:00Z'),
      }),
    ]);
    expect((await iam.send(new ListSSHPublicKeysCommand({ UserName: 'alice' }))).SSHPublicKeys).toEqual([]);
    const git = await iam.send(
      new ListServiceSpecificCredentialsCommand({
        UserName: 'ci-bot',
        ServiceName: 'codecommit.amazonaws.com',
      }),
    );
    expect(git.ServiceSpecificCredentials).toEqual([
      expect.objectContaining({
        UserName: 'ci-bot',
        ServiceName: 'codecommit.amazonaws.com',
        Status: 'Active',
        ServiceUserName: 'ci-bot-at-111122223333',
      }),
    ]);
    const all = await iam.send(new ListServiceSpecificCredentialsCommand({ AllUsers: true }));
    expect(all.ServiceSpecificCredentials).toHaveLength(1);
    expect((await caught(() => iam.send(new ListSSHPublicKeysCommand({})))).name).toBe('ValidationError');
  });
});

describe('credential report', () => {
  let fake: FakeAws;
  let iam: IAMClient;
  // The report's generation time passes on this clock only, so a slow machine cannot finish it early.
  let now = Date.now();
  beforeAll(async () => {
    fake = await startDemo({ credentialReportDelayMs: 150, clock: () => now });
    iam = clients(fake, await productSession(fake)).iam;
  });
  afterAll(() => fake.close());

  it('goes from not present to in progress to complete, with the real CSV', async () => {
    expect((await caught(() => iam.send(new GetCredentialReportCommand({})))).name).toBe(
      'CredentialReportNotPresentException',
    );
    expect((await iam.send(new GenerateCredentialReportCommand({}))).State).toBe('STARTED');
    expect((await iam.send(new GenerateCredentialReportCommand({}))).State).toBe('INPROGRESS');
    const early = await caught(() => iam.send(new GetCredentialReportCommand({})));
    expect(early.name).toBe('CredentialReportNotReadyException');
    expect(early.$metadata?.httpStatusCode).toBe(404);
    now += 149;
    expect((await iam.send(new GenerateCredentialReportCommand({}))).State).toBe('INPROGRESS');
    now += 1;
    expect((await iam.send(new GenerateCredentialReportCommand({}))).State).toBe('COMPLETE');
    const report = await iam.send(new GetCredentialReportCommand({}));
    expect(report.ReportFormat).toBe('text/csv');
    expect(report.GeneratedTime).toBeInstanceOf(Date);
    const lines = Buffer.from(report.Content!).toString('utf8').split('\n');
    expect(lines[0]).toBe(CREDENTIAL_REPORT_COLUMNS.join(','));
    expect(lines).toHaveLength(11);
    const row = (user: string) => {
      const cells = lines.find((l) => l.startsWith(`${user},`))!.split(',');
      return Object.fromEntries(CREDENTIAL_REPORT_COLUMNS.map((c, i) => [c, cells[i]]));
    };
    expect(row('<root_account>')).toMatchObject({
      arn: `arn:aws:iam::${ACCOUNT}:root`,
      password_enabled: 'not_supported',
      password_last_changed: 'not_supported',
      mfa_active: 'true',
      access_key_1_active: 'false',
    });
    expect(row('bob')).toMatchObject({
      password_enabled: 'true',
      mfa_active: 'false',
      access_key_1_active: 'true',
    });
    expect(row('carol')).toMatchObject({
      access_key_1_last_used_date: '2026-11-15T03:14:00+00:00',
      access_key_1_last_used_service: 'codecommit',
    });
    expect(row('dave')).toMatchObject({
      password_enabled: 'false',
      password_last_used: 'N/A',
      access_key_1_active: 'false',
      access_key_2_active: 'false',
    });
    expect(row('henry')).toMatchObject({
      password_enabled: 'true',
      password_last_used: 'no_information',
      password_next_rotation: 'N/A',
    });
    expect(row('frank')).toMatchObject({
      password_enabled: 'false',
      access_key_1_active: 'false',
      cert_1_active: 'false',
    });
  });
});

describe('credential report age', () => {
  it('is reused while younger than 4 hours, then expires', async () => {
    let now = Date.parse('2026-11-20T00:00:00Z');
    const fake = await startDemo({ clock: () => now, credentialReportDelayMs: 1000 });
    try {
      const { iam } = clients(fake, fake.adminCredentials);
      expect((await iam.send(new GenerateCredentialReportCommand({}))).State).toBe('STARTED');
      now += 1000;
      expect((await iam.send(new GetCredentialReportCommand({}))).GeneratedTime).toEqual(new Date(now));
      now += 3 * 3600_000;
      expect((await iam.send(new GenerateCredentialReportCommand({}))).State).toBe('COMPLETE');
      now += 3600_000;
      expect((await caught(() => iam.send(new GetCredentialReportCommand({})))).name).toBe(
        'CredentialReportExpiredException',
      );
      expect((await iam.send(new GenerateCredentialReportCommand({}))).State).toBe('STARTED');
    } finally {
      await fake.close();
    }
  });
});

describe('IAM writes by the customer administrator', () => {
  let fake: FakeAws;
  beforeAll(async () => {
    fake = await startDemo();
  });
  afterAll(() => fake.close());

  it('creates a role from the setup kit that the platform can then assume', async () => {
    const { iam } = clients(fake, fake.adminCredentials);
    const created = await iam.send(
      new CreateRoleCommand({
        RoleName: 'Kit',
        Path: '/evidence/',
        AssumeRolePolicyDocument: JSON.stringify(trustPlatform('old-id')),
        MaxSessionDuration: 7200,
      }),
    );
    expect(created.Role).toMatchObject({
      RoleName: 'Kit',
      Arn: `arn:aws:iam::${ACCOUNT}:role/evidence/Kit`,
      MaxSessionDuration: 7200,
    });
    expect(created.Role?.RoleId).toMatch(/^AROA/);
    expect(decode(created.Role?.AssumeRolePolicyDocument)).toEqual(trustPlatform('old-id'));
    const again = await caught(() =>
      iam.send(new CreateRoleCommand({ RoleName: 'kit', AssumeRolePolicyDocument: '{}' })),
    );
    expect(again.name).toBe('EntityAlreadyExistsException');
    const malformed = await caught(() =>
      iam.send(new CreateRoleCommand({ RoleName: 'Bad', AssumeRolePolicyDocument: '{nope' })),
    );
    expect(malformed.name).toBe('MalformedPolicyDocumentException');

    await iam.send(
      new UpdateAssumeRolePolicyCommand({
        RoleName: 'Kit',
        PolicyDocument: JSON.stringify(trustPlatform('new-id')),
      }),
    );
    await iam.send(
      new AttachRolePolicyCommand({
        RoleName: 'Kit',
        PolicyArn: 'arn:aws:iam::aws:policy/AWSCodeCommitReadOnly',
      }),
    );
    await iam.send(
      new PutRolePolicyCommand({
        RoleName: 'Kit',
        PolicyName: 'iam-read',
        PolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Action: 'iam:List*', Resource: '*' }],
        }),
      }),
    );
    const inline = await iam.send(new GetRolePolicyCommand({ RoleName: 'Kit', PolicyName: 'iam-read' }));
    expect(decode(inline.PolicyDocument).Statement[0].Action).toBe('iam:List*');
    expect((await iam.send(new ListRolePoliciesCommand({ RoleName: 'Kit' }))).PolicyNames).toEqual([
      'iam-read',
    ]);
    const arn = created.Role!.Arn!;
    const { sts } = clients(fake, fake.platformCredentials);
    expect(
      (
        await caught(() =>
          sts.send(new AssumeRoleCommand({ RoleArn: arn, RoleSessionName: 'x1', ExternalId: 'old-id' })),
        )
      ).name,
    ).toBe('AccessDenied');
    const session = await assume(fake, arn, 'new-id');
    const users = await clients(fake, session).iam.send(new ListUsersCommand({}));
    expect(users.Users).toHaveLength(9);
    expect(fake.scenario().account.roles.map((r) => r.roleName)).toContain('Kit');

    const conflict = await caught(() => iam.send(new DeleteRoleCommand({ RoleName: 'Kit' })));
    expect(conflict.name).toBe('DeleteConflictException');
    await iam.send(
      new DetachRolePolicyCommand({
        RoleName: 'Kit',
        PolicyArn: 'arn:aws:iam::aws:policy/AWSCodeCommitReadOnly',
      }),
    );
    await iam.send(new DeleteRolePolicyCommand({ RoleName: 'Kit', PolicyName: 'iam-read' }));
    await iam.send(new DeleteRoleCommand({ RoleName: 'Kit' }));
    // The session outlives the role, but nothing allows it anything any more.
    const denied = await caught(() => clients(fake, session).iam.send(new ListUsersCommand({})));
    expect(denied.name).toBe('AccessDenied');
  });

  it('the platform identity cannot write IAM', async () => {
    const { iam } = clients(fake, fake.platformCredentials);
    const error = await caught(() =>
      iam.send(new CreateRoleCommand({ RoleName: 'Mine', AssumeRolePolicyDocument: '{}' })),
    );
    expect(error.name).toBe('AccessDenied');
  });
});

describe('permissions of the role session', () => {
  let fake: FakeAws;
  beforeAll(async () => {
    fake = await startDemo();
  });
  afterAll(() => fake.close());

  it('denies an action the role lacks, naming it, and counts it', async () => {
    const arn = await createRole(fake, 'ListOnly', {
      externalId: 'e-1',
      inline: {
        Version: '2012-10-17',
        Statement: [
          { Effect: 'Allow', Action: ['codecommit:List*', 'IAM:listusers'], Resource: '*' },
          {
            Effect: 'Deny',
            Action: 'iam:ListUsers',
            Resource: '*',
            Condition: { StringEquals: { 'aws:RequestedRegion': 'eu-west-1' } },
          },
          { Effect: 'Deny', NotAction: ['codecommit:*', 'iam:List*'], Resource: '*' },
        ],
      },
    });
    const { iam } = clients(fake, await assume(fake, arn, 'e-1'));
    expect((await iam.send(new ListUsersCommand({}))).Users).toHaveLength(9);
    const denied = await caught(() => iam.send(new ListRolesCommand({})));
    expect(denied.name).toBe('AccessDenied');
    expect(denied.$metadata?.httpStatusCode).toBe(403);
    expect(denied.message).toBe(
      `User: arn:aws:sts::${ACCOUNT}:assumed-role/ListOnly/evidence-test is not authorized to perform: iam:ListRoles on resource: arn:aws:iam::${ACCOUNT}:role/ because no identity-based policy allows the iam:ListRoles action`,
    );
    const explicit = await caught(() =>
      iam.send(new GetPolicyCommand({ PolicyArn: 'arn:aws:iam::aws:policy/AdministratorAccess' })),
    );
    expect(explicit.message).toContain('with an explicit deny in an identity-based policy');
    expect(fake.stats().denied).toEqual({ 'iam:ListRoles': 1, 'iam:GetPolicy': 1 });
  });
});

describe('permissions boundary', () => {
  it('caps what the role policies allow', async () => {
    const fake = await startDemo();
    try {
      const { iam } = clients(fake, fake.adminCredentials);
      await iam.send(
        new CreateRoleCommand({
          RoleName: 'Bounded',
          AssumeRolePolicyDocument: JSON.stringify(trustPlatform('e-9')),
          PermissionsBoundary: 'arn:aws:iam::aws:policy/AWSCodeCommitReadOnly',
        }),
      );
      await iam.send(
        new AttachRolePolicyCommand({
          RoleName: 'Bounded',
          PolicyArn: 'arn:aws:iam::aws:policy/AdministratorAccess',
        }),
      );
      const session = clients(fake, await assume(fake, `arn:aws:iam::${ACCOUNT}:role/Bounded`, 'e-9'));
      expect((await session.iam.send(new ListUsersCommand({}))).Users).toHaveLength(9);
      expect((await caught(() => session.iam.send(new ListRolesCommand({})))).name).toBe('AccessDenied');
    } finally {
      await fake.close();
    }
  });
});
