/**
 * A finding's evidence as an auditor reads it. Since findings are of bounded size (issue 15), what
 * many findings share (a policy statement, a principal's grants, a credential-report row) is stored
 * once per check run and the finding holds `{"$ref": "sha256:…"}` in its place; the API answers each
 * at `…/evidence-references/{digest}`, and a referenced part may hold references itself. This prints
 * the evidence as indented JSON with every reference replaced, in place, by what it refers to, marked
 * "shared". Each digest is one query keyed by the digest: content-addressed, so it never goes stale
 * and is fetched once per page view however many findings hold it. A part that cannot be read shows
 * the API's code and message where it would be; the rest still shows.
 */
import { useQuery } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import { ApiFailure, call, client } from './api/client';

/** References nested deeper than this are shown as references (the compactor nests a few levels). */
export const MAX_REFERENCE_DEPTH = 8;
const INDENT = '  ';

type EvidenceRef = { $ref: string };

/** The same test as the store's `isEvidenceRef`: an object whose only key is a sha256 `$ref`. */
export function isEvidenceRef(value: unknown): value is EvidenceRef {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const ref = (value as Record<string, unknown>).$ref;
  return typeof ref === 'string' && ref.startsWith('sha256:') && Object.keys(value).length === 1;
}

/** The evidence of one finding of `connectionId`, references resolved, in a `<pre>`. */
export function Evidence({ connectionId, value }: { connectionId: string; value: unknown }) {
  return <JsonValue connectionId={connectionId} value={value} indent="" depth={0} />;
}

interface ValueProps {
  connectionId: string;
  value: unknown;
  /** The indentation of the line this value starts on (its closing bracket goes there). */
  indent: string;
  /** How many references were followed to reach it. */
  depth: number;
}

function JsonValue({ connectionId, value, indent, depth }: ValueProps): ReactNode {
  if (isEvidenceRef(value))
    return <SharedPart connectionId={connectionId} digest={value.$ref} indent={indent} depth={depth} />;
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  const inner = indent + INDENT;
  const entries: [string | null, unknown][] = Array.isArray(value)
    ? value.map((v) => [null, v])
    : Object.entries(value);
  const [open, close] = Array.isArray(value) ? ['[', ']'] : ['{', '}'];
  if (entries.length === 0) return `${open}${close}`;
  return (
    <>
      {open}
      {entries.map(([key, v], i) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: a JSON value's members never reorder
        <span key={i}>
          {'\n'}
          {inner}
          {key !== null && `${JSON.stringify(key)}: `}
          <JsonValue connectionId={connectionId} value={v} indent={inner} depth={depth} />
          {i < entries.length - 1 ? ',' : ''}
        </span>
      ))}
      {'\n'}
      {indent}
      {close}
    </>
  );
}

function SharedPart({ connectionId, digest, indent, depth }: Omit<ValueProps, 'value'> & { digest: string }) {
  const part = useQuery({
    queryKey: ['evidence-reference', connectionId, digest],
    enabled: depth < MAX_REFERENCE_DEPTH,
    // Content-addressed: what a digest answers never changes, so it is never fetched again.
    staleTime: Number.POSITIVE_INFINITY,
    queryFn: () =>
      call(
        client.GET('/v1/connections/{id}/evidence-references/{digest}', {
          params: { path: { id: connectionId, digest } },
        }),
      ),
  });
  if (depth >= MAX_REFERENCE_DEPTH)
    return <span className="ref-note">(shared part {digest} nested too deep to show here)</span>;
  if (part.error) {
    const e = part.error instanceof ApiFailure ? part.error : undefined;
    return (
      <span className="ref-error" data-code={e?.code ?? 'console_error'}>
        (shared part {digest} could not be read: <code>{e?.code ?? 'console_error'}</code>{' '}
        {part.error.message})
      </span>
    );
  }
  if (!part.data) return <span className="ref-note">(loading shared part…)</span>;
  return (
    <span className="shared" data-ref={digest}>
      <span className="shared-label" title={`stored once for the check run as ${digest}`}>
        shared
      </span>{' '}
      <JsonValue connectionId={connectionId} value={part.data.evidence} indent={indent} depth={depth + 1} />
    </span>
  );
}
