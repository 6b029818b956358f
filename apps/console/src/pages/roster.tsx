/**
 * The roster: CSV upload or paste (per-row errors from the API), the current roster a page at a time
 * (`?pageSize=`, default 500), identity links paged the same way.
 */
import { useQueryClient } from '@tanstack/react-query';
import Papa from 'papaparse';
import { type FormEvent, useRef, useState } from 'react';
import { ApiFailure, call, client } from '../api/client';
import type { paths } from '../api/schema';
import { Pager, useKeyset, usePageSize } from '../keyset';
import { useTitle } from '../router';
import { ErrorBox, Loading, Status } from '../ui';

/** One person as `PUT /v1/people` takes it (from the OpenAPI document). */
type Person = NonNullable<
  paths['/v1/people']['put']['requestBody']
>['content']['application/json']['people'][number];

/** CSV with a header row: email, name, status, offboardedAt (empty cells are left out). */
export function parseRoster(csv: string): { people: Person[]; parseErrors: string[] } {
  const parsed = Papa.parse<Record<string, string>>(csv.trim(), {
    header: true,
    skipEmptyLines: true,
    transformHeader: (h) => h.trim(),
  });
  const people = parsed.data.map((row) => {
    const p: Record<string, unknown> = { email: (row.email ?? '').trim(), status: (row.status ?? '').trim() };
    if (row.name?.trim()) p.name = row.name.trim();
    if (row.offboardedAt?.trim()) p.offboardedAt = row.offboardedAt.trim();
    return p as unknown as Person;
  });
  return { people, parseErrors: parsed.errors.map((e) => `line ${(e.row ?? 0) + 2}: ${e.message}`) };
}

/** `body.people.3.email` → row 5 of the CSV (the header is row 1). */
function rowErrors(err: unknown): { row: number; field: string; message: string }[] {
  if (!(err instanceof ApiFailure) || !Array.isArray(err.details.issues)) return [];
  return (err.details.issues as { field: string; message: string }[]).flatMap((i) => {
    const m = /^body\.people\.(\d+)\.?(.*)$/.exec(i.field);
    return m ? [{ row: Number(m[1]) + 2, field: m[2] || 'row', message: i.message }] : [];
  });
}

export function RosterPage() {
  useTitle('Roster');
  const qc = useQueryClient();
  const text = useRef<HTMLTextAreaElement>(null);
  const [error, setError] = useState<unknown>();
  const [result, setResult] = useState<{
    created: number;
    updated: number;
    unchanged: number;
    evaluationsQueued: unknown[] | number;
  }>();
  // A page of the roster at a time (a company can have 10,000 people; the API pages by email).
  const limit = usePageSize(500);
  const people = useKeyset(['people', limit], (cursor) =>
    call(client.GET('/v1/people', { params: { query: { limit, ...(cursor ? { cursor } : {}) } } })),
  );
  // Links are paged like the roster (an account with thousands of IAM users can have as many links).
  const links = useKeyset(['identity-links', limit], (cursor) =>
    call(client.GET('/v1/identity-links', { params: { query: { limit, ...(cursor ? { cursor } : {}) } } })),
  );

  const upload = async (csv: string) => {
    setError(undefined);
    setResult(undefined);
    const { people: rows, parseErrors } = parseRoster(csv);
    if (parseErrors.length) return setError(new ApiFailure(0, 'csv_unreadable', parseErrors.join('; ')));
    try {
      setResult(await call(client.PUT('/v1/people', { body: { people: rows } })));
      await qc.invalidateQueries({ queryKey: ['people'] });
      await qc.invalidateQueries({ queryKey: ['checks'] });
    } catch (e) {
      setError(e);
    }
  };
  const onFile = async (e: React.ChangeEvent<HTMLInputElement>) => {
    const file = e.target.files?.[0];
    if (file) await upload(await file.text());
  };
  const addLink = async (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const f = new FormData(e.currentTarget);
    setError(undefined);
    try {
      // The PUT is an upsert by ARN: only the new link is sent (never the page on screen, which is not
      // all of them).
      const next = { iamUserArn: String(f.get('arn')).trim(), personEmail: String(f.get('email')).trim() };
      await call(client.PUT('/v1/identity-links', { body: { links: [next] } }));
      await qc.invalidateQueries({ queryKey: ['identity-links'] });
    } catch (err) {
      setError(err);
    }
  };
  const perRow = rowErrors(error);
  return (
    <>
      <h1>Roster</h1>
      <section className="card" aria-labelledby="upload-title">
        <h2 id="upload-title">Upload people</h2>
        <p className="help">
          CSV with a header row <code>email,name,status,offboardedAt</code>; status is <code>active</code> or{' '}
          <code>offboarded</code> (with the date, YYYY-MM-DD). People in the file are created or updated; the
          checks are evaluated again.
        </p>
        <label htmlFor="roster-file">CSV file</label>
        <input id="roster-file" type="file" accept=".csv,text/csv" onChange={onFile} />
        <label htmlFor="roster-paste">Or paste CSV</label>
        <textarea id="roster-paste" ref={text} rows={6} spellCheck={false} />
        <button type="button" onClick={() => upload(text.current?.value ?? '')}>
          Upload pasted CSV
        </button>
        {result && (
          <p className="notice" role="status" data-testid="roster-result">
            {result.created} created, {result.updated} updated, {result.unchanged} unchanged;{' '}
            {Array.isArray(result.evaluationsQueued)
              ? result.evaluationsQueued.length
              : result.evaluationsQueued}{' '}
            re-evaluations queued.
          </p>
        )}
        <ErrorBox error={error} />
        {perRow.length > 0 && (
          <table aria-label="Rows with errors">
            <thead>
              <tr>
                <th scope="col">CSV row</th>
                <th scope="col">Field</th>
                <th scope="col">Problem</th>
              </tr>
            </thead>
            <tbody>
              {perRow.map((r) => (
                <tr key={`${r.row}${r.field}`}>
                  <td>{r.row}</td>
                  <td>{r.field}</td>
                  <td>{r.message}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
      <section className="card" aria-labelledby="people-title">
        <h2 id="people-title">People</h2>
        {people.isPending && <Loading what="people" />}
        <ErrorBox error={people.error} />
        <table>
          <thead>
            <tr>
              <th scope="col">Email</th>
              <th scope="col">Name</th>
              <th scope="col">Status</th>
              <th scope="col">Offboarded</th>
            </tr>
          </thead>
          <tbody>
            {people.data?.people.map((p) => (
              <tr key={p.email}>
                <td>{p.email}</td>
                <td>{p.name ?? ''}</td>
                <td>
                  <Status status={p.status} />
                </td>
                <td>{p.offboardedAt ?? ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
        <Pager what="people" keyset={people} />
      </section>
      <section className="card" aria-labelledby="links-title">
        <h2 id="links-title">Identity links</h2>
        <p className="help">Tie an IAM user to a person when their names do not match the roster's email.</p>
        {links.isPending && <Loading what="identity links" />}
        <ErrorBox error={links.error} />
        <ul>
          {links.data?.links.map((l) => (
            <li key={l.iamUserArn}>
              <code>{l.iamUserArn}</code> → {l.personEmail}
            </li>
          ))}
        </ul>
        <Pager what="identity links" keyset={links} />
        <form onSubmit={addLink} className="row">
          <label htmlFor="link-arn">IAM user ARN</label>
          <input id="link-arn" name="arn" required />
          <label htmlFor="link-email">Person's email</label>
          <input id="link-email" name="email" type="email" required />
          <button type="submit">Add link</button>
        </form>
      </section>
    </>
  );
}
