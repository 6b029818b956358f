import type { AwsError } from '../errors.js';

/**
 * The AWS query protocol as IAM and STS speak it: form-encoded `Action=…&Version=…` requests and XML
 * responses wrapped in `<{Action}Response><{Action}Result>`; lists are `<member>` elements; errors are
 * `<ErrorResponse><Error><Type/><Code/><Message/></Error><RequestId/></ErrorResponse>`.
 */

export const QUERY_NAMESPACES = {
  iam: 'https://iam.amazonaws.com/doc/2010-05-08/',
  sts: 'https://sts.amazonaws.com/doc/2011-06-15/',
} as const;

const xmlEscapes: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
};

export function escapeXml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => xmlEscapes[c] ?? c);
}

/** Serializes a result object: arrays become `<member>` lists, Dates ISO 8601, null/undefined omitted. */
export function toXml(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map((item) => `<member>${toXml(item)}</member>`).join('');
  if (typeof value === 'object') {
    let out = '';
    for (const [key, v] of Object.entries(value)) {
      if (v === null || v === undefined) continue;
      out += `<${key}>${toXml(v)}</${key}>`;
    }
    return out;
  }
  return escapeXml(String(value));
}

export function queryResponse(
  service: keyof typeof QUERY_NAMESPACES,
  action: string,
  result: unknown,
  requestId: string,
): string {
  const body = result === undefined ? '' : `<${action}Result>${toXml(result)}</${action}Result>`;
  return (
    `<${action}Response xmlns="${QUERY_NAMESPACES[service]}">${body}` +
    `<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${action}Response>`
  );
}

export function queryError(error: AwsError, requestId: string): string {
  return (
    `<ErrorResponse><Error><Type>${error.type}</Type><Code>${escapeXml(error.code)}</Code>` +
    `<Message>${escapeXml(error.message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`
  );
}

/** Reads `Name.member.N` lists (and `Name.member.N.Field` structures) from a query request. */
export function queryList(params: URLSearchParams, name: string): string[] {
  const out: string[] = [];
  for (let i = 1; ; i++) {
    const v = params.get(`${name}.member.${i}`);
    if (v === null) break;
    out.push(v);
  }
  return out;
}
