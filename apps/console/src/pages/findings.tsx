/**
 * One check's findings: reason, the deciding evidence and how to fix; filter by status, search by
 * repository or user. Pages of 200 come through the API's cursor, so 10,000 findings never load at
 * once; the search is the API's (`?search=`, in SQL over every finding of the run), sent once typing
 * pauses, kept in the page's URL (`?q=`) and paged like the unfiltered list.
 */
import { useInfiniteQuery } from '@tanstack/react-query';
import { useEffect, useMemo, useState } from 'react';
import { call, client } from '../api/client';
import type { Finding } from '../api/views';
import { navigate, useRoute } from '../router';
import { Code, ErrorBox, Loading, pretty, Status } from '../ui';
import { ConnectionHeader } from './checks';

const STATUSES = ['fail', 'unknown', 'pass', 'not_applicable'] as const;
type FindingStatus = (typeof STATUSES)[number];
const SEARCH_DEBOUNCE_MS = 300;

export function FindingsPage({ id, checkId }: { id: string; checkId: string }) {
  const route = useRoute();
  const status = (route.query.get('status') ?? '') as FindingStatus | '';
  const checkRunId = route.query.get('checkRunId');
  const query = route.query.get('q') ?? '';
  const [search, setSearch] = useState(query);
  const needle = query.trim();
  const replaceQuery = (key: string, value: string) => {
    const q = new URLSearchParams(route.query);
    if (value) q.set(key, value);
    else q.delete(key);
    navigate(`/connections/${id}/checks/${checkId}${q.size ? `?${q}` : ''}`, { replace: true });
  };
  // The URL (and so the API) follows the box once typing pauses, not on every key.
  // biome-ignore lint/correctness/useExhaustiveDependencies: replaceQuery reads the route of this render
  useEffect(() => {
    if (search === query) return;
    const timer = setTimeout(() => replaceQuery('q', search), SEARCH_DEBOUNCE_MS);
    return () => clearTimeout(timer);
  }, [search, query]);
  // Back and forward change the URL's query: the box shows it.
  useEffect(() => setSearch(query), [query]);
  const pages = useInfiniteQuery({
    queryKey: ['findings', id, checkId, status, checkRunId, needle],
    initialPageParam: undefined as string | undefined,
    queryFn: ({ pageParam }) =>
      call(
        client.GET('/v1/connections/{id}/checks/{checkId}', {
          params: {
            path: { id, checkId },
            query: {
              limit: 200,
              ...(status ? { status } : {}),
              ...(needle ? { search: needle } : {}),
              ...(pageParam ? { cursor: pageParam } : {}),
              ...(checkRunId ? { checkRunId: Number(checkRunId) } : {}),
            },
          },
        }),
      ),
    getNextPageParam: (last) => last.nextCursor ?? undefined,
  });
  const first = pages.data?.pages[0];
  const shown = useMemo(() => pages.data?.pages.flatMap((p) => p.findings) ?? [], [pages.data]);
  const setStatus = (s: string) => replaceQuery('status', s);
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
        <input
          id="finding-search"
          type="search"
          maxLength={200}
          value={search}
          onChange={(e) => setSearch(e.target.value)}
        />
      </div>
      {pages.isPending && <Loading what="findings" />}
      <ErrorBox error={pages.error} />
      {pages.data && (
        <p className="meta" role="status">
          {shown.length} {needle ? `matching “${needle}” ` : ''}loaded
          {pages.hasNextPage ? ' (more to load)' : ''}
        </p>
      )}
      <ul className="findings">
        {shown.map((f) => (
          <FindingItem key={f.id} finding={f} howToFix={first?.check.howToFix} />
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

/**
 * One finding: its evidence and fix are rendered when it is opened, not for each of the hundreds
 * listed (on the 1,000-repository account a page's pretty-printed evidence and fixes were most of
 * what the page rendered).
 */
function FindingItem({ finding: f, howToFix }: { finding: Finding; howToFix: unknown }) {
  const [open, setOpen] = useState(false);
  return (
    <li className={`finding finding-${f.status}`}>
      <details onToggle={(e) => setOpen(e.currentTarget.open)}>
        <summary>
          <Status status={f.status} /> <strong>{f.resourceName}</strong>{' '}
          <span className="help">{f.resourceType}</span> — {f.reason}
        </summary>
        {open && (
          <>
            <h3>Evidence that decided it</h3>
            <Code label={`Evidence for ${f.resourceName}`} text={pretty(f.evidence)} />
            {f.status !== 'pass' && howToFix !== undefined && (
              <>
                <h3>How to fix</h3>
                <Code label="How to fix" className="fix" text={pretty(howToFix)} />
              </>
            )}
          </>
        )}
      </details>
    </li>
  );
}
