import { createRunAccessCache, type RunAccessCache } from '@codecommit-evidence/evidence-views';
import type { AppContext } from '../context.js';

const caches = new WeakMap<AppContext, RunAccessCache>();

/**
 * One cache of runs' effective access per server: computing it evaluates every principal's policies
 * against every repository (seconds for a thousand repositories and a few hundred principals), while a
 * finished run's evidence never changes; paging through the IAM users or exporting the review again
 * reuses it. The roster is joined per request.
 */
export function runAccessCache(ctx: AppContext): RunAccessCache {
  let cache = caches.get(ctx);
  if (!cache) {
    cache = createRunAccessCache(8);
    caches.set(ctx, cache);
  }
  return cache;
}
