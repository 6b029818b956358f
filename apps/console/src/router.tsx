/** A small History-API router over PAGES (pages.mjs): enough for a dozen pages, no dependency. */
import { type AnchorHTMLAttributes, type MouseEvent, useEffect, useSyncExternalStore } from 'react';
import { PAGES } from './pages.mjs';

export const BASE = '/console';
const listeners = new Set<() => void>();
const subscribe = (l: () => void) => {
  listeners.add(l);
  window.addEventListener('popstate', l);
  return () => {
    listeners.delete(l);
    window.removeEventListener('popstate', l);
  };
};
const snapshot = () => window.location.pathname + window.location.search;

export function navigate(to: string, options: { replace?: boolean } = {}): void {
  const url = to.startsWith(BASE) ? to : `${BASE}${to}`;
  if (options.replace) window.history.replaceState(null, '', url);
  else window.history.pushState(null, '', url);
  for (const l of listeners) l();
  window.scrollTo(0, 0);
}

export interface Route {
  page: string | undefined;
  params: Record<string, string>;
  path: string;
  query: URLSearchParams;
}

function match(path: string): { page: string; params: Record<string, string> } | undefined {
  const segs = path.split('/').filter(Boolean);
  for (const page of PAGES) {
    const want = page.split('/').filter(Boolean);
    if (want.length !== segs.length) continue;
    const params: Record<string, string> = {};
    const ok = want.every((w, i) => {
      if (!w.startsWith(':')) return w === segs[i];
      params[w.slice(1)] = decodeURIComponent(segs[i]!);
      return true;
    });
    if (ok) return { page, params };
  }
  return undefined;
}

export function useRoute(): Route {
  const full = useSyncExternalStore(subscribe, snapshot);
  const url = new URL(full, window.location.origin);
  const path = url.pathname.slice(BASE.length) || '/';
  const m = match(path);
  return { page: m?.page, params: m?.params ?? {}, path, query: url.searchParams };
}

/** The current page's path below /console with its query: what sign-in sends the person back to. */
export const currentLocation = () => snapshot().slice(BASE.length) || '/';

export function Link({ to, ...rest }: AnchorHTMLAttributes<HTMLAnchorElement> & { to: string }) {
  const onClick = (e: MouseEvent<HTMLAnchorElement>) => {
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    navigate(to);
  };
  return <a href={`${BASE}${to}`} onClick={onClick} {...rest} />;
}

/** Sets the document title (what a screen reader announces first on a new page). */
export function useTitle(title: string): void {
  useEffect(() => {
    document.title = `${title} · CodeCommit Evidence`;
  }, [title]);
}
