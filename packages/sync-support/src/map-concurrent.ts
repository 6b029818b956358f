import pMap from 'p-map';

/**
 * Maps with at most `limit` calls in flight, results in input order (p-map). The per-account rate
 * limiter gates each AWS request anyway; this bound keeps a 2,000-user account (or a repository with
 * thousands of pull requests) from queueing thousands of promises and sockets at once.
 *
 * The first failure stops new calls and is rethrown once the calls already in flight have settled:
 * p-map rejects at once and leaves them running, and a sync job must not report failure (and let
 * BullMQ retry it, or the transaction around it end) while its own calls still write evidence.
 */
export async function mapConcurrent<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const inFlight = new Set<Promise<R>>();
  try {
    return await pMap(
      items,
      (item, index) => {
        const call = fn(item, index);
        inFlight.add(call);
        call.then(
          () => inFlight.delete(call),
          () => inFlight.delete(call),
        );
        return call;
      },
      { concurrency: Math.max(1, limit) },
    );
  } catch (error) {
    await Promise.allSettled(inFlight);
    throw error;
  }
}
