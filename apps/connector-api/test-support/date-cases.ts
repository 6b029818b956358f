/**
 * The one table of date inputs the API must refuse or accept, shared by the rules' own test
 * (`schemas.test.ts`, which proves each against `CalendarDate`, `Instant` and `DayOrInstant`) and the
 * hostile-input test (`fuzz.int.test.ts`, which expects a 400 wherever it sends one of the impossible
 * ones). So the fuzz test's expectation is the schemas' rules, not a second copy of them.
 */

/** Days that do not exist (JavaScript would roll them over), years Postgres cannot store, malformed forms. */
export const IMPOSSIBLE_DATES = [
  '2026-11-31',
  '2026-02-30',
  '2025-02-29',
  '2026-13-01',
  '2026-00-10',
  '0000-01-01',
  '0001-01-01',
  '1899-12-31',
  '10000-01-01',
  '+275760-09-13',
  '-000001-01-01',
  '2026-11-31T00:00:00Z',
  '2026-02-30T12:00:00Z',
  '2026-01-01T24:00:00Z',
  '2026-01-01T23:59:60Z',
  '0000-01-01T00:00:00Z',
  '0000-12-31T23:00:00-23:59',
  '9999-12-31T23:59:59-23:59',
  '2026-01-01T00:00:00+25:00',
  '2026-01-01T00:00:00',
  '2026-01-01 00:00:00Z',
  '2026-1-1',
  '20260101',
  'yesterday',
  '2026-01-01\u0000',
] as const;

/** The edges of the range, accepted where a date or date-time goes (`DayOrInstant`). */
export const DATE_EDGES = [
  '1900-01-01',
  '9999-12-31',
  '2024-02-29',
  '2026-12-31T23:59:59.999+14:00',
] as const;
