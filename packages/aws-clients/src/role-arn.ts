/**
 * Role ARN validation for the connect flow. The reference's troubleshooting says ARNs fail on "additional
 * spaces or invalid characters"; each failure here names the part of the ARN that is wrong and, where
 * it is one character, which one and where (1-based position in the trimmed input).
 *
 * Format: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html
 * Name and path rules: https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateRole.html
 * (RoleName `[\w+=,.@-]+`, 1-64 chars; Path `/` or `/…/` of printable ASCII, at most 512 chars).
 */

import type { AwsPartition } from './regions.js';

export type RoleArnPart =
  | 'prefix'
  | 'partition'
  | 'service'
  | 'region'
  | 'account'
  | 'resource-type'
  | 'role-name';

export interface ParsedRoleArn {
  ok: true;
  /** The trimmed ARN, as AWS will see it. */
  arn: string;
  partition: AwsPartition;
  accountId: string;
  roleName: string;
  /** IAM path, `/` when the role has none, else `/a/b/`. */
  path: string;
}

export interface RoleArnError {
  ok: false;
  code: 'invalid_role_arn';
  message: string;
  details: { part: RoleArnPart; character?: string; position?: number };
}

export type RoleArnResult = ParsedRoleArn | RoleArnError;

export const ROLE_ARN_PARTITIONS: readonly AwsPartition[] = ['aws', 'aws-us-gov', 'aws-cn'];
const EXAMPLE = 'arn:aws:iam::123456789012:role/NAME';
const ROLE_NAME_CHAR = /[\w+=,.@-]/;
const MAX_ROLE_NAME = 64;
const MAX_PATH = 512;

export function parseRoleArn(input: string): RoleArnResult {
  const arn = typeof input === 'string' ? input.trim() : '';
  if (arn.length === 0) return fail('prefix', `The role ARN is empty; expected ${EXAMPLE}.`);

  // Whitespace and invisible characters inside the ARN are the most common copy-paste mistake.
  for (let i = 0; i < arn.length; i++) {
    const ch = arn[i] as string;
    const label = invisibleLabel(ch);
    if (label) {
      return fail(
        partAt(arn, i),
        `The role ARN contains ${label} at position ${i + 1}; remove it (copy the ARN from the role's summary page).`,
        ch,
        i + 1,
      );
    }
  }

  const fields = arn.split(':');
  if (fields[0] !== 'arn') {
    return fail(
      'prefix',
      `The role ARN starts with '${fields[0] ?? ''}', expected 'arn' (format ${EXAMPLE}).`,
    );
  }
  if (fields.length < 6) {
    return fail(
      'prefix',
      `The role ARN has ${fields.length} ':'-separated parts, expected 6 (format ${EXAMPLE}).`,
    );
  }
  const [, partition = '', service = '', region = '', account = ''] = fields;
  const offsets = fieldOffsets(fields);

  if (!(ROLE_ARN_PARTITIONS as readonly string[]).includes(partition)) {
    return fail(
      'partition',
      `The partition is '${partition}', expected one of ${ROLE_ARN_PARTITIONS.map((p) => `'${p}'`).join(', ')}.`,
    );
  }
  if (service !== 'iam') {
    const resource = fields.slice(5).join(':');
    if (service === 'sts' && resource.startsWith('assumed-role/')) {
      return fail(
        'service',
        `This is the ARN of an assumed-role session (service 'sts'), not of the role; use arn:${partition}:iam::${account}:role/${resource.split('/')[1] ?? 'NAME'}.`,
      );
    }
    return fail('service', `The service is '${service}', expected 'iam'.`);
  }
  if (region !== '') {
    return fail(
      'region',
      `IAM ARNs have no region, but this one has '${region}'; expected '${partition}:iam::'.`,
    );
  }
  if (!/^\d{12}$/.test(account)) {
    if (account.length === 0) return fail('account', 'The account id is missing; expected 12 digits.');
    const bad = [...account].findIndex((c) => c < '0' || c > '9');
    if (bad >= 0) {
      const ch = account[bad] as string;
      return fail(
        'account',
        `The account id contains '${ch}' at position ${offsets[4]! + bad + 1}; expected 12 digits.`,
        ch,
        offsets[4]! + bad + 1,
      );
    }
    return fail('account', `The account id has ${account.length} digits, expected 12.`);
  }

  if (fields.length > 6) {
    // Role names and paths cannot contain ':'; report the first extra one.
    const pos = offsets[6]! - 1;
    return fail(
      'role-name',
      `The role name contains ':' which IAM does not allow (position ${pos + 1}).`,
      ':',
      pos + 1,
    );
  }
  const resource = fields[5] ?? '';
  const resourceStart = offsets[5]!;
  const slash = resource.indexOf('/');
  const resourceType = slash >= 0 ? resource.slice(0, slash) : resource;
  if (resourceType !== 'role') {
    const shown = resource.length > 40 ? `${resource.slice(0, 40)}…` : resource;
    return fail('resource-type', `The resource is '${shown}', expected 'role/…' (the ARN of an IAM role).`);
  }
  const rest = resource.slice(slash + 1);
  const lastSlash = rest.lastIndexOf('/');
  const roleName = rest.slice(lastSlash + 1);
  const path = lastSlash >= 0 ? `/${rest.slice(0, lastSlash + 1)}` : '/';
  const nameStart = resourceStart + slash + 1 + lastSlash + 1;

  if (path.length > MAX_PATH)
    return fail('role-name', `The role path is ${path.length} characters, IAM allows at most ${MAX_PATH}.`);
  if (path.includes('//')) {
    const pos = resourceStart + slash + path.indexOf('//') + 1;
    return fail('role-name', `The role path has an empty segment ('//') at position ${pos}.`, '/', pos);
  }
  for (let i = 0; i < path.length; i++) {
    const code = path.charCodeAt(i);
    if (code < 0x21 || code > 0x7e) {
      const pos = resourceStart + slash + i + 1;
      const ch = path[i] as string;
      return fail(
        'role-name',
        `The role path contains '${ch}' which IAM does not allow (position ${pos}).`,
        ch,
        pos,
      );
    }
  }
  if (roleName.length === 0)
    return fail('role-name', `The role name is missing after 'role/'; expected ${EXAMPLE}.`);
  for (let i = 0; i < roleName.length; i++) {
    const ch = roleName[i] as string;
    if (!ROLE_NAME_CHAR.test(ch)) {
      const pos = nameStart + i + 1;
      return fail(
        'role-name',
        `The role name contains '${ch}' which IAM does not allow (position ${pos}); allowed are letters, digits and + = , . @ _ -.`,
        ch,
        pos,
      );
    }
  }
  if (roleName.length > MAX_ROLE_NAME) {
    return fail(
      'role-name',
      `The role name is ${roleName.length} characters, IAM allows at most ${MAX_ROLE_NAME}.`,
    );
  }

  return { ok: true, arn, partition: partition as AwsPartition, accountId: account, roleName, path };
}

