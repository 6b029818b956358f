import { parseCredentialReport } from '@codecommit-evidence/aws-clients';
import { describe, expect, it } from 'vitest';
import { credentialReportEvidence } from './credential-report-rows.js';

const HEADER =
  'user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service,access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,cert_1_last_rotated,cert_2_active,cert_2_last_rotated';
const CSV = [
  HEADER,
  '<root_account>,arn:aws:iam::111122223333:root,2020-01-01T00:00:00+00:00,not_supported,2026-10-01T10:00:00+00:00,not_supported,not_supported,true,false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A',
  'carol,arn:aws:iam::111122223333:user/carol,2024-01-01T00:00:00+00:00,true,no_information,2024-01-02T00:00:00+00:00,N/A,false,true,2024-03-01T00:00:00+00:00,2026-10-30T12:00:00+00:00,us-east-1,codecommit,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A',
  'dave,arn:aws:iam::111122223333:user/dave,2024-01-01T00:00:00+00:00,false,N/A,N/A,N/A,false,false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A',
].join('\n');

describe('credentialReportEvidence', () => {
  const rows = credentialReportEvidence(parseCredentialReport(CSV));
  const byUser = (u: string) => rows.find((r) => r.user_name === u)!;

  it('keeps the root row, keyed by the account root ARN', () => {
    expect(byUser('<root_account>')).toMatchObject({
      arn: 'arn:aws:iam::111122223333:root',
      is_root: true,
      password_enabled: null,
      password_last_used: new Date('2026-10-01T10:00:00Z'),
      password_last_used_state: null,
      mfa_active: true,
    });
  });

  it('stores special values as what they mean, and the row as AWS wrote it', () => {
    expect(byUser('carol')).toMatchObject({
      password_enabled: true,
      password_last_used: null,
      password_last_used_state: 'no_information',
      access_key_1_active: true,
      access_key_1_last_used: new Date('2026-10-30T12:00:00Z'),
      access_key_1_last_rotated: new Date('2024-03-01T00:00:00Z'),
      access_key_2_active: false,
      access_key_2_last_used: null,
    });
    expect(byUser('dave')).toMatchObject({ password_enabled: false, password_last_used_state: 'N/A' });
    expect(byUser('dave').raw.password_last_used).toBe('N/A');
    expect(Object.keys(byUser('dave').raw)).toHaveLength(22);
  });

  it('writes dates as Date objects (the content hash tells them from strings)', () => {
    for (const r of rows)
      if (r.user_creation_time !== null) expect(r.user_creation_time).toBeInstanceOf(Date);
  });
});
