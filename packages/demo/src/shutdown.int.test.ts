import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { useTestDatabase } from '@codecommit-evidence/testing';
import { sql } from 'kysely';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { connectDemoAccount, findingKey, followSyncRun, listFindings, waitForCheckRun } from './journey.js';
import { repoRoot, type Stack, sleep, startStack } from './stack.js';

/**
 * Stopping a worker with SIGTERM in the middle of a sync run: it finishes (or hands back) its active
 * job and exits; the run completes once a worker is back, with the same results and no duplicate rows.
 */
describe('a worker stopped with SIGTERM mid-run', () => {
  const t = useTestDatabase();
  let stack: Stack | undefined;
  afterAll(async () => {
    await stack?.stopAll();
  });

  it('exits cleanly, and the run completes when it comes back', async () => {
    stack = await startStack({
      databaseUrl: t.current.url,
      redisUrl: inject('redisUrl'),
      logDir: mkdtempSync(path.join(tmpdir(), 'cce-sigterm-')),
      // Slow AWS answers keep the run going long enough to stop a worker in the middle of it.
      fakeAwsArgs: ['--latency-ms', '120'],
      env: { REPO_SYNC_CONCURRENCY: '1' },
    });
    const { api, connectionId, runId, rosterAt } = await connectDemoAccount(stack, {
      tenant: 'sigterm',
      connection: 'c',
    });
    expect(runId).toBeGreaterThan(0);

    // Wait until repo-sync is inside the run (some per-repository step started), then stop it.
    for (const until = Date.now() + 60_000; ; ) {
      const run = await api('GET', `/v1/connections/${connectionId}/syncs/${runId}`);
      const steps = Object.keys((run.syncRun ?? run).steps ?? {});
      if (steps.some((s) => s.startsWith('codecommit:'))) break;
      if (Date.now() > until) throw new Error('repo-sync never started the run');
      await sleep(100);
    }
    const exit = await stack.stop('repo-sync', 'SIGTERM');
    // 143 = 128 + SIGTERM: the shutdown ran to its end (a crash or a timeout would exit otherwise).
    expect(exit).toBe(143);
    const log = readFileSync(stack.logOf('repo-sync'), 'utf8');
    expect(log).toContain('shutdown complete');

    await sleep(500);
    const meanwhile = await api('GET', `/v1/connections/${connectionId}/syncs/${runId}`);
    expect((meanwhile.syncRun ?? meanwhile).status).toBe('running');

    await stack.start('repo-sync');
    const done = await followSyncRun(api, connectionId, runId, () => {});
    expect(done.status).toBe('succeeded');
    const { checkRun } = await waitForCheckRun(api, connectionId, runId, rosterAt);
    const expected = JSON.parse(readFileSync(path.join(repoRoot, 'scenarios/demo.expected.json'), 'utf8'));
    for (const [checkId, want] of Object.entries<{ findings: Record<string, string> }>(expected.checks)) {
      const findings = await listFindings(api, connectionId, checkId, checkRun.id);
      expect(Object.fromEntries(findings.map((f) => [findingKey(f), f.status])), checkId).toEqual(
        want.findings,
      );
    }
    // No resource has two open versions, and no version was written twice by the re-run job.
    for (const table of ['repositories', 'branches', 'pull_requests', 'pull_request_approvals']) {
      const dup = await sql<{ n: number }>`select count(*)::int as n from (select 1 from ${sql.table(table)}
        group by connection_id, content_hash, valid_from_run having count(*) > 1) d`.execute(t.current.db);
      expect(dup.rows[0]!.n, table).toBe(0);
    }
  });
});