function fail(part: RoleArnPart, message: string, character?: string, position?: number): RoleArnError {
  const details: RoleArnError['details'] = { part };
  if (character !== undefined) details.character = character;
  if (position !== undefined) details.position = position;
  return { ok: false, code: 'invalid_role_arn', message, details };
}

/** Start offset (0-based) of each ':'-separated field. */
function fieldOffsets(fields: string[]): number[] {
  const out: number[] = [];
  let at = 0;
  for (const f of fields) {
    out.push(at);
    at += f.length + 1;
  }
  return out;
}

const PARTS_BY_FIELD: RoleArnPart[] = ['prefix', 'partition', 'service', 'region', 'account'];

/** Which part of the ARN the character at `index` belongs to (by counting the ':' before it). */
function partAt(arn: string, index: number): RoleArnPart {
  const field = arn.slice(0, index).split(':').length - 1;
  if (field < PARTS_BY_FIELD.length) return PARTS_BY_FIELD[field] as RoleArnPart;
  const resource = arn.split(':').slice(5).join(':');
  const within = index - (arn.length - resource.length);
  return within < resource.indexOf('/') || !resource.includes('/') ? 'resource-type' : 'role-name';
}

function invisibleLabel(ch: string): string | undefined {
  switch (ch) {
    case ' ':
      return 'a space';
    case '\t':
      return 'a tab';
    case '\n':
    case '\r':
      return 'a line break';
    case '\u00a0':
      return 'a non-breaking space';
  }
  if (/\s/.test(ch) || /[\u200b-\u200f\u2060\ufeff\u00ad]/.test(ch)) {
    return `an invisible character (U+${ch.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')})`;
  }
  return undefined;
}
