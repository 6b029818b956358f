/** Shared pieces: error and loading states, status badges, copy and download buttons. */
import { type ReactNode, useState } from 'react';
import { ApiFailure } from './api/client';

export function ErrorBox({ error, id }: { error: unknown; id?: string }) {
  if (!error) return null;
  const e =
    error instanceof ApiFailure
      ? error
      : new ApiFailure(0, 'console_error', (error as Error).message ?? String(error));
  return (
    <div className="error" role="alert" id={id} data-code={e.code}>
      <strong>
        <code>{e.code}</code>
      </strong>{' '}
      {e.message}
      {Array.isArray(e.details.missing) && (
        <ul>
          {(e.details.missing as { action: string; disables?: string[] }[]).map((m) => (
            <li key={m.action}>
              <code>{m.action}</code>
              {m.disables?.length ? ` — disables ${m.disables.join(', ')}` : ''}
            </li>
          ))}
        </ul>
      )}
      {Array.isArray(e.details.checks) && (
        <ol>
          {(e.details.checks as unknown[]).map((c) => (
            <li key={String(c)}>{typeof c === 'string' ? c : JSON.stringify(c)}</li>
          ))}
        </ol>
      )}
    </div>
  );
}

export function Loading({ what }: { what: string }) {
  return (
    <p className="loading" role="status">
      Loading {what}…
    </p>
  );
}

export function Status({ status }: { status: string | null | undefined }) {
  const s = status ?? 'not evaluated';
  return <span className={`status status-${s.replace(/[^a-z_]/g, '')}`}>{s.replace('_', ' ')}</span>;
}

export const pretty = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v, null, 2));

export function CopyButton({ text, label }: { text: string; label: string }) {
  const [done, setDone] = useState(false);
  return (
    <button
      type="button"
      className="secondary"
      onClick={async () => {
        await navigator.clipboard.writeText(text).catch(() => undefined);
        setDone(true);
        setTimeout(() => setDone(false), 2000);
      }}
    >
      {done ? 'Copied' : `Copy ${label}`}
    </button>
  );
}

export function DownloadButton({
  text,
  file,
  label,
  type = 'application/json',
}: {
  text: string;
  file: string;
  label: string;
  type?: string;
}) {
  return (
    <a
      className="button secondary"
      download={file}
      href={`data:${type};charset=utf-8,${encodeURIComponent(text)}`}
    >
      Download {label}
    </a>
  );
}

export function Section({
  title,
  children,
  actions,
}: {
  title: string;
  children: ReactNode;
  actions?: ReactNode;
}) {
  return (
    <section className="card" aria-label={title}>
      <div className="card-head">
        <h2>{title}</h2>
        {actions}
      </div>
      {children}
    </section>
  );
}

export const when = (iso: string | null | undefined) => (iso ? new Date(iso).toLocaleString() : '—');

/**
 * A block of JSON or text a person reads (policies, evidence, fixes): a named region that takes
 * keyboard focus, so a long one can be scrolled without a mouse (axe: scrollable-region-focusable).
 */
export function Code({
  label,
  text,
  className,
  children,
}: {
  label: string;
  text?: string;
  className?: string;
  /** Rendered instead of `text` (the evidence, with its shared parts resolved in place). */
  children?: ReactNode;
}) {
  return (
    <section aria-label={label} className="code">
      {/* biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable block must be reachable by keyboard */}
      <pre tabIndex={0} className={className}>
        {children ?? text}
      </pre>
    </section>
  );
}
