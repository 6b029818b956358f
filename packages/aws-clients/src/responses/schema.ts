import { z } from 'zod';
import { AwsError } from '../errors.js';

/**
 * What every AWS answer must look like before the product reads it: the members it reads, their
 * types, and the bounds AWS documents for them. The SDK's deserializers check none of this (a JSON
 * list answered as a string reaches the caller as a string), so a bad answer would otherwise be
 * stored, or read as "nothing there". Schemas are loose objects: members the product does not read
 * are not checked. https://docs.aws.amazon.com/codecommit/latest/APIReference/API_Types.html,
 * https://docs.aws.amazon.com/IAM/latest/APIReference/API_Types.html.
 */

const NUL = '\u0000';

/** A string of at most `max` characters (and at least `min`), without NUL bytes (Postgres refuses them). */
export function text(max: number, min = 0) {
  return z
    .string()
    .min(min)
    .max(max)
    .refine((s) => !s.includes(NUL), 'contains a NUL byte');
}

/** A Date the SDK parsed from a valid timestamp. */
export const timestamp = z.date().refine((d) => !Number.isNaN(d.getTime()), 'is not a valid date');

/** An ARN (IAM's arnType: 20-2048 characters) in any partition. */
export const arn = text(2048, 20).regex(
  /^arn:aws[a-z-]*:[a-z0-9-]+:[a-z0-9-]*:(\d{12}|aws)?:.+$/,
  'is not an ARN',
);

export const accountId = z.string().regex(/^\d{12}$/, 'is not a 12-digit account id');

/** Pagination tokens: opaque, bounded so a runaway one cannot grow without end. */
export const token = text(65_536);

/**
 * A branch name as Git allows it (`git check-ref-format`) and CodeCommit bounds it (1-256):
 * no control characters, space, `~ ^ : ? * [ \`, no `..` or `@{`, no component starting with `.` or
 * ending with `.lock`, not ending with `/` or `.`, no `//`.
 */
export const branchName = text(256, 1).refine(
  (s) =>
    !/[\u0000-\u0020\u007f~^:?*[\\]/.test(s) &&
    !s.includes('..') &&
    !s.includes('@{') &&
    !s.includes('//') &&
    !s.startsWith('/') &&
    !s.endsWith('/') &&
    !s.endsWith('.') &&
    s !== '@' &&
    s.split('/').every((part) => !part.startsWith('.') && !part.endsWith('.lock')),
  'is not a branch name Git allows',
);

/** A full reference (`refs/heads/main`) as pull request targets carry them. */
export const reference = text(256 + 11, 1).refine(
  (s) => !s.startsWith('refs/heads/') || branchName.safeParse(s.slice('refs/heads/'.length)).success,
  'is not a branch reference Git allows',
);

/** A Git object id (SHA-1, or SHA-256 for repositories that use it). */
export const commitId = z.string().regex(/^([0-9a-f]{40}|[0-9a-f]{64})$/, 'is not a commit id');

/** The field path of a zod issue as the operation's answer names it: `repositories[3].repositoryName`. */
export function fieldPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else out += out ? `.${String(p)}` : String(p);
  }
  return out || '(the whole answer)';
}

function describe(value: unknown): string {
  if (typeof value === 'string') return `a string of ${value.length} characters`;
  if (Array.isArray(value)) return `a list of ${value.length}`;
  if (value === null) return 'null';
  return typeof value;
}

/** The member at `path` in `value`, to say what was there instead (never the value itself). */
function at(value: unknown, path: readonly PropertyKey[]): unknown {
  let v = value;
  for (const p of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[p];
  }
  return v;
}

/**
 * Checks an answer against its schema. A failure throws an `AwsError` `aws_response_invalid` naming
 * the operation and the field (its value is not quoted: it may be megabytes, or hold a NUL byte).
 * Returns the answer unchanged.
 */
export function checkResponse<T>(operation: string, schema: z.ZodType, value: T): T {
  const result = schema.safeParse(value);
  if (result.success) return value;
  const issue = result.error.issues[0]!;
  const field = fieldPath(issue.path);
  const found = at(value, issue.path);
  throw new AwsError(
    {
      code: 'aws_response_invalid',
      message: `AWS answered an invalid ${field}: ${issue.message} (found ${describe(found)})`,
      retryable: false,
      field,
    },
    { operation },
  );
}
