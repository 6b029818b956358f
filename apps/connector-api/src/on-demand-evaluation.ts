/**
 * After the roster or the identity links change, the checks are re-evaluated against the evidence
 * already collected: one `evaluate-checks` job per active connection that has a finished sync run,
 * judged against the roster as of now. Job ids include the instant, so a retried request a moment
 * later is a new evaluation, and the same instant is never queued twice.
 */

import { getLatestFinishedRun, listConnections } from '@codecommit-evidence/evidence-store';
import { enqueue, jobIds } from '@codecommit-evidence/queues';
import type { AppContext } from './context.js';

export async function enqueueOnDemandEvaluations(
  ctx: AppContext,
  tenantId: string,
): Promise<{ connectionId: string; runId: number }[]> {
  const now = ctx.now();
  const connections = (await listConnections(ctx.db, tenantId)).filter((c) => c.status === 'active');
  const queued: { connectionId: string; runId: number }[] = [];
  for (const c of connections) {
    const run = await getLatestFinishedRun(ctx.db, c.id);
    if (!run) continue;
    await enqueue(
      ctx.queues,
      'evaluate-checks',
      { connectionId: c.id, runId: run.id, trigger: 'on_demand', rosterAsOf: now.toISOString() },
      { jobId: jobIds.evaluateOnDemand(run.id, now) },
    );
    queued.push({ connectionId: c.id, runId: run.id });
  }
  return queued;
}
