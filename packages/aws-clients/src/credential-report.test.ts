import { describe, expect, it } from 'vitest';
import {
  CREDENTIAL_REPORT_COLUMNS,
  CredentialReportParseError,
  parseCredentialReport,
  parseIsoDate,
} from './credential-report.js';

const HEADER = CREDENTIAL_REPORT_COLUMNS.join(',');

/** A data line from column values; unspecified columns get a neutral default. */
function line(values: Partial<Record<(typeof CREDENTIAL_REPORT_COLUMNS)[number], string>>): string {
  const defaults: Record<string, string> = {
    user: 'alice',
    arn: 'arn:aws:iam::123456789012:user/alice',
    user_creation_time: '2023-01-02T03:04:05+00:00',
    password_enabled: 'false',
    password_last_used: 'N/A',
    password_last_changed: 'N/A',
    password_next_rotation: 'N/A',
    mfa_active: 'false',
    access_key_1_active: 'false',
    access_key_1_last_rotated: 'N/A',
    access_key_1_last_used_date: 'N/A',
    access_key_1_last_used_region: 'N/A',
    access_key_1_last_used_service: 'N/A',
    access_key_2_active: 'false',
    access_key_2_last_rotated: 'N/A',
    access_key_2_last_used_date: 'N/A',
    access_key_2_last_used_region: 'N/A',
    access_key_2_last_used_service: 'N/A',
    cert_1_active: 'false',
    cert_1_last_rotated: 'N/A',
    cert_2_active: 'false',
    cert_2_last_rotated: 'N/A',
  };
  return CREDENTIAL_REPORT_COLUMNS.map((c) => values[c] ?? defaults[c]).join(',');
}

const ROOT = line({
  user: '<root_account>',
  arn: 'arn:aws:iam::123456789012:root',
  user_creation_time: '2020-05-06T07:08:09+00:00',
  password_enabled: 'not_supported',
  password_last_used: '2025-01-01T10:00:00+00:00',
  password_last_changed: 'not_supported',
  password_next_rotation: 'not_supported',
  mfa_active: 'true',
});

function report(...lines: string[]): Uint8Array {
  return new TextEncoder().encode([HEADER, ...lines].join('\n') + '\n');
}

