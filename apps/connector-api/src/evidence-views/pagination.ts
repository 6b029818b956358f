import { z } from 'zod';
import { ApiError } from '../errors.js';
import { isStorable } from '../schemas.js';

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

export function decodeCursor<T extends readonly ('string' | 'number')[]>(
  cursor: string | undefined,
  shape: T,
): { [I in keyof T]: T[I] extends 'string' ? string : number } | undefined {
  if (cursor === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw badCursor();
  }
  if (!Array.isArray(parsed) || parsed.length !== shape.length) throw badCursor();
  for (let i = 0; i < shape.length; i++) {
    const v = parsed[i];
    // A cursor is only ever a key this API wrote, so a string Postgres could not compare (a NUL,
    // a lone surrogate) or one longer than any key is not one (issue 11: `["\u0000",1]` was a 500).
    const ok =
      shape[i] === 'number'
        ? Number.isSafeInteger(v)
        : typeof v === 'string' && v.length <= MAX_KEY_LENGTH && isStorable(v);
    if (!ok) throw badCursor();
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
