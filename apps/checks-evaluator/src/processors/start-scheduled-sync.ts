import {
  createOrGetActiveSyncRun,
  type Database,
  getConnectionById,
} from '@codecommit-evidence/evidence-store';
import { addSyncRunFlow, type StartScheduledSyncPayload } from '@codecommit-evidence/queues';
import type { FlowProducer } from 'bullmq';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';

export interface StartScheduledSyncDeps {
  db: Kysely<Database>;
  flowProducer: FlowProducer;
  log: Logger;
  now?: () => Date;
}

export type StartScheduledSyncResult =
  | { started: true; runId: number }
  | { started: false; runId: number; reason: 'sync_already_active' }
  | { started: false; reason: 'connection_not_found' | 'connection_not_active'; status?: string };

/**
 * `start-scheduled-sync`, produced by a connection's job scheduler: starts a sync run and its flow,
 * unless the connection is not active (pending, in error, deleted: the schedule outlives it until the
 * API removes it) or a run is already queued or running.
 */
export async function startScheduledSync(
  payload: StartScheduledSyncPayload,
  deps: StartScheduledSyncDeps,
): Promise<StartScheduledSyncResult> {
  const connection = await getConnectionById(deps.db, payload.connectionId);
  if (!connection) {
    deps.log.warn(
      { connectionId: payload.connectionId },
      'scheduled sync for a connection that does not exist',
    );
    return { started: false, reason: 'connection_not_found' };
  }
  if (connection.status !== 'active') {
    deps.log.info({ connectionId: connection.id, status: connection.status }, 'skipping scheduled sync');
    return { started: false, reason: 'connection_not_active', status: connection.status };
  }
  const { run, created } = await createOrGetActiveSyncRun(deps.db, connection.id, 'schedule', {
    now: (deps.now ?? (() => new Date()))(),
  });
  // A run still queued may be ours from an attempt that died between creating the run and adding its
  // flow: adding the flow again is safe (its job ids derive from the run, so BullMQ adds nothing twice).
  if (created || run.status === 'queued') {
    await addSyncRunFlow(deps.flowProducer, { connectionId: connection.id, runId: run.id });
  }
  if (!created) {
    deps.log.info(
      { connectionId: connection.id, runId: run.id, status: run.status },
      'a sync run is already active',
    );
    return { started: false, runId: run.id, reason: 'sync_already_active' };
  }
  deps.log.info({ connectionId: connection.id, runId: run.id }, 'scheduled sync started');
  return { started: true, runId: run.id };
}
