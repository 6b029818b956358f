import { describe, expect, it } from 'vitest';
import { DATE_EDGES, IMPOSSIBLE_DATES } from '../test-support/date-cases.js';
import {
  CalendarDate,
  DayOrInstant,
  Instant,
  isStorable,
  parseCalendarDate,
  parseInstant,
} from './schemas.js';

describe('dates are parsed strictly', () => {
  it('refuses days that do not exist instead of rolling them over (2026-11-31 is not December 1st)', () => {
    for (const s of ['2026-11-31', '2026-02-30', '2025-02-29', '2026-13-01', '2026-00-10', '2026-01-00']) {
      expect(parseCalendarDate(s), s).toBeUndefined();
      expect(CalendarDate.safeParse(s).success, s).toBe(false);
      expect(DayOrInstant.safeParse(s).success, s).toBe(false);
      expect(parseInstant(`${s}T00:00:00Z`), s).toBeUndefined();
    }
    expect(parseCalendarDate('2024-02-29')).toEqual({ year: 2024, month: 2, day: 29 });
    expect(parseCalendarDate('2000-02-29')).toBeDefined();
    expect(parseCalendarDate('1900-02-29')).toBeUndefined();
  });

  it('refuses years Postgres cannot store or that are out of range (0000-01-01 was a 22008)', () => {
    for (const s of [
      '0000-01-01',
      '0001-01-01',
      '1899-12-31',
      '10000-01-01',
      '+275760-09-13',
      '-000001-01-01',
    ]) {
      expect(CalendarDate.safeParse(s).success, s).toBe(false);
    }
    expect(parseInstant('0000-12-31T23:00:00-23:59')).toBeUndefined();
    // Inside the range as written, outside it once the offset is applied.
    expect(parseInstant('9999-12-31T23:59:59-23:59')).toBeUndefined();
    expect(parseInstant('1900-01-01T00:30:00+01:00')).toBeUndefined();
    expect(CalendarDate.safeParse('9999-12-31').success).toBe(true);
  });

  it('reads date-times with every field in range and an offset', () => {
    expect(parseInstant('2026-03-31T12:00:00Z')?.toISOString()).toBe('2026-03-31T12:00:00.000Z');
    expect(parseInstant('2026-03-31T12:00+02:00')?.toISOString()).toBe('2026-03-31T10:00:00.000Z');
    expect(parseInstant('2026-03-31T12:00:00.123456789-0130')?.toISOString()).toBe(
      '2026-03-31T13:30:00.123Z',
    );
    for (const s of [
      '2026-01-01T24:00:00Z',
      '2026-01-01T23:60:00Z',
      '2026-01-01T23:59:60Z',
      '2026-01-01T00:00:00',
      '2026-01-01 00:00:00Z',
      '2026-01-01T00:00:00+24:00',
      '2026-01-01T00:00:00Z\u0000',
    ]) {
      expect(parseInstant(s), s).toBeUndefined();
      expect(Instant.safeParse(s).success, s).toBe(false);
    }
    // A date alone is the end of that day.
    expect(DayOrInstant.parse('2026-03-31').toISOString()).toBe('2026-03-31T23:59:59.999Z');
  });

  it('refuses every impossible date of the shared table (the fuzz test sends them) and accepts its edges', () => {
    for (const s of IMPOSSIBLE_DATES) {
      expect(CalendarDate.safeParse(s).success, s).toBe(false);
      expect(Instant.safeParse(s).success, s).toBe(false);
      expect(DayOrInstant.safeParse(s).success, s).toBe(false);
    }
    for (const s of DATE_EDGES) expect(DayOrInstant.safeParse(s).success, s).toBe(true);
  });

  it('tells strings Postgres stores from those it cannot', () => {
    expect(isStorable('ok é 😀')).toBe(true);
    expect(isStorable('a\u0000b')).toBe(false);
    expect(isStorable('\ud800')).toBe(false);
    expect(isStorable('x\udc00')).toBe(false);
  });
});
