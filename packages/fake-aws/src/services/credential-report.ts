import { AwsError } from '../errors.js';
import type { Scenario } from '../scenario/schema.js';
import type { CallContext } from './context.js';

/**
 * The IAM credential report: GenerateCredentialReport starts a generation that completes after a
 * configurable delay; GetCredentialReport answers ReportNotPresent before any generation,
 * ReportInProgress while generating, ReportExpired once the report is older than 4 hours.
 */

export const CREDENTIAL_REPORT_COLUMNS = [
  'user',
  'arn',
  'user_creation_time',
  'password_enabled',
  'password_last_used',
  'password_last_changed',
  'password_next_rotation',
  'mfa_active',
  'access_key_1_active',
  'access_key_1_last_rotated',
  'access_key_1_last_used_date',
  'access_key_1_last_used_region',
  'access_key_1_last_used_service',
  'access_key_2_active',
  'access_key_2_last_rotated',
  'access_key_2_last_used_date',
  'access_key_2_last_used_region',
  'access_key_2_last_used_service',
  'cert_1_active',
  'cert_1_last_rotated',
  'cert_2_active',
  'cert_2_last_rotated',
] as const;

const REPORT_TTL_MS = 4 * 60 * 60 * 1000;

/** The report's date format: `2026-01-31T12:00:00+00:00`. */
function reportDate(iso: string): string {
  return new Date(iso).toISOString().replace(/\.\d{3}Z$/, '+00:00');
}

interface KeyFacts {
  status?: 'Active' | 'Inactive';
  createDate: string;
  lastUsedDate: string | null;
  lastUsedRegion: string | null;
  lastUsedService: string | null;
}

function keyColumns(key: KeyFacts | undefined): string[] {
  if (!key) return ['false', 'N/A', 'N/A', 'N/A', 'N/A'];
  return [
    String((key.status ?? 'Active') === 'Active'),
    reportDate(key.createDate),
    key.lastUsedDate ? reportDate(key.lastUsedDate) : 'N/A',
    key.lastUsedDate ? (key.lastUsedRegion ?? 'N/A') : 'N/A',
    key.lastUsedDate ? (key.lastUsedService ?? 'N/A') : 'N/A',
  ];
}

export function renderCredentialReport(scenario: Scenario): string {
  const a = scenario.account;
  const rows: string[][] = [[...CREDENTIAL_REPORT_COLUMNS]];
  rows.push([
    '<root_account>',
    `arn:aws:iam::${a.accountId}:root`,
    reportDate(a.createDate),
    'not_supported',
    a.root.passwordLastUsed ? reportDate(a.root.passwordLastUsed) : 'no_information',
    'not_supported',
    'not_supported',
    String(a.root.mfaActive),
    ...keyColumns(a.root.accessKeys[0]),
    ...keyColumns(a.root.accessKeys[1]),
    'false',
    'N/A',
    'false',
    'N/A',
  ]);
  for (const u of a.users) {
    const pw = u.password;
    const hasPassword = pw?.enabled === true;
    rows.push([
      u.userName,
      `arn:aws:iam::${a.accountId}:user${u.path}${u.userName}`,
      reportDate(u.createDate),
      String(hasPassword),
      hasPassword ? (pw?.lastUsed ? reportDate(pw.lastUsed) : 'no_information') : 'N/A',
      hasPassword && pw?.lastChanged ? reportDate(pw.lastChanged) : 'N/A',
      'N/A',
      String(u.mfaActive),
      ...keyColumns(u.accessKeys[0]),
      ...keyColumns(u.accessKeys[1]),
      'false',
      'N/A',
      'false',
      'N/A',
    ]);
  }
  return `${rows.map((r) => r.join(',')).join('\n')}`;
}

function settle(ctx: CallContext): void {
  const r = ctx.state.credentialReport;
  if (r.startedAt !== undefined && ctx.now - r.startedAt >= ctx.state.credentialReportDelayMs) {
    r.content = renderCredentialReport(ctx.world.scenario);
    r.generatedAt = r.startedAt + ctx.state.credentialReportDelayMs;
    r.startedAt = undefined;
  }
}

export function generateCredentialReport(ctx: CallContext) {
  settle(ctx);
  const r = ctx.state.credentialReport;
  if (r.startedAt !== undefined) {
    return { State: 'INPROGRESS', Description: 'Report generation in progress.' };
  }
  if (r.generatedAt !== undefined && ctx.now - r.generatedAt < REPORT_TTL_MS) {
    return { State: 'COMPLETE' };
  }
  r.startedAt = ctx.now;
  if (ctx.state.credentialReportDelayMs <= 0) settle(ctx);
  return { State: 'STARTED', Description: 'No report exists. Starting a new report generation task' };
}

export function getCredentialReport(ctx: CallContext) {
  settle(ctx);
  const r = ctx.state.credentialReport;
  if (r.startedAt !== undefined) {
    throw new AwsError('ReportInProgress', 'Credential report generation is in progress.', 404);
  }
  if (r.generatedAt === undefined || r.content === undefined) {
    throw new AwsError(
      'ReportNotPresent',
      'Credential report is not present. Use GenerateCredentialReport to generate a report.',
      410,
    );
  }
  if (ctx.now - r.generatedAt >= REPORT_TTL_MS) {
    throw new AwsError(
      'ReportExpired',
      'Credential report has expired. Use GenerateCredentialReport to generate a new report.',
      410,
    );
  }
  return {
    Content: Buffer.from(r.content, 'utf8').toString('base64'),
    ReportFormat: 'text/csv',
    GeneratedTime: new Date(r.generatedAt),
  };
}
