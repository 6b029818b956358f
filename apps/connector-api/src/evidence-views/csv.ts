/**
 * CSV as RFC 4180 writes it: CRLF line ends, a field quoted when it holds a comma, a quote, CR or LF,
 * quotes doubled inside. A field that a spreadsheet would run as a formula (starting with `=`, `+`,
 * `-`, `@`, tab or CR) gets a leading `'` (OWASP "CSV injection"): exports are opened by auditors in
 * spreadsheets, and resource names and reasons come from a customer's AWS account.
 */

export type CsvValue = string | number | boolean | null | undefined | Date;

const FORMULA_START = /^[=+\-@\t\r]/;

export function csvField(value: CsvValue): string {
  if (value === null || value === undefined) return '';
  let s = value instanceof Date ? value.toISOString() : String(value);
  if (typeof value === 'string' && FORMULA_START.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function csvLine(values: readonly CsvValue[]): string {
  return `${values.map(csvField).join(',')}\r\n`;
}

/** A whole document: the header, then one line per row (columns taken from the header, in order). */
export function toCsv<K extends string>(header: readonly K[], rows: readonly Record<K, CsvValue>[]): string {
  let out = csvLine(header);
  for (const row of rows) out += csvLine(header.map((k) => row[k]));
  return out;
}
