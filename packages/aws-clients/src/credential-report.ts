/**
 * IAM credential report: request it without ever waiting in a loop, and parse its CSV strictly.
 *
 * Generate/poll: https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_getting-report.html
 * ("If the existing report is less than four hours old, IAM returns it; else it generates a new one").
 * Columns and special values: same page, "Understanding the report format".
 */

import {
  GenerateCredentialReportCommand,
  GetCredentialReportCommand,
  type GetCredentialReportCommandOutput,
  type IAMClient,
} from '@aws-sdk/client-iam';
import { parse } from 'csv-parse/sync';
import { callAws } from './paginate.js';
import { userName } from './responses/iam.js';
import { arn as arnSchema } from './responses/schema.js';

// ---- request -----------------------------------------------------------------------------------

export interface CredentialReport {
  /** The CSV, as bytes (the SDK has already base64-decoded it). */
  content: Uint8Array;
  generatedTime: Date;
  format: string;
}

export type CredentialReportRequest =
  | { state: 'ready'; report: CredentialReport }
  | {
      state: 'in_progress';
      /** When to look again; the caller re-schedules its job rather than sleeping. */
      retryAfterMs: number;
      reason: 'generating' | 'not_present' | 'expired' | 'stale';
    };

export interface RequestCredentialReportOptions {
  /** A report older than this is regenerated. Default 4 hours (IAM's own reuse window). */
  maxAgeMs?: number;
  /** Default 5 s: a report for a few hundred users takes seconds. */
  retryAfterMs?: number;
  now?: () => number;
}

export const CREDENTIAL_REPORT_MAX_AGE_MS = 4 * 3600_000;

const NOT_PRESENT = ['CredentialReportNotPresentException', 'ReportNotPresent'];
const EXPIRED = ['CredentialReportExpiredException', 'ReportExpired'];
const NOT_READY = ['CredentialReportNotReadyException', 'ReportInProgress'];

/**
 * One step of the credential-report state machine: returns the report when a fresh one exists, else
 * starts (or finds) a generation and says when to come back.
 */
export async function requestCredentialReport(
  client: IAMClient,
  options: RequestCredentialReportOptions = {},
): Promise<CredentialReportRequest> {
  const maxAgeMs = options.maxAgeMs ?? CREDENTIAL_REPORT_MAX_AGE_MS;
  const retryAfterMs = options.retryAfterMs ?? 5_000;
  const now = options.now ?? Date.now;

  const get = () =>
    callAws(client, 'iam:GetCredentialReport', () => client.send(new GetCredentialReportCommand({}))).then(
      (out) => ({ out }) as const,
      (err: unknown) => ({ err }) as const,
    );
  const generate = async () => {
    const out = await callAws(client, 'iam:GenerateCredentialReport', () =>
      client.send(new GenerateCredentialReportCommand({})),
    );
    return out.State;
  };
  const toReport = (out: GetCredentialReportCommandOutput): CredentialReport => {
    if (!out.Content || !out.GeneratedTime)
      throw new Error('iam:GetCredentialReport: response without Content or GeneratedTime');
    return { content: out.Content, generatedTime: out.GeneratedTime, format: out.ReportFormat ?? 'text/csv' };
  };

  const first = await get();
  if ('out' in first) {
    const report = toReport(first.out);
    if (now() - report.generatedTime.getTime() <= maxAgeMs) return { state: 'ready', report };
    const state = await generate();
    if (state === 'COMPLETE') {
      // IAM reuses a report younger than four hours whatever we ask: with maxAgeMs below that, taking
      // the report it has is the only way forward (else every poll would regenerate and wait again).
      const again = await get();
      if ('out' in again) return { state: 'ready', report: toReport(again.out) };
    }
    return { state: 'in_progress', retryAfterMs, reason: 'stale' };
  }
  const code = awsCodeOf(first.err);
  if (NOT_READY.includes(code)) return { state: 'in_progress', retryAfterMs, reason: 'generating' };
  if (NOT_PRESENT.includes(code) || EXPIRED.includes(code)) {
    await generate();
    return {
      state: 'in_progress',
      retryAfterMs,
      reason: NOT_PRESENT.includes(code) ? 'not_present' : 'expired',
    };
  }
  throw first.err;
}

