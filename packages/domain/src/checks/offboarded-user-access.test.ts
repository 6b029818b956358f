import { describe, expect, it } from 'vitest';
import type { PersonEvidence } from './evidence.js';
import { evaluateOffboardedUserAccess } from './offboarded-user-access.js';
import {
  credentials,
  daysAgo,
  evidence,
  grant,
  repoAccess,
  statementRef,
  user,
  userArn,
} from './test-support/evidence.js';

const alice: PersonEvidence = {
  email: 'alice@example.com',
  name: 'Alice',
  status: 'offboarded',
  offboardedAt: daysAgo(30),
};
const bob: PersonEvidence = { email: 'bob@example.com', name: 'Bob', status: 'active', offboardedAt: null };

const NO_CREDENTIALS = credentials();

describe('codecommit-offboarded-user-access', () => {
  it('fails for an offboarded person linked by an email tag (key and address case-insensitive) who keeps access', () => {
    const result = evaluateOffboardedUserAccess(
      evidence({
        people: [alice],
        users: [user('a.smith', { tags: { EMAIL: ' Alice@Example.COM ' } })],
      }),
    );
    expect(result.status).toBe('fail');
    expect(result.findings).toHaveLength(1);
    const finding = result.findings[0]!;
    expect(finding).toMatchObject({
      resourceType: 'iam_user',
      resourceId: userArn('a.smith'),
      status: 'fail',
    });
    expect(finding.reason).toContain('offboarded person alice@example.com (linked by its email tag)');
    expect(finding.reason).toContain('console password');
    expect(finding.evidence['link']).toMatchObject({
      method: 'email_tag',
      email: 'alice@example.com',
      tag: { key: 'EMAIL', value: ' Alice@Example.COM ' },
    });
    expect(finding.evidence['credentialReportRow']).toMatchObject({ user: 'a.smith' });
  });

  it('passes ("access removed") for an offboarded person whose user has no usable credential', () => {
    const result = evaluateOffboardedUserAccess(
      evidence({
        people: [alice],
        identityLinks: [{ iamUserArn: userArn('asmith'), personEmail: 'alice@example.com' }],
        users: [user('asmith', { credentials: NO_CREDENTIALS })],
      }),
    );
    expect(result.status).toBe('pass');
    expect(result.findings[0]!.reason).toMatch(/^Access removed/);
    expect(result.findings[0]!.reason).toContain('no usable credential');
    expect(result.findings[0]!.evidence['link']).toMatchObject({ method: 'explicit' });
  });

  it('passes ("access removed") for an offboarded person whose user has no CodeCommit permission', () => {
    const result = evaluateOffboardedUserAccess(
      evidence({ people: [alice], users: [user('alice@example.com', { repositories: [] })] }),
    );
    expect(result.status).toBe('pass');
    expect(result.findings[0]!.reason).toContain('no IAM policy allows it any CodeCommit action');
    expect(result.findings[0]!.evidence['link']).toMatchObject({ method: 'user_name' });
  });

  it('prefers the explicit link over the email tag', () => {
    const result = evaluateOffboardedUserAccess(
      evidence({
        people: [alice, bob],
        identityLinks: [{ iamUserArn: userArn('shared'), personEmail: 'bob@example.com' }],
        users: [user('shared', { tags: { email: 'alice@example.com' } })],
      }),
    );
    expect(result.status).toBe('pass');
    expect(result.findings[0]!.evidence['link']).toMatchObject({
      method: 'explicit',
      email: 'bob@example.com',
    });
  });

  it('reports one finding per user of an offboarded person linked to several users', () => {
    const result = evaluateOffboardedUserAccess(
      evidence({
        people: [alice],
        identityLinks: [{ iamUserArn: userArn('alice-admin'), personEmail: 'alice@example.com' }],
        users: [
          user('alice@example.com'),
          user('alice-admin', { credentials: NO_CREDENTIALS }),
          user('alice-ci', {
            tags: { email: 'alice@example.com' },
            credentials: {
              passwordEnabled: false,
              accessKeys: [{ id: 'AKIA1', active: true, lastUsed: daysAgo(2) }],
            },
          }),
        ],
      }),
    );
    expect(result.findings.map((f) => [f.resourceName, f.status])).toEqual([
      ['alice@example.com', 'fail'],
      ['alice-admin', 'pass'],
      ['alice-ci', 'fail'],
    ]);
    expect(result.counts).toEqual({ pass: 1, fail: 2, unknown: 0, not_applicable: 0 });
    // The access key was used after the offboarding date.
    expect(result.findings[2]!.evidence['usedAfterOffboarding']).toEqual([
      `access key AKIA1 at ${daysAgo(2).toISOString()}`,
    ]);
  });

  it('names the group when access comes only through a group', () => {
    const viaGroup = statementRef(
      { Action: ['codecommit:GitPush', 'codecommit:GitPull'] },
      { kind: 'managed', policyArn: 'arn:aws:iam::111122223333:policy/Developers', viaGroup: 'Developers' },
    );
    const result = evaluateOffboardedUserAccess(
      evidence({
        people: [alice],
        users: [
          user('alice@example.com', {
            repositories: [
              repoAccess('app', { grants: [grant('codecommit:GitPush', { statements: [viaGroup] })] }),
            ],
          }),
        ],
      }),
    );
    const finding = result.findings[0]!;
    expect(finding.status).toBe('fail');
    expect(finding.reason).toContain(
      'managed policy arn:aws:iam::111122223333:policy/Developers via group Developers',
    );
    expect((finding.evidence['access'] as { grantedBy: unknown[] }).grantedBy).toEqual([
      expect.objectContaining({ source: expect.objectContaining({ viaGroup: 'Developers' }), index: 0 }),
    ]);
  });

  it('carries a NotAction statement that grants access as the deciding evidence', () => {
    const notAction = statementRef(
      { Action: undefined, NotAction: ['iam:*', 'organizations:*'], Resource: '*' },
      { kind: 'inline', ownerArn: userArn('alice@example.com'), policyName: 'everything-but-iam' },
      2,
    );
    const result = evaluateOffboardedUserAccess(
      evidence({
        people: [alice],
        users: [
          user('alice@example.com', {
            repositories: [
              repoAccess('app', { grants: [grant('codecommit:GitPush', { statements: [notAction] })] }),
            ],
          }),
        ],
      }),
    );
    const finding = result.findings[0]!;
    expect(finding.status).toBe('fail');
    expect(finding.reason).toContain('inline policy everything-but-iam');
    expect(
      (finding.evidence['access'] as { grantedBy: { statement: unknown; index: number }[] }).grantedBy[0],
    ).toMatchObject({
      index: 2,
      statement: { NotAction: ['iam:*', 'organizations:*'] },
    });
  });

  it('passes for an active person with access and ignores users without access', () => {
    const result = evaluateOffboardedUserAccess(
      evidence({
        people: [bob],
        users: [user('bob@example.com'), user('nobody', { repositories: [] })],
      }),
    );
    expect(result.status).toBe('pass');
    expect(result.findings.map((f) => f.resourceName)).toEqual(['bob@example.com']);
  });

  it('is unknown for a user with access that is not linked to a person', () => {
    const result = evaluateOffboardedUserAccess(evidence({ people: [bob], users: [user('deploy-bot')] }));
    expect(result.status).toBe('unknown');
    expect(result.findings[0]!.reason).toContain('not linked to a person');
    expect(result.findings[0]!.evidence['link']).toMatchObject({ method: null });
  });

  it('is unknown, naming the missing permission, when the credentials of an offboarded user were not collected', () => {
    const result = evaluateOffboardedUserAccess(
      evidence({
        run: {
          completeness: {
            missingPermissions: [
              { action: 'iam:ListSSHPublicKeys', step: 'iam:ssh-keys' },
              { action: 'iam:ListServiceSpecificCredentials', step: 'iam:git-credentials' },
            ],
            failedSteps: [],
          },
        },
        people: [alice],
        users: [
          user('alice@example.com', {
            credentials: { passwordEnabled: false, sshPublicKeys: null, gitCredentials: null },
          }),
        ],
      }),
    );
    expect(result.status).toBe('unknown');
    const reason = result.findings[0]!.reason;
    expect(reason).toContain('missing permission iam:ListSSHPublicKeys (sync step iam:ssh-keys)');
    expect(reason).toContain(
      'missing permission iam:ListServiceSpecificCredentials (sync step iam:git-credentials)',
    );
    expect(result.findings[0]!.evidence['gaps']).toMatchObject({
      missingPermissions: [
        { action: 'iam:ListSSHPublicKeys' },
        { action: 'iam:ListServiceSpecificCredentials' },
      ],
    });
  });

  it('still fails on a collected credential, and its reason names the credentials not collected and why', () => {
    const result = evaluateOffboardedUserAccess(
      evidence({
        run: {
          completeness: {
            missingPermissions: [],
            failedSteps: [
              {
                step: 'iam:ssh-keys',
                reason: 'iam:ListSSHPublicKeys: AWS answered an invalid SSHPublicKeys',
              },
            ],
          },
        },
        people: [alice],
        users: [user('alice@example.com', { credentials: { passwordEnabled: true, sshPublicKeys: null } })],
      }),
    );
    const finding = result.findings[0]!;
    expect(finding.status).toBe('fail');
    expect(finding.reason).toContain('with console password; not collected in this run: SSH public keys');
    expect(finding.reason).toContain('sync step iam:ssh-keys failed: iam:ListSSHPublicKeys');
  });

  it('is unknown, never pass, when IAM policies could not be read, and reports the account-level gap', () => {
    const result = evaluateOffboardedUserAccess(
      evidence({
        run: {
          completeness: {
            missingPermissions: [
              { action: 'iam:GetAccountAuthorizationDetails', step: 'iam:authorization-details' },
            ],
            failedSteps: [],
          },
        },
        people: [alice],
        users: [user('alice@example.com', { repositories: [], hasAccess: 'unknown' })],
      }),
    );
    expect(result.status).toBe('unknown');
    expect(result.findings.map((f) => [f.resourceType, f.status])).toEqual([
      ['account', 'unknown'],
      ['iam_user', 'unknown'],
    ]);
    for (const f of result.findings) expect(f.reason).toContain('iam:GetAccountAuthorizationDetails');
  });

  it('treats a person offboarded after the evaluated instant as active', () => {
    const later: PersonEvidence = { ...alice, offboardedAt: new Date('2027-01-01T00:00:00Z') };
    const result = evaluateOffboardedUserAccess(
      evidence({ people: [later], users: [user('alice@example.com')] }),
    );
    expect(result.status).toBe('pass');
    expect(result.findings[0]!.reason).toContain('active person');
  });

  it('is not applicable with no IAM user in scope', () => {
    const result = evaluateOffboardedUserAccess(
      evidence({ people: [alice], users: [user('x', { repositories: [] })] }),
    );
    expect(result).toMatchObject({ status: 'not_applicable', findings: [] });
  });
});
