import { z } from 'zod';
import { ApiError } from '../errors.js';
import { isStorable, MAX_YEAR, MIN_YEAR } from '../schemas.js';

/** Longer than any key a page is sorted by (names, emails, ARNs). */
const MAX_KEY_LENGTH = 2048;

/** `?limit=` (1-500) and `?cursor=` as every paginated read takes them. */
export const PageQuery = {
  limit: z.coerce.number().int().min(1).max(500).default(100).describe('page size, at most 500'),
  cursor: z.string().max(1000).optional().describe('nextCursor of the previous page'),
};

/**
 * Cursors are opaque to clients: the sort key of the last item of a page (a keyset, so pages stay
 * stable while rows are added), as base64url JSON.
 */
export function encodeCursor(key: readonly (string | number)[]): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

/**
 * What each element of a cursor is: `string` (a name, email, ARN), `number` (a bigint id), `uuid`, or
 * `instant` (milliseconds since the epoch, as `created_at` keys are written).
 */
export type CursorPart = 'string' | 'number' | 'uuid' | 'instant';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const MIN_INSTANT = Date.UTC(MIN_YEAR, 0, 1);
const MAX_INSTANT = Date.UTC(MAX_YEAR, 11, 31, 23, 59, 59, 999);

function validPart(kind: CursorPart, v: unknown): boolean {
  switch (kind) {
    case 'number':
      return Number.isSafeInteger(v);
    case 'instant':
      return Number.isSafeInteger(v) && (v as number) >= MIN_INSTANT && (v as number) <= MAX_INSTANT;
    case 'uuid':
      return typeof v === 'string' && UUID.test(v);
    case 'string':
      return typeof v === 'string' && v.length <= MAX_KEY_LENGTH && isStorable(v);
  }
}

export function decodeCursor<T extends readonly CursorPart[]>(
  cursor: string | undefined,
  shape: T,
): { [I in keyof T]: T[I] extends 'string' | 'uuid' ? string : number } | undefined {
  if (cursor === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw badCursor();
  }
  if (!Array.isArray(parsed) || parsed.length !== shape.length) throw badCursor();
  for (let i = 0; i < shape.length; i++) {
    // A cursor is only ever a key this API wrote, so a value Postgres could not compare with its
    // column (a NUL, a lone surrogate, a non-uuid, a time out of range) is not one (issue 11:
    // `["\u0000",1]` was a 500).
    if (!validPart(shape[i] as CursorPart, parsed[i])) throw badCursor();
  }
  return parsed as never;
}

function badCursor(): ApiError {
  const message = 'querystring.cursor: not a cursor this API returned (use nextCursor of the previous page)';
  return new ApiError(400, 'invalid_request', message, {
    issues: [{ field: 'querystring.cursor', message: 'not a cursor this API returned' }],
    issueCount: 1,
  });
}

/** Splits a page fetched with `limit + 1` rows into the page and the cursor of the next one. */
export function page<T>(
  rows: T[],
  limit: number,
  keyOf: (row: T) => readonly (string | number)[],
): { items: T[]; nextCursor: string | null } {
  if (rows.length <= limit) return { items: rows, nextCursor: null };
  const items = rows.slice(0, limit);
  return { items, nextCursor: encodeCursor(keyOf(items[items.length - 1] as T)) };
}