function awsCodeOf(err: unknown): string {
  const e = err as { classification?: { awsCode?: string }; cause?: { name?: string; Code?: string } };
  return e.cause?.name ?? e.cause?.Code ?? e.classification?.awsCode ?? '';
}

// ---- parse -------------------------------------------------------------------------------------

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

export type CredentialReportColumn = (typeof CREDENTIAL_REPORT_COLUMNS)[number];

/** The report's markers for "no value", kept so evidence can say why a value is absent. */
export type CredentialReportSpecial = 'N/A' | 'no_information' | 'not_supported';
/** `value` when the column held a real value. */
export type FieldState = 'value' | 'not_applicable' | 'no_information' | 'not_supported';

export interface AccessKeyFacts {
  active: boolean;
  lastRotated: Date | null;
  lastUsedDate: Date | null;
  lastUsedRegion: string | null;
  lastUsedService: string | null;
}

export interface CertificateFacts {
  active: boolean;
  lastRotated: Date | null;
}

export interface CredentialReportRow {
  user: string;
  arn: string;
  /** The `<root_account>` row. */
  isRoot: boolean;
  userCreationTime: Date | null;
  /** null for the root user (`not_supported`: the root user always has a password). */
  passwordEnabled: boolean | null;
  passwordLastUsed: Date | null;
  /** `no_information`: never used, or used before IAM tracked it (Oct 2014). `not_applicable`: no password. */
  passwordLastUsedState: FieldState;
  passwordLastChanged: Date | null;
  passwordNextRotation: Date | null;
  mfaActive: boolean;
  accessKey1: AccessKeyFacts;
  accessKey2: AccessKeyFacts;
  cert1: CertificateFacts;
  cert2: CertificateFacts;
  /** State of every column: which were values and which a special marker. */
  states: Record<CredentialReportColumn, FieldState>;
  /** The CSV row as AWS wrote it, every column (unknown future columns included). */
  raw: Record<string, string>;
  /** 1-based line number in the CSV (the header is line 1). */
  line: number;
}

export class CredentialReportParseError extends Error {
  override readonly name = 'CredentialReportParseError';
  constructor(
    message: string,
    readonly line?: number,
    readonly column?: string,
  ) {
    super(message);
  }
}

const ROOT_USER = '<root_account>';
const SPECIAL_STATE: Record<CredentialReportSpecial, FieldState> = {
  'N/A': 'not_applicable',
  no_information: 'no_information',
  not_supported: 'not_supported',
};
const ISO_8601 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/;

export function parseCredentialReport(csv: Uint8Array | string): CredentialReportRow[] {
  const text = typeof csv === 'string' ? csv : new TextDecoder('utf-8', { fatal: true }).decode(csv);
  let records: string[][];
  try {
    records = parse(text, { bom: true, skip_empty_lines: true, relax_column_count: false }) as string[][];
  } catch (err) {
    const e = err as { message?: string; lines?: number };
    throw new CredentialReportParseError(
      `The credential report is not valid CSV: ${e.message ?? String(err)}`,
      e.lines,
    );
  }
  const header = records[0];
  if (!header) throw new CredentialReportParseError('The credential report is empty (no header line).');
  const index = new Map(header.map((name, i) => [name.trim(), i]));
  const missing = CREDENTIAL_REPORT_COLUMNS.filter((c) => !index.has(c));
  if (missing.length > 0) {
    throw new CredentialReportParseError(
      `The credential report's header lacks column${missing.length > 1 ? 's' : ''} ${missing.join(', ')}.`,
      1,
      missing[0],
    );
  }
  return records.slice(1).map((record, i) => parseRow(record, header, index, i + 2));
}

