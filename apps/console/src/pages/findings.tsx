/**
 * One check's findings: reason, the deciding evidence and how to fix; filter by status, search by
 * repository or user. Pages of 200 come through the API's cursor, so 10,000 findings never load at
 * once; the search box asks nothing of the API and searches the findings loaded so far.
 */
import { useInfiniteQuery } from '@tanstack/react-query';
import { useMemo, useState } from 'react';
import { call, client } from '../api/client';
import type { Check, CheckRun, Finding } from '../api/views';
import { navigate, useRoute } from '../router';
import { Code, ErrorBox, Loading, pretty, Status } from '../ui';
import { ConnectionHeader } from './checks';

const STATUSES = ['fail', 'unknown', 'pass', 'not_applicable'] as const;
type FindingStatus = (typeof STATUSES)[number];

export function FindingsPage({ id, checkId }: { id: string; checkId: string }) {
  const route = useRoute();
  const status = (route.query.get('status') ?? '') as FindingStatus | '';
  const checkRunId = route.query.get('checkRunId');
  const [search, setSearch] = useState('');
  const pages = useInfiniteQuery({
    queryKey: ['findings', id, checkId, status, checkRunId],
    initialPageParam: undefined as string | undefined,
    queryFn: ({ pageParam }) =>
      call<{ checkRun: CheckRun; check: Check; findings: Finding[]; nextCursor: string | null }>(
        client.GET('/v1/connections/{id}/checks/{checkId}', {
          params: {
            path: { id, checkId },
            query: {
              limit: 200,
              ...(status ? { status } : {}),
              ...(pageParam ? { cursor: pageParam } : {}),
              ...(checkRunId ? { checkRunId: Number(checkRunId) } : {}),
            },
          },
        }),
      ),
    getNextPageParam: (last) => last.nextCursor ?? undefined,
  });
  const first = pages.data?.pages[0];
  const all = useMemo(() => pages.data?.pages.flatMap((p) => p.findings) ?? [], [pages.data]);
  const needle = search.trim().toLowerCase();
  const shown = needle
    ? all.filter((f) => `${f.resourceName} ${f.resourceId}`.toLowerCase().includes(needle))
    : all;
  const setStatus = (s: string) => {
    const q = new URLSearchParams(route.query);
    if (s) q.set('status', s);
    else q.delete('status');
    navigate(`/connections/${id}/checks/${checkId}${q.size ? `?${q}` : ''}`, { replace: true });
  };
  return (
    <>
      <ConnectionHeader id={id} title={first?.check.title ?? 'Findings'} />
      {first && (
        <section className="card" aria-label="How to fix">
          <p>
            <Status status={first.check.status} /> {first.check.description}
          </p>
          <h2>How to fix</h2>
          <Code label="How to fix" className="fix" text={pretty(first.check.howToFix)} />
        </section>
      )}
      <div className="filters">
        <label htmlFor="status-filter">Status</label>
        <select id="status-filter" value={status} onChange={(e) => setStatus(e.target.value)}>
          <option value="">all</option>
          {STATUSES.map((s) => (
            <option key={s} value={s}>
              {s.replace('_', ' ')}
            </option>
          ))}
        </select>
        <label htmlFor="finding-search">Search repository or user</label>
        <input id="finding-search" type="search" value={search} onChange={(e) => setSearch(e.target.value)} />
      </div>
      {pages.isPending && <Loading what="findings" />}
      <ErrorBox error={pages.error} />
      {pages.data && (
        <p className="meta" role="status">
          {shown.length} shown of {all.length} loaded{pages.hasNextPage ? ' (more to load)' : ''}
        </p>
      )}
      <ul className="findings">
        {shown.map((f) => (
          <li key={f.id} className={`finding finding-${f.status}`}>
            <details>
              <summary>
                <Status status={f.status} /> <strong>{f.resourceName}</strong>{' '}
                <span className="help">{f.resourceType}</span> — {f.reason}
              </summary>
              <h3>Evidence that decided it</h3>
              <Code label={`Evidence for ${f.resourceName}`} text={pretty(f.evidence)} />
              {f.status !== 'pass' && first && (
                <>
                  <h3>How to fix</h3>
                  <Code label="How to fix" className="fix" text={pretty(first.check.howToFix)} />
                </>
              )}
            </details>
          </li>
        ))}
      </ul>
      {pages.hasNextPage && (
        <button type="button" onClick={() => pages.fetchNextPage()} disabled={pages.isFetchingNextPage}>
          {pages.isFetchingNextPage ? 'Loading…' : 'Load 200 more'}
        </button>
      )}
    </>
  );
}
