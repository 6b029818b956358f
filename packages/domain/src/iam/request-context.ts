/**
 * The request context as the evaluator reads it: key names case-insensitive, every value a string (AWS
 * compares booleans, numbers and dates in their string form), multi-valued keys as string lists.
 */
import type { ContextValue, RequestContext } from './types.js';

export type NormalizedValue = { kind: 'single'; value: string } | { kind: 'multi'; values: string[] };

export type KeyLookup =
  | { status: 'present'; value: NormalizedValue }
  | { status: 'absent' }
  /** Analysis mode: the request might carry the key with any value. */
  | { status: 'unknown' };

export interface RequestValues {
  lookup(key: string): KeyLookup;
}

/**
 * Keys that AWS types as single-valued although callers may hand them over as a one-element list. The
 * Service Authorization Reference types `codecommit:References` as `String`
 * (https://docs.aws.amazon.com/service-authorization/latest/reference/list_awscodecommit.html), so
 * `['refs/heads/main']` is the single value `refs/heads/main`, as iam-simulate's `runSimulation` reads it;
 * a single-valued operator on a true multi-valued key never matches (a set operator is required).
 */
const SINGLE_VALUED_KEYS = new Set(['codecommit:references']);

function toStringValue(value: string | boolean | number | Date): string {
  if (value instanceof Date) return value.toISOString();
  return String(value);
}

export function normalizeContextValue(key: string, value: ContextValue): NormalizedValue {
  if (Array.isArray(value)) {
    if (value.length === 1 && SINGLE_VALUED_KEYS.has(key.toLowerCase())) {
      return { kind: 'single', value: value[0]! };
    }
    return { kind: 'multi', values: value.map(String) };
  }
  return { kind: 'single', value: toStringValue(value) };
}

export function buildRequestValues(request: RequestContext): RequestValues {
  const values = new Map<string, NormalizedValue>();
  for (const [key, value] of Object.entries(request.context ?? {})) {
    if (value === undefined) continue;
    values.set(key.toLowerCase(), normalizeContextValue(key, value));
  }
  const missingIsUnknown = request.missingKeys === 'unknown';
  const absentExact = new Set<string>();
  const absentPrefixes: string[] = [];
  for (const key of request.knownAbsentKeys ?? []) {
    const lower = key.toLowerCase();
    if (lower.endsWith('*')) absentPrefixes.push(lower.slice(0, -1));
    else absentExact.add(lower);
  }
  return {
    lookup(key) {
      const lower = key.toLowerCase();
      const value = values.get(lower);
      if (value) return { status: 'present', value };
      if (!missingIsUnknown) return { status: 'absent' };
      if (absentExact.has(lower) || absentPrefixes.some((prefix) => lower.startsWith(prefix))) {
        return { status: 'absent' };
      }
      return { status: 'unknown' };
    },
  };
}
