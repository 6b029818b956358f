/**
 * Request schemas shared by routes, and id parsing that answers 404 (not 400) for malformed ids.
 *
 * Everything a client sends is held here to what Postgres accepts, so no input reaches a query that
 * would fail there (issue 11): no NUL in any string (text and jsonb cannot hold it), dates that are
 * real calendar days in the years Postgres and JavaScript agree on, bounded lengths.
 */

import { z } from 'zod';
import { notFound } from './errors.js';

/** Control characters (NUL among them) and lone UTF-16 surrogates, which no name or key holds. */
const CONTROL = /[\u0000-\u001f\u007f]/;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** A string Postgres stores as it was sent: no NUL, well-formed UTF-16. */
export function isStorable(s: string): boolean {
  return !s.includes('\u0000') && !LONE_SURROGATE.test(s);
}

/**
 * Free text a client names things with. Control characters are refused: Postgres cannot store NUL in
 * text, and the others only make logs and UIs lie.
 */
export const text = (max: number) =>
  z
    .string()
    .trim()
    .min(1)
    .max(max)
    .refine((s) => !CONTROL.test(s) && isStorable(s), { message: 'must not contain control characters' });

/**
 * A path segment that names a resource by its name (a repository): what AWS allows in names has no
 * control characters, so one with them names nothing and is refused before any query.
 */
export const pathName = (max: number) =>
  z
    .string()
    .min(1)
    .max(max)
    .refine((s) => !CONTROL.test(s) && isStorable(s), { message: 'must not contain control characters' });

/** The years a date may fall in: Postgres stores them, JavaScript's Date agrees, no year 0 (22008). */
export const MIN_YEAR = 1900;
export const MAX_YEAR = 9999;
const MIN_INSTANT = Date.UTC(MIN_YEAR, 0, 1);
const MAX_INSTANT = Date.UTC(MAX_YEAR, 11, 31, 23, 59, 59, 999);

const DATE_ONLY = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(?:(Z)|([+-])(\d{2}):?(\d{2}))$/i;

/** Days in a month of the proleptic Gregorian calendar (month 1-12). */
function daysIn(year: number, month: number): number {
  return month === 2
    ? year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0)
      ? 29
      : 28
    : [4, 6, 9, 11].includes(month)
      ? 30
      : 31;
}

function validDay(y: number, m: number, d: number): boolean {
  return y >= MIN_YEAR && y <= MAX_YEAR && m >= 1 && m <= 12 && d >= 1 && d <= daysIn(y, m);
}

/**
 * `YYYY-MM-DD` as a real day: parsed by hand, because JavaScript's Date reads `2026-11-31` as
 * December 1st and `2026-02-30` as March 2nd instead of refusing them.
 */
export function parseCalendarDate(s: string): { year: number; month: number; day: number } | undefined {
  const m = DATE_ONLY.exec(s);
  if (!m) return undefined;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  return validDay(year, month, day) ? { year, month, day } : undefined;
}

/**
 * An ISO 8601 date-time with an offset (`Z` or `±hh:mm`), every field in range (no hour 24, no leap
 * second, no `2026-11-31T…`), as an instant inside the years above; undefined otherwise.
 */
export function parseInstant(s: string): Date | undefined {
  const m = DATE_TIME.exec(s);
  if (!m) return undefined;
  const [y, mo, d, hh, mi] = [1, 2, 3, 4, 5].map((i) => Number(m[i])) as [
    number,
    number,
    number,
    number,
    number,
  ];
  const ss = m[6] === undefined ? 0 : Number(m[6]);
  const ms = m[7] === undefined ? 0 : Number(m[7].padEnd(3, '0').slice(0, 3));
  if (!validDay(y, mo, d) || hh > 23 || mi > 59 || ss > 59) return undefined;
  let offsetMinutes = 0;
  if (m[8] === undefined) {
    const [oh, om] = [Number(m[10]), Number(m[11])];
    if (oh > 23 || om > 59) return undefined;
    offsetMinutes = (m[9] === '-' ? -1 : 1) * (oh * 60 + om);
  }
  const t = Date.UTC(y, mo - 1, d, hh, mi, ss, ms) - offsetMinutes * 60_000;
  return t >= MIN_INSTANT && t <= MAX_INSTANT ? new Date(t) : undefined;
}

const DATE_RANGE = `between ${MIN_YEAR}-01-01 and ${MAX_YEAR}-12-31`;

/** A calendar date `YYYY-MM-DD` (kept as the string: Postgres `date`). */
export const CalendarDate = z.string().refine((s) => parseCalendarDate(s) !== undefined, {
  message: `must be a calendar date YYYY-MM-DD ${DATE_RANGE}`,
});

/** An instant: an ISO 8601 date-time with an offset. */
export const Instant = z
  .string()
  .refine((s) => parseInstant(s) !== undefined, {
    message: `must be an ISO 8601 date-time with an offset (2026-03-31T12:00:00Z), ${DATE_RANGE}`,
  })
  .transform((s) => parseInstant(s) as Date);

/**
 * An ISO date or date-time. A date alone means the end of that day (UTC): "the checks on 2026-03-31"
 * are the last ones evaluated on that day.
 */
export const DayOrInstant = z
  .string()
  .refine((s) => parseCalendarDate(s) !== undefined || parseInstant(s) !== undefined, {
    message: `must be an ISO 8601 date (2026-03-31) or date-time with an offset (2026-03-31T12:00:00Z), ${DATE_RANGE}`,
  })
  .transform((s) => (parseCalendarDate(s) ? new Date(`${s}T23:59:59.999Z`) : (parseInstant(s) as Date)));

export const SyncIntervalMinutes = z
  .number()
  .int()
  .min(15)
  .max(10_080)
  .describe('minutes between scheduled syncs (15 minutes to 7 days)');
export const AuditWindowDays = z
  .number()
  .int()
  .min(1)
  .max(3650)
  .describe('peer-review audit window in days (1 to 3650)');

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Ids that cannot exist answer like ids that do not: 404, never a 400 or a database error. */
export function parseUuidOr404(id: string, what: string): string {
  if (!UUID.test(id)) throw notFound(what);
  return id.toLowerCase();
}

export function parseRunIdOr404(id: string): number {
  if (!/^[1-9]\d{0,15}$/.test(id)) throw notFound('sync run');
  const n = Number(id);
  if (!Number.isSafeInteger(n)) throw notFound('sync run');
  return n;
}

export const IdParams = z.object({ id: z.string() });
export const RunParams = z.object({ id: z.string(), runId: z.string() });

export const ErrorResponse = z
  .object({
    error: z.object({ code: z.string(), message: z.string(), details: z.record(z.string(), z.unknown()) }),
  })
  .describe('every error');
