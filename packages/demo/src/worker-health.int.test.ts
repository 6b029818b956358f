import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { QUEUES } from '@codecommit-evidence/queues';
import { useTestDatabase } from '@codecommit-evidence/testing';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { connectDemoAccount, followSyncRun, waitForCheckRun } from './journey.js';
import { type Stack, startStack, WORKERS } from './stack.js';

/** A metric's value from a Prometheus text page (the sum of every series with these labels). */
function metricValue(page: string, metric: string, labels: Record<string, string>): number {
  let sum = 0;
  for (const line of page.split('\n')) {
    if (!line.startsWith(`${metric}{`)) continue;
    const set = line.slice(metric.length + 1, line.indexOf('}'));
    if (Object.entries(labels).every(([k, v]) => set.includes(`${k}="${v}"`)))
      sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

/**
 * The workers as production runs them (`node dist/index.js`): each answers its probes on its own
 * HEALTH_PORT, and after a real sync run its metrics show the jobs it ran and the AWS calls it made.
 */
describe("the workers' health and metrics servers", () => {
  const t = useTestDatabase();
  let stack: Stack | undefined;
  afterAll(async () => {
    await stack?.stopAll();
  });

  it('answer /healthz and /readyz, and count jobs, AWS calls and queue depth through a sync run', async () => {
    stack = await startStack({
      databaseUrl: t.current.url,
      redisUrl: inject('redisUrl'),
      logDir: mkdtempSync(path.join(tmpdir(), 'cce-health-')),
    });
    for (const w of WORKERS) {
      const base = stack.healthUrls[w];
      expect((await fetch(`${base}/healthz`)).status, w).toBe(200);
      const ready = await fetch(`${base}/readyz`);
      expect(await ready.json(), w).toEqual({ status: 'ok' });
      expect((await fetch(`${base}/nothing`)).status, w).toBe(404);
    }

    const { api, connectionId, runId, rosterAt } = await connectDemoAccount(stack, {
      tenant: 'health',
      connection: 'c',
    });
    const run = await followSyncRun(api, connectionId, runId, () => {});
    expect(run.status).toBe('succeeded');
    await waitForCheckRun(api, connectionId, runId, rosterAt);

    const metrics = async (w: (typeof WORKERS)[number]) => {
      const res = await fetch(`${stack!.healthUrls[w]}/metrics`);
      expect(res.headers.get('content-type')).toContain('text/plain');
      return res.text();
    };
    const repo = await metrics('repo-sync');
    expect(
      metricValue(repo, 'cce_jobs_completed_total', { queue: QUEUES.repoSync, job: 'sync-repositories' }),
    ).toBe(1);
    expect(
      metricValue(repo, 'cce_jobs_completed_total', { queue: QUEUES.repoSync, job: 'sync-repository' }),
    ).toBeGreaterThan(0);
    expect(
      metricValue(repo, 'cce_aws_calls_total', { operation: 'codecommit:ListRepositories' }),
    ).toBeGreaterThan(0);
    expect(metricValue(repo, 'cce_aws_calls_total', { operation: 'sts:AssumeRole' })).toBeGreaterThan(0);
    expect(repo).toMatch(/^cce_queue_jobs\{queue="repo-sync",state="wait"\} 0$/m);
    expect(repo).toMatch(/^cce_rate_limit_waits_total \d+$/m);
    const iam = await metrics('iam-sync');
    expect(metricValue(iam, 'cce_jobs_completed_total', { queue: QUEUES.iamSync, job: 'sync-iam' })).toBe(1);
    expect(
      metricValue(iam, 'cce_aws_calls_total', { operation: 'iam:GetAccountAuthorizationDetails' }),
    ).toBeGreaterThan(0);
    const checks = await metrics('checks-evaluator');
    expect(
      metricValue(checks, 'cce_jobs_completed_total', { queue: QUEUES.checks, job: 'evaluate-checks' }),
    ).toBe(1);
    expect(
      metricValue(checks, 'cce_job_duration_seconds_count', { queue: QUEUES.checks, job: 'evaluate-checks' }),
    ).toBe(1);
    // The evaluator never calls AWS.
    expect(checks).not.toMatch(/^cce_aws_calls_total\{/m);
  });
});
