/**
 * Shared plumbing of the readers: each AWS call's error becomes a classified `AwsError` naming the
 * operation, and pagination tokens never reach the caller.
 */

import type { z } from 'zod';
import { toAwsError } from './errors.js';
import { checkResponse, RESPONSE_SCHEMAS } from './responses/index.js';

interface RegionAware {
  config: { region: () => Promise<string> };
}

/**
 * Runs one AWS call; any failure is rethrown as an `AwsError` with the operation and Region. The
 * answer is checked against the operation's schema (`RESPONSE_SCHEMAS`, or `schema`) before anyone
 * reads it: a bad one throws `aws_response_invalid` naming the operation and the field.
 */
export async function callAws<T>(
  client: RegionAware,
  operation: string,
  fn: () => Promise<T>,
  schema?: z.ZodType,
): Promise<T> {
  let out: T;
  try {
    out = await fn();
  } catch (err) {
    let region: string | undefined;
    try {
      region = await client.config.region();
    } catch {
      region = undefined;
    }
    throw toAwsError(err, { operation, ...(region ? { region } : {}) });
  }
  const check = schema ?? RESPONSE_SCHEMAS[operation];
  return check ? checkResponse(operation, check, out) : out;
}

/**
 * Pages of an SDK `paginate*` helper, each checked against the operation's schema; an error is
 * classified as `callAws` does. The SDK helper pages while the answer carries a token (and, without
 * `stopOnSameToken`, forever on a server loop; with it, it stops silently on a truncated list): here a
 * token seen before throws, and `nextToken` (IAM: `IsTruncated`) decides whether to ask for more.
 */
export async function* sdkPages<TPage>(
  client: RegionAware,
  operation: string,
  pages: AsyncIterable<TPage>,
  nextToken: (page: TPage) => string | undefined,
): AsyncGenerator<TPage, void, undefined> {
  const iterator = pages[Symbol.asyncIterator]();
  const seen = new Set<string>();
  try {
    for (;;) {
      let step: IteratorResult<TPage>;
      try {
        step = await iterator.next();
      } catch (err) {
        throw await classified(client, operation, err);
      }
      if (step.done) return;
      const schema = RESPONSE_SCHEMAS[operation];
      yield schema ? checkResponse(operation, schema, step.value) : step.value;
      const next = nextToken(step.value);
      if (next === undefined || next === '') return;
      if (seen.has(next))
        throw new Error(`${operation}: the service returned the same pagination token twice`);
      seen.add(next);
    }
  } finally {
    await iterator.return?.();
  }
}

async function classified(client: RegionAware, operation: string, err: unknown) {
  let region: string | undefined;
  try {
    region = await client.config.region();
  } catch {
    region = undefined;
  }
  return toAwsError(err, { operation, ...(region ? { region } : {}) });
}

/**
 * Pages until the service returns no token. A token the service already returned means a server-side
 * loop: stop with an error instead of paging forever.
 */
export async function* paginatePages<TPage>(
  operation: string,
  fetchPage: (token: string | undefined) => Promise<TPage>,
  nextToken: (page: TPage) => string | undefined,
): AsyncGenerator<TPage, void, undefined> {
  const seen = new Set<string>();
  let token: string | undefined;
  for (;;) {
    const page = await fetchPage(token);
    yield page;
    const next = nextToken(page);
    if (next === undefined || next === '') return;
    if (seen.has(next)) throw new Error(`${operation}: the service returned the same pagination token twice`);
    seen.add(next);
    token = next;
  }
}

/** Items of every page, in order. */
export async function* paginateItems<TPage, TItem>(
  operation: string,
  fetchPage: (token: string | undefined) => Promise<TPage>,
  nextToken: (page: TPage) => string | undefined,
  items: (page: TPage) => readonly TItem[] | undefined,
): AsyncGenerator<TItem, void, undefined> {
  for await (const page of paginatePages(operation, fetchPage, nextToken)) {
    for (const item of items(page) ?? []) yield item;
  }
}

/** IAM's convention: `IsTruncated` + `Marker`. */
export function iamMarker(page: {
  IsTruncated?: boolean | undefined;
  Marker?: string | undefined;
}): string | undefined {
  return page.IsTruncated ? page.Marker : undefined;
}

/** Drains an async iterable (tests and small lists). */
export async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}
