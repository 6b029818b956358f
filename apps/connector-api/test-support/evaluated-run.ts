/**
 * A finished and evaluated sync run written straight into the store, as the sync workers and the
 * checks-evaluator would leave it (apps do not import apps): the evidence of the shared fixture, the
 * run finished, one check run appended.
 */

import { evaluateAllChecks } from '@codecommit-evidence/domain';
import { type Database, finishSyncRun, insertCheckRun } from '@codecommit-evidence/evidence-store';
import { loadCheckEvidence } from '@codecommit-evidence/evidence-views';
import { startRun, writeRunEvidence } from '@codecommit-evidence/evidence-views/test-support';
import type { Kysely } from 'kysely';

export async function writeEvaluatedRun(
  db: Kysely<Database>,
  connectionId: string,
  now: Date = new Date(),
): Promise<{ runId: number; checkRunId: number }> {
  const runId = await startRun(db, connectionId);
  await writeRunEvidence(db, { connectionId, runId }, { bobHasPolicy: true });
  await finishSyncRun(db, runId, 'succeeded');
  const loaded = await loadCheckEvidence(db, { connectionId, runId, rosterAsOf: now });
  const results = evaluateAllChecks(loaded.evidence);
  const checkRun = await insertCheckRun(db, {
    connectionId,
    syncRunId: runId,
    trigger: 'sync',
    rosterAsOf: now,
    evaluatedAt: now,
    partial: false,
    notes: [],
    results: results.map((r) => ({ ...r, findings: r.findings.map((f) => ({ ...f })) })),
  });
  return { runId, checkRunId: checkRun.id };
}
