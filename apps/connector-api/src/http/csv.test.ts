import { describe, expect, it } from 'vitest';
import { parseCsv } from '../../test-support/csv-reader.js';
import { csvField, csvStream, toCsv } from './csv.js';

describe('csv', () => {
  it('quotes fields with commas, quotes, CR or LF and doubles inner quotes (RFC 4180)', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
    expect(csvField('cr\r')).toBe('"cr\r"');
    expect(csvField(null)).toBe('');
    expect(csvField(undefined)).toBe('');
    expect(csvField(false)).toBe('false');
    expect(csvField(3)).toBe('3');
    expect(csvField(new Date('2026-01-02T03:04:05.000Z'))).toBe('2026-01-02T03:04:05.000Z');
  });

  it('neutralises text a spreadsheet would run as a formula', () => {
    expect(csvField('=HYPERLINK("http://x")')).toBe(`"'=HYPERLINK(""http://x"")"`);
    expect(csvField('+1')).toBe("'+1");
    expect(csvField('@SUM(A1)')).toBe("'@SUM(A1)");
    expect(csvField(-1)).toBe('-1');
  });

  it('writes CRLF lines that a strict parser reads back to the same values', () => {
    const rows = [
      { a: 'x,y', b: 'he said "no"\r\nthen left' },
      { a: '', b: null },
    ];
    const text = toCsv(['a', 'b'], rows);
    expect(text.endsWith('\r\n')).toBe(true);
    expect(parseCsv(text)).toEqual([
      ['a', 'b'],
      ['x,y', 'he said "no"\r\nthen left'],
      ['', ''],
    ]);
  });

  it('streams the same document from rows that arrive one by one', async () => {
    const rows = [
      { a: '=1+1', b: -1 },
      { a: 'x,y', b: true },
      { a: null, b: new Date('2026-01-02T03:04:05.000Z') },
    ];
    async function* arriving() {
      for (const row of rows) {
        await new Promise((resolve) => setImmediate(resolve));
        yield row;
      }
    }
    let text = '';
    for await (const chunk of csvStream(['a', 'b'], arriving())) text += String(chunk);
    expect(text).toBe(toCsv(['a', 'b'], rows));
    expect(text).toBe(`a,b\r\n'=1+1,-1\r\n"x,y",true\r\n,2026-01-02T03:04:05.000Z\r\n`);
  });
});
