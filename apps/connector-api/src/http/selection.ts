/** Which sync run or check run a read is about: the latest, or one picked by id or by date. */

import {
  type CheckRun,
  type Database,
  getCheckRun,
  getCheckRunAt,
  getLatestCheckRun,
  getLatestCheckRunOfSyncRun,
  getLatestFinishedRun,
  getSyncRun,
  type SyncRun,
} from '@codecommit-evidence/evidence-store';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import { ApiError } from '../errors.js';
import { DayOrInstant, Instant } from '../schemas.js';

export const positiveId = z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER);

/** `?checkRunId=`, `?runId=` (a sync run's latest evaluation) or `?at=`; none: the latest check run. */
export const CheckRunSelector = {
  checkRunId: positiveId.optional().describe('a check run by id'),
  runId: positiveId.optional().describe('a sync run: its latest evaluation'),
  at: DayOrInstant.optional().describe('the last check run evaluated at or before this instant'),
};

export function onlyOneSelector(
  q: { checkRunId?: number | undefined; runId?: number | undefined; at?: Date | undefined },
  ctx: z.RefinementCtx,
): void {
  const given = (['checkRunId', 'runId', 'at'] as const).filter((k) => q[k] !== undefined);
  if (given.length > 1)
    ctx.addIssue({
      code: 'custom',
      path: [given[1] as string],
      message: `give only one of ${given.join(', ')}`,
    });
}

/** `?runId=` of an evidence read; none: the latest finished (succeeded or partial) sync run. */
export const SyncRunSelector = {
  runId: positiveId.optional().describe('a sync run; default: the latest finished one'),
};

/** For views that join the roster: which roster to use, so a past review can be reproduced. */
export const RosterSelector = {
  rosterAsOf: Instant.optional().describe(
    'the roster and identity links as they were at this instant (ISO 8601); default: now',
  ),
};

const notFound = (message: string, details: Record<string, unknown> = {}) =>
  new ApiError(404, 'not_found', message, details);

export async function resolveCheckRun(
  db: Kysely<Database>,
  connectionId: string,
  q: { checkRunId?: number | undefined; runId?: number | undefined; at?: Date | undefined },
): Promise<CheckRun> {
  if (q.checkRunId !== undefined) {
    const run = await getCheckRun(db, connectionId, q.checkRunId);
    if (!run) throw notFound('No such check run.', { checkRunId: q.checkRunId });
    return run;
  }
  if (q.runId !== undefined) {
    const run = await getLatestCheckRunOfSyncRun(db, connectionId, q.runId);
    if (!run) throw notFound('No check run for that sync run.', { runId: q.runId });
    return run;
  }
  if (q.at !== undefined) {
    const run = await getCheckRunAt(db, connectionId, q.at);
    if (!run)
      throw notFound('No check run was evaluated at or before that instant.', { at: q.at.toISOString() });
    return run;
  }
  const latest = await getLatestCheckRun(db, connectionId);
  if (!latest)
    throw notFound(
      'The checks of this connection have not been evaluated yet; they run after its first sync.',
      { reason: 'no_check_run' },
    );
  return latest;
}

export async function resolveSyncRun(
  db: Kysely<Database>,
  connectionId: string,
  runId: number | undefined,
): Promise<SyncRun> {
  if (runId !== undefined) {
    const run = await getSyncRun(db, runId);
    if (!run || run.connection_id !== connectionId) throw notFound('No such sync run.', { runId });
    if (run.status === 'queued' || run.status === 'running')
      throw notFound('That sync run has not finished; its evidence is not complete yet.', {
        runId,
        status: run.status,
      });
    return run;
  }
  const latest = await getLatestFinishedRun(db, connectionId);
  if (!latest)
    throw notFound('No sync run of this connection has finished yet.', { reason: 'no_finished_sync_run' });
  return latest;
}