describe('parseCredentialReport', () => {
  it('flags the root row and turns not_supported into null with its state', () => {
    const [root] = parseCredentialReport(report(ROOT));
    expect(root).toMatchObject({
      user: '<root_account>',
      isRoot: true,
      passwordEnabled: null,
      passwordLastUsed: new Date('2025-01-01T10:00:00Z'),
      passwordLastUsedState: 'value',
      passwordLastChanged: null,
      passwordNextRotation: null,
      mfaActive: true,
      line: 2,
    });
    expect(root?.states.password_enabled).toBe('not_supported');
    expect(root?.states.password_last_changed).toBe('not_supported');
    expect(root?.raw.password_enabled).toBe('not_supported');
  });

  it('turns N/A into null with not_applicable', () => {
    const [u] = parseCredentialReport(report(line({})));
    expect(u).toMatchObject({
      isRoot: false,
      passwordEnabled: false,
      passwordLastUsed: null,
      passwordLastUsedState: 'not_applicable',
    });
    expect(u?.accessKey1).toEqual({
      active: false,
      lastRotated: null,
      lastUsedDate: null,
      lastUsedRegion: null,
      lastUsedService: null,
    });
    expect(u?.states.access_key_1_last_rotated).toBe('not_applicable');
  });

  it('turns no_information into null with passwordLastUsedState no_information', () => {
    const [u] = parseCredentialReport(
      report(
        line({
          password_enabled: 'true',
          password_last_used: 'no_information',
          password_last_changed: '2024-03-01T00:00:00+00:00',
        }),
      ),
    );
    expect(u).toMatchObject({
      passwordEnabled: true,
      passwordLastUsed: null,
      passwordLastUsedState: 'no_information',
      passwordLastChanged: new Date('2024-03-01T00:00:00Z'),
    });
  });

  it('reads both access keys and both certificates', () => {
    const [u] = parseCredentialReport(
      report(
        line({
          access_key_1_active: 'true',
          access_key_1_last_rotated: '2024-01-01T00:00:00+00:00',
          access_key_1_last_used_date: '2024-06-01T12:30:00+00:00',
          access_key_1_last_used_region: 'eu-west-1',
          access_key_1_last_used_service: 'codecommit',
          access_key_2_active: 'TRUE',
          access_key_2_last_rotated: '2024-02-01T00:00:00Z',
          access_key_2_last_used_date: 'N/A',
          cert_1_active: 'FALSE',
          cert_2_active: 'true',
          cert_2_last_rotated: '2023-12-31T23:59:59+00:00',
        }),
      ),
    );
    expect(u?.accessKey1).toEqual({
      active: true,
      lastRotated: new Date('2024-01-01T00:00:00Z'),
      lastUsedDate: new Date('2024-06-01T12:30:00Z'),
      lastUsedRegion: 'eu-west-1',
      lastUsedService: 'codecommit',
    });
    expect(u?.accessKey2).toMatchObject({
      active: true,
      lastRotated: new Date('2024-02-01T00:00:00Z'),
      lastUsedDate: null,
    });
    expect(u?.cert1).toEqual({ active: false, lastRotated: null });
    expect(u?.cert2).toEqual({ active: true, lastRotated: new Date('2023-12-31T23:59:59Z') });
  });

  it('parses several rows, accepts a BOM, CRLF and unknown extra columns (kept raw)', () => {
    const text = `\ufeff${HEADER},future_column\r\n${ROOT},x\r\n${line({ user: 'bob' })},y\r\n`;
    const rows = parseCredentialReport(text);
    expect(rows.map((r) => r.user)).toEqual(['<root_account>', 'bob']);
    expect(rows[1]?.raw.future_column).toBe('y');
    expect(rows[1]?.line).toBe(3);
  });

  it('rejects an invalid date, naming line, user and column', () => {
    const bad = () =>
      parseCredentialReport(
        report(ROOT, line({ user: 'carol', password_last_used: '2024-02-30T10:00:00+00:00' })),
      );
    expect(bad).toThrow(CredentialReportParseError);
    expect(bad).toThrow(
      /line 3 \(user "carol"\), column password_last_used: '2024-02-30T10:00:00\+00:00' is not an ISO 8601/,
    );
    expect(() => parseCredentialReport(report(line({ user_creation_time: '2024-01-01' })))).toThrow(
      /user_creation_time/,
    );
    expect(() => parseCredentialReport(report(line({ access_key_1_last_rotated: 'yesterday' })))).toThrow(
      /access_key_1_last_rotated/,
    );
  });

  it('parses booleans strictly', () => {
    expect(() => parseCredentialReport(report(line({ mfa_active: 'yes' })))).toThrow(
      /column mfa_active: 'yes' is not TRUE or FALSE/,
    );
    expect(() => parseCredentialReport(report(line({ mfa_active: 'N/A' })))).toThrow(/mfa_active/);
    expect(() => parseCredentialReport(report(line({ access_key_1_active: '1' })))).toThrow(
      /access_key_1_active/,
    );
  });

  it('rejects a header without a required column', () => {
    const header = CREDENTIAL_REPORT_COLUMNS.filter((c) => c !== 'mfa_active').join(',');
    const err = (() => {
      try {
        parseCredentialReport(`${header}\n`);
      } catch (e) {
        return e as CredentialReportParseError;
      }
      throw new Error('expected an error');
    })();
    expect(err).toBeInstanceOf(CredentialReportParseError);
    expect(err.message).toContain('lacks column mfa_active');
    expect(err.column).toBe('mfa_active');
  });

  it('rejects rows with the wrong number of fields, and empty input', () => {
    expect(() => parseCredentialReport(`${HEADER}\nalice,arn\n`)).toThrow(/not valid CSV/);
    expect(() => parseCredentialReport('')).toThrow(/empty/);
  });

  it('returns no rows for a header-only report', () => {
    expect(parseCredentialReport(`${HEADER}\n`)).toEqual([]);
  });
});

describe('parseIsoDate', () => {
  it('accepts what AWS writes and rejects impossible dates', () => {
    expect(parseIsoDate('2024-02-29T00:00:00+00:00')?.toISOString()).toBe('2024-02-29T00:00:00.000Z');
    expect(parseIsoDate('2024-06-01T12:30:00.123Z')?.toISOString()).toBe('2024-06-01T12:30:00.123Z');
    expect(parseIsoDate('2024-06-01T12:30:00+02:00')?.toISOString()).toBe('2024-06-01T10:30:00.000Z');
    for (const bad of [
      '2023-02-29T00:00:00Z',
      '2024-13-01T00:00:00Z',
      '2024-01-01T24:00:00Z',
      '2024-01-01 00:00:00Z',
      '2024-01-01T00:00:00',
      '',
    ]) {
      expect(parseIsoDate(bad), bad).toBeNull();
    }
  });
});
