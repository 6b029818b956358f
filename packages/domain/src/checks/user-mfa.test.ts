import { describe, expect, it } from 'vitest';
import { evidence, user } from './test-support/evidence.js';
import { evaluateUserMfa } from './user-mfa.js';

const byName = (result: ReturnType<typeof evaluateUserMfa>) =>
  Object.fromEntries(result.findings.map((f) => [f.resourceName, f.status]));

describe('codecommit-user-mfa', () => {
  it('passes a user with a console password and MFA, fails one without MFA, and reports root', () => {
    const result = evaluateUserMfa(
      evidence({ users: [user('alice'), user('bob', { credentials: { mfaActive: false } })] }),
    );
    expect(byName(result)).toEqual({ alice: 'pass', bob: 'fail', 'root user of 111122223333': 'pass' });
    expect(result.status).toBe('fail');
    const bob = result.findings.find((f) => f.resourceName === 'bob')!;
    expect(bob.reason).toBe(
      'IAM user bob has CodeCommit access (managed policy arn:aws:iam::aws:policy/AWSCodeCommitPowerUser) and a console password, but no MFA device.',
    );
    expect(bob.evidence['credentialReportRow']).toMatchObject({ user: 'bob', mfa_active: 'false' });
  });

  it('is not applicable for a user without a console password (access through an access key)', () => {
    const result = evaluateUserMfa(
      evidence({
        users: [
          user('ci', {
            credentials: {
              passwordEnabled: false,
              mfaActive: false,
              accessKeys: [{ id: 'AKIA2', active: true, lastUsed: null }],
            },
          }),
        ],
      }),
    );
    const finding = result.findings[0]!;
    expect(finding.status).toBe('not_applicable');
    expect(finding.reason).toContain('has no console password');
    expect(result.status).toBe('pass'); // root passes
  });

  it('leaves users without CodeCommit access out of scope', () => {
    const result = evaluateUserMfa(
      evidence({
        users: [
          user('finance', { repositories: [], credentials: { mfaActive: false } }),
          // Policies allow CodeCommit but the user holds no credential at all.
          user('dormant', { credentials: { passwordEnabled: false, mfaActive: false } }),
        ],
      }),
    );
    expect(result.findings.map((f) => f.resourceType)).toEqual(['root']);
  });

  it('fails when root has no MFA and is unknown when the credential report is missing, naming the permission', () => {
    expect(evaluateUserMfa(evidence({ root: { mfaActive: false, credentialReportRow: {} } })).status).toBe(
      'fail',
    );

    const result = evaluateUserMfa(
      evidence({
        run: {
          completeness: {
            missingPermissions: [{ action: 'iam:GetCredentialReport', step: 'iam:credential-report' }],
            failedSteps: [],
          },
        },
        root: null,
        users: [
          user('alice', {
            credentials: {
              passwordEnabled: null,
              mfaActive: null,
              accessKeys: null,
              credentialReportRow: null,
            },
          }),
        ],
      }),
    );
    expect(result.status).toBe('unknown');
    expect(result.findings).toHaveLength(2);
    for (const f of result.findings) {
      expect(f.status).toBe('unknown');
      expect(f.reason).toContain(
        'missing permission iam:GetCredentialReport (sync step iam:credential-report)',
      );
    }
  });

  it('says the sync step failed when that is why the data is missing', () => {
    const result = evaluateUserMfa(
      evidence({
        run: {
          completeness: {
            missingPermissions: [],
            failedSteps: [{ step: 'iam:credential-report', reason: 'report not ready after 10 polls' }],
          },
        },
        root: null,
      }),
    );
    expect(result.findings[0]!.reason).toBe(
      "The root user's MFA state is unknown: sync step iam:credential-report failed: report not ready after 10 polls.",
    );
  });

  it('is unknown for a console user without MFA whose permissions are undecided', () => {
    const result = evaluateUserMfa(
      evidence({
        users: [
          user('carol', { hasAccess: 'unknown', repositories: [], credentials: { mfaActive: false } }),
          user('dave', { hasAccess: 'unknown', repositories: [] }),
        ],
      }),
    );
    expect(byName(result)).toEqual({ carol: 'unknown', 'root user of 111122223333': 'pass' });
  });
});
