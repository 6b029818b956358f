/**
 * Opaque continuation tokens: the offset into a listing, bound to the listing it came from, so a
 * token replayed against another operation or other filters is refused like AWS refuses it.
 */

export interface Page<T> {
  items: T[];
  next: string | undefined;
}

export function encodeToken(scope: string, offset: number): string {
  return Buffer.from(JSON.stringify([scope, offset]), 'utf8').toString('base64url');
}

export function decodeToken(token: string, scope: string): number | undefined {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    if (!Array.isArray(parsed) || parsed[0] !== scope || typeof parsed[1] !== 'number') return undefined;
    return Number.isInteger(parsed[1]) && parsed[1] >= 0 ? parsed[1] : undefined;
  } catch {
    return undefined;
  }
}

/** One page of `items`; `onBadToken` builds the service's own error for an invalid token. */
export function paginate<T>(
  items: readonly T[],
  token: string | undefined | null,
  pageSize: number,
  scope: string,
  onBadToken: () => Error,
): Page<T> {
  let offset = 0;
  if (token) {
    const decoded = decodeToken(token, scope);
    if (decoded === undefined || decoded > items.length) throw onBadToken();
    offset = decoded;
  }
  const end = offset + pageSize;
  return { items: items.slice(offset, end), next: end < items.length ? encodeToken(scope, end) : undefined };
}
