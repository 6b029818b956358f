/**
 * Paging over the API's keyset cursors (`?cursor=` = the previous page's `nextCursor`), one page on
 * screen at a time: the cursors that led to the page are kept, so Previous goes back without offsets
 * the API does not have. Used by every list that can outgrow a page (evidence, roster).
 */
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { useRoute } from './router';

/** Rows per page: the page's `?pageSize=` (1–500, what the API takes), else the list's own default. */
export function usePageSize(fallback: number): number {
  const raw = Number(useRoute().query.get('pageSize'));
  return Number.isInteger(raw) && raw >= 1 && raw <= 500 ? raw : fallback;
}

export interface Keyset<T> {
  data: T | undefined;
  error: unknown;
  isPending: boolean;
  /** 1 for the first page. */
  pageNumber: number;
  hasNext: boolean;
  next(): void;
  previous(): void;
}

/**
 * One page of a keyset-paged read. `key` names the list (with whatever selects it, e.g. the sync run):
 * when it changes, paging starts again at the first page.
 */
export function useKeyset<T extends { nextCursor?: string | null }>(
  key: readonly unknown[],
  fetchPage: (cursor: string | undefined) => Promise<T>,
): Keyset<T> {
  const name = JSON.stringify(key);
  const [trail, setTrail] = useState<{ name: string; cursors: string[] }>({ name, cursors: [] });
  const cursors = trail.name === name ? trail.cursors : [];
  const cursor = cursors.at(-1);
  const q = useQuery({
    queryKey: [...key, 'page', cursor ?? null],
    queryFn: () => fetchPage(cursor),
    // The page shown stays while the next one loads (no flash of an empty table).
    placeholderData: keepPreviousData,
  });
  const nextCursor = q.isPlaceholderData ? undefined : (q.data?.nextCursor ?? undefined);
  return {
    data: q.data,
    error: q.error,
    isPending: q.isPending,
    pageNumber: cursors.length + 1,
    hasNext: nextCursor !== undefined,
    next: () => nextCursor && setTrail({ name, cursors: [...cursors, nextCursor] }),
    previous: () => setTrail({ name, cursors: cursors.slice(0, -1) }),
  };
}

/** Previous / Next for one list, named for it so a screen reader tells the lists apart. */
export function Pager({ what, keyset }: { what: string; keyset: Keyset<unknown> }) {
  if (keyset.pageNumber === 1 && !keyset.hasNext) return null;
  return (
    <nav className="pager row" aria-label={`Pages of ${what}`}>
      <button
        type="button"
        className="secondary"
        disabled={keyset.pageNumber === 1}
        onClick={keyset.previous}
      >
        Previous {what}
      </button>
      <span className="meta" data-testid={`page-of-${what.replace(/\W+/g, '-')}`}>
        page {keyset.pageNumber}
      </span>
      <button type="button" className="secondary" disabled={!keyset.hasNext} onClick={keyset.next}>
        Next {what}
      </button>
    </nav>
  );
}
