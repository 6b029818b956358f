import { describe, expect, it } from 'vitest';
import { formatTable, median, parseBenchArgs } from '../scripts/bench-table';

describe('pnpm bench:console arguments', () => {
  it('defaults to the demo account and 5 rounds', () => {
    expect(parseBenchArgs([])).toEqual({ account: 'demo', rounds: 5, help: false });
  });

  it('takes --account bench, --rounds and --help', () => {
    expect(parseBenchArgs(['--account', 'bench', '--rounds', '3'])).toEqual({
      account: 'bench',
      rounds: 3,
      help: false,
    });
    expect(parseBenchArgs(['--help']).help).toBe(true);
  });

  it('refuses an unknown account, a bad round count and unknown flags, with the usage', () => {
    expect(() => parseBenchArgs(['--account', 'prod'])).toThrow(
      /--account must be demo or bench[\s\S]*pnpm bench:console \[--account/,
    );
    expect(() => parseBenchArgs(['--rounds', '0'])).toThrow(/--rounds/);
    expect(() => parseBenchArgs(['--rounds', '2.5'])).toThrow(/--rounds/);
    expect(() => parseBenchArgs(['--acount', 'demo'])).toThrow(/pnpm bench:console \[--account/);
  });
});

describe('the bench table', () => {
  it('takes the median of the rounds that finished', () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2);
    expect(median([Number.NaN, 7, 9])).toBe(7);
    expect(median([Number.NaN])).toBeNaN();
  });

  it('prints each page against its account goal, timeouts, and the first load against 300 KB', () => {
    const out = formatTable(
      'bench',
      [
        { page: 'checks', cold: [1500, 1900, 1700], warm: [900, 800, 1000] },
        { page: 'findings (peer-review)', cold: [2500, 2600, Number.NaN], warm: [1900, 1800, 2100] },
      ],
      { gzipBytes: 92_000, brotliBytes: 80_400 },
    );
    const lines = out.split('\n');
    expect(lines[0]).toContain('median of 3 rounds');
    expect(lines[1]).toMatch(/^page\s+cold p50 ms\s+warm p50 ms\s+goal ms\s+met\s+timeouts$/);
    expect(lines[2]).toMatch(/^checks\s+1700\s+900\s+2000\s+yes\s+0$/);
    expect(lines[3]).toMatch(/^findings \(peer-review\)\s+2500\s+1900\s+2000\s+no\s+1$/);
    // Columns line up: every row as wide as the header.
    expect(new Set(lines.slice(1, 4).map((l) => l.length)).size).toBe(1);
    expect(lines[4]).toBe('first-load JavaScript: 89.8 KB gzip, 78.5 KB brotli (budget 300 KB: within)');
  });

  it('says timeout for a page that never showed its content, and that the goal is missed', () => {
    const out = formatTable('demo', [{ page: 'roster', cold: [Number.NaN], warm: [Number.NaN] }], {
      gzipBytes: 400 * 1024,
      brotliBytes: 1,
    });
    expect(out).toMatch(/roster\s+timeout\s+timeout\s+1000\s+no\s+2/);
    expect(out).toContain('(budget 300 KB: over)');
  });
});
