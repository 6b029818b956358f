import { describe, expect, it } from 'vitest';
import { rootEvidence, userCredentials } from './credentials.js';
import { credentialReportRow, userRow } from './test-support/rows.js';

const ALL = { credentialReport: true, sshKeys: true, gitCredentials: true };
const used = new Date('2026-11-01T00:00:00.000Z');

describe('userCredentials', () => {
  it('maps the report row, SSH keys and only CodeCommit’s service-specific credentials', () => {
    const user = userRow('alice', {
      ssh_public_keys: [
        { id: 'APKA1', status: 'Active', uploadDate: null },
        { id: 'APKA2', status: 'Inactive', uploadDate: null },
      ],
      service_specific_credentials: [
        { id: 'ACCA1', serviceName: 'codecommit.amazonaws.com', status: 'Active' },
        { id: 'ACCA2', serviceName: 'cassandra.amazonaws.com', status: 'Active' },
      ],
    });
    const report = credentialReportRow('alice', {
      password_enabled: true,
      password_last_used: used,
      mfa_active: false,
      access_key_1_active: true,
      access_key_1_last_used: used,
      access_key_2_active: false,
    });
    expect(userCredentials(user, report, ALL)).toEqual({
      passwordEnabled: true,
      passwordLastUsed: used,
      mfaActive: false,
      accessKeys: [
        { id: '1', active: true, lastUsed: used },
        { id: '2', active: false, lastUsed: null },
      ],
      sshPublicKeys: [
        { id: 'APKA1', active: true },
        { id: 'APKA2', active: false },
      ],
      gitCredentials: [{ id: 'ACCA1', active: true }],
      credentialReportRow: report.raw,
    });
  });

  it('says null (not collected) for a user missing from the report, and for every source with a gap', () => {
    const user = userRow('bob', { ssh_public_keys: [], service_specific_credentials: [] });
    const missingRow = userCredentials(user, undefined, ALL);
    expect(missingRow).toMatchObject({
      passwordEnabled: null,
      mfaActive: null,
      accessKeys: null,
      credentialReportRow: null,
    });
    expect(missingRow.sshPublicKeys).toEqual([]);

    const gaps = userCredentials(user, credentialReportRow('bob'), {
      credentialReport: false,
      sshKeys: false,
      gitCredentials: false,
    });
    expect(gaps).toMatchObject({
      passwordEnabled: null,
      accessKeys: null,
      sshPublicKeys: null,
      gitCredentials: null,
    });
    // A row the sync could not collect (null column) stays null.
    expect(userCredentials(userRow('c', { ssh_public_keys: null }), undefined, ALL).sshPublicKeys).toBeNull();
  });
});

describe('rootEvidence', () => {
  it('is the root row, or null when the report was not collected or has none', () => {
    const rows = [credentialReportRow('alice'), credentialReportRow('<root_account>', { mfa_active: true })];
    expect(rootEvidence(rows, true)).toMatchObject({
      mfaActive: true,
      credentialReportRow: { user: '<root_account>' },
    });
    expect(rootEvidence(rows, false)).toBeNull();
    expect(rootEvidence([credentialReportRow('alice')], true)).toBeNull();
  });
});