function parseRow(
  record: string[],
  header: string[],
  index: Map<string, number>,
  line: number,
): CredentialReportRow {
  const raw: Record<string, string> = {};
  header.forEach((name, i) => {
    raw[name.trim()] = record[i] ?? '';
  });
  const user = raw.user ?? '';
  const where = (column: string) =>
    `line ${line} (user ${JSON.stringify(user.slice(0, 64))}), column ${column}`;
  const states = {} as Record<CredentialReportColumn, FieldState>;

  const cell = (column: CredentialReportColumn): { value: string | null } => {
    const v = record[index.get(column) as number] ?? '';
    if (v === 'N/A' || v === 'no_information' || v === 'not_supported') {
      states[column] = SPECIAL_STATE[v];
      return { value: null };
    }
    states[column] = 'value';
    return { value: v };
  };
  const bool = (column: CredentialReportColumn, allowNull = false): boolean | null => {
    const { value } = cell(column);
    if (value === null) {
      if (allowNull) return null;
      throw new CredentialReportParseError(
        `${where(column)}: '${raw[column]}' where TRUE or FALSE was expected.`,
        line,
        column,
      );
    }
    if (value === 'true' || value === 'TRUE') return true;
    if (value === 'false' || value === 'FALSE') return false;
    throw new CredentialReportParseError(`${where(column)}: '${value}' is not TRUE or FALSE.`, line, column);
  };
  const date = (column: CredentialReportColumn): Date | null => {
    const { value } = cell(column);
    if (value === null) return null;
    const d = parseIsoDate(value);
    if (!d)
      throw new CredentialReportParseError(
        `${where(column)}: '${value}' is not an ISO 8601 date-time.`,
        line,
        column,
      );
    return d;
  };
  const text = (column: CredentialReportColumn): string | null => {
    const { value } = cell(column);
    return value === null || value === '' ? null : value;
  };
  const key = (n: 1 | 2): AccessKeyFacts => ({
    active: bool(`access_key_${n}_active`) as boolean,
    lastRotated: date(`access_key_${n}_last_rotated`),
    lastUsedDate: date(`access_key_${n}_last_used_date`),
    lastUsedRegion: text(`access_key_${n}_last_used_region`),
    lastUsedService: text(`access_key_${n}_last_used_service`),
  });
  const cert = (n: 1 | 2): CertificateFacts => ({
    active: bool(`cert_${n}_active`) as boolean,
    lastRotated: date(`cert_${n}_last_rotated`),
  });

  const arn = text('arn');
  if (!user || !arn)
    throw new CredentialReportParseError(
      `line ${line}: the user or arn column is empty.`,
      line,
      !user ? 'user' : 'arn',
    );
  // The bounds of the IAM API (user names 1-64 `[\w+=,.@-]`, ARNs up to 2,048) and no NUL bytes anywhere:
  // the report is an AWS answer like any other, stored as evidence.
  for (const [column, value] of Object.entries(raw)) {
    if (value.includes('\u0000'))
      throw new CredentialReportParseError(`${where(column)}: the value holds a NUL byte.`, line, column);
    if (value.length > 2048)
      throw new CredentialReportParseError(
        `${where(column)}: a value of ${value.length} characters (at most 2,048).`,
        line,
        column,
      );
  }
  if (user !== ROOT_USER && !userName.safeParse(user).success)
    throw new CredentialReportParseError(`${where('user')}: not an IAM user name.`, line, 'user');
  if (!arnSchema.safeParse(arn).success)
    throw new CredentialReportParseError(`${where('arn')}: not an ARN.`, line, 'arn');
  const row: CredentialReportRow = {
    user,
    arn,
    isRoot: user === ROOT_USER,
    userCreationTime: date('user_creation_time'),
    passwordEnabled: bool('password_enabled', true),
    passwordLastUsed: date('password_last_used'),
    passwordLastUsedState: 'value',
    passwordLastChanged: date('password_last_changed'),
    passwordNextRotation: date('password_next_rotation'),
    mfaActive: bool('mfa_active') as boolean,
    accessKey1: key(1),
    accessKey2: key(2),
    cert1: cert(1),
    cert2: cert(2),
    states,
    raw,
    line,
  };
  row.passwordLastUsedState = states.password_last_used;
  return row;
}

/**
 * ISO 8601 with a time zone, validated field by field: `Date` would silently turn 2024-02-30 into
 * March 1st, and a wrong date in evidence is worse than an error.
 */
export function parseIsoDate(value: string): Date | null {
  const m = ISO_8601.exec(value);
  if (!m) return null;
  const [, y, mo, d, h, mi, s, , zone] = m;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return null;
  if (Number(h) > 23 || Number(mi) > 59 || Number(s) > 59) return null;
  if (zone !== 'Z' && zone !== undefined) {
    const [zh, zm] = zone.slice(1).split(':').map(Number);
    if ((zh ?? 99) > 14 || (zm ?? 99) > 59) return null;
  }
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? null : date;
}

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}
