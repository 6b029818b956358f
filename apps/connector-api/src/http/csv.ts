/**
 * CSV as RFC 4180 writes it, through csv-stringify: CRLF line ends, a field quoted when it holds a
 * comma, a quote, CR or LF, quotes doubled inside. A string field that a spreadsheet would run as a
 * formula (starting with `=`, `+`, `-`, `@`, tab or CR) gets a leading `'` (OWASP "CSV injection"):
 * exports are opened by auditors in spreadsheets, and resource names and reasons come from a
 * customer's AWS account. Numbers are left alone (`-1` stays `-1`).
 */
import { Readable } from 'node:stream';
import { type Options, stringify } from 'csv-stringify';
import { stringify as stringifySync } from 'csv-stringify/sync';

export type CsvValue = string | number | boolean | null | undefined | Date;

const FORMULA_START = /^[=+\-@\t\r]/;

const OPTIONS: Options = {
  record_delimiter: 'windows',
  // Setting record_delimiter turns this off by default; a lone CR or LF inside a field must be quoted.
  quote_record_delimiter: true,
  cast: {
    string: (s) => (FORMULA_START.test(s) ? `'${s}` : s),
    boolean: (b) => String(b),
    date: (d) => d.toISOString(),
  },
};

export function csvField(value: CsvValue): string {
  return stringifySync([[value]], { ...OPTIONS, eof: false });
}

/** A whole document: the header, then one line per row (columns taken from the header, in order). */
export function toCsv<K extends string>(header: readonly K[], rows: readonly Record<K, CsvValue>[]): string {
  return stringifySync(rows as Record<K, CsvValue>[], { ...OPTIONS, header: true, columns: [...header] });
}

/**
 * The same document as a stream, from rows that arrive one by one (an async generator reading
 * Postgres page by page): memory stays flat whatever the export's size.
 */
export function csvStream<K extends string>(
  header: readonly K[],
  rows: AsyncIterable<Record<K, CsvValue>> | Iterable<Record<K, CsvValue>>,
): Readable {
  const source = Readable.from(rows, { objectMode: true });
  const out = stringify({ ...OPTIONS, header: true, columns: [...header] });
  source.on('error', (err) => out.destroy(err));
  return source.pipe(out);
}
