/**
 * Prometheus metrics of one worker process, in a registry of its own (several workers in one test
 * process must not collide): default process metrics, jobs by queue and job name, AWS calls by
 * operation, the per-account rate limiter's waits, and the depth of the worker's queue read at scrape
 * time. Labels are bounded sets: queue and job names come from the catalog, operations from the SDK
 * command names; never ids.
 */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** What the AWS call counter reports (the events of aws-clients' call-counting middleware). */
export type AwsCallEvent = 'call' | 'attempt' | 'throttled' | 'failed';

/** Cumulative totals of a rate limiter since the process started (aws-clients' `metrics()`). */
export interface RateLimiterTotals {
  permits: number;
  waits: number;
  waitedMs: number;
  timeouts: number;
}

export interface WorkerMetrics {
  registry: Registry;
  /** One finished job: `outcome` failed includes attempts that will be retried. */
  recordJob(
    queue: string,
    job: string,
    outcome: 'completed' | 'failed',
    durationSeconds: number | undefined,
  ): void;
  recordAwsCall(operation: string, event?: AwsCallEvent): void;
  /** Reads the limiter's totals at each scrape. */
  observeRateLimiter(totals: () => RateLimiterTotals): void;
  /** Reads the queue's job counts by state at each scrape (`{wait: 3, delayed: 1, …}`). */
  observeQueueDepth(queue: string, counts: () => Promise<Record<string, number>>): void;
}

export function createWorkerMetrics(): WorkerMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const registers = [registry];

  const jobsCompleted = new Counter({
    name: 'cce_jobs_completed_total',
    help: 'Jobs completed by queue and job name',
    labelNames: ['queue', 'job'],
    registers,
  });
  const jobsFailed = new Counter({
    name: 'cce_jobs_failed_total',
    help: 'Job attempts failed by queue and job name (retried attempts included)',
    labelNames: ['queue', 'job'],
    registers,
  });
  const jobDuration = new Histogram({
    name: 'cce_job_duration_seconds',
    help: 'Job processing time by queue, job name and outcome',
    labelNames: ['queue', 'job', 'outcome'],
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600],
    registers,
  });
  const aws = {
    call: new Counter({
      name: 'cce_aws_calls_total',
      help: 'AWS API calls by operation (one per logical call, retries not counted)',
      labelNames: ['operation'],
      registers,
    }),
    attempt: new Counter({
      name: 'cce_aws_attempts_total',
      help: 'AWS HTTP attempts by operation (retries included)',
      labelNames: ['operation'],
      registers,
    }),
    throttled: new Counter({
      name: 'cce_aws_throttled_total',
      help: 'AWS attempts answered with a throttling error, by operation',
      labelNames: ['operation'],
      registers,
    }),
    failed: new Counter({
      name: 'cce_aws_call_failures_total',
      help: 'AWS calls that failed for good (after retries), by operation',
      labelNames: ['operation'],
      registers,
    }),
  } satisfies Record<AwsCallEvent, Counter<'operation'>>;

  const limiterSources: (() => RateLimiterTotals)[] = [];
  const sumLimiters = (key: keyof RateLimiterTotals) =>
    limiterSources.reduce((sum, totals) => sum + totals()[key], 0);
  // Counters fed from cumulative totals: each scrape adds what grew since the previous one.
  const fromTotals = (name: string, help: string, key: keyof RateLimiterTotals, scale = 1) => {
    let seen = 0;
    new Counter({
      name,
      help,
      registers,
      collect() {
        const now = sumLimiters(key);
        if (now > seen) this.inc((now - seen) * scale);
        seen = now;
      },
    });
  };
  fromTotals(
    'cce_rate_limit_waits_total',
    'AWS requests that waited for the per-account rate or concurrency limit',
    'waits',
  );
  fromTotals(
    'cce_rate_limit_wait_seconds_total',
    'Time AWS requests spent waiting for the per-account limits',
    'waitedMs',
    1 / 1000,
  );
  fromTotals(
    'cce_rate_limit_timeouts_total',
    'AWS requests that gave up waiting for the per-account limits',
    'timeouts',
  );

  const depthSources = new Map<string, () => Promise<Record<string, number>>>();
  new Gauge({
    name: 'cce_queue_jobs',
    help: 'Jobs in the queue by state (wait is what KEDA scales on), read at scrape time',
    labelNames: ['queue', 'state'],
    registers,
    async collect() {
      this.reset();
      for (const [queue, counts] of depthSources) {
        // A Redis that does not answer must not fail the whole scrape: the series is absent instead.
        const byState = await counts().catch(() => undefined);
        for (const [state, n] of Object.entries(byState ?? {})) this.set({ queue, state }, n);
      }
    },
  });

  return {
    registry,
    recordJob(queue, job, outcome, durationSeconds) {
      (outcome === 'completed' ? jobsCompleted : jobsFailed).inc({ queue, job });
      if (durationSeconds !== undefined && durationSeconds >= 0)
        jobDuration.observe({ queue, job, outcome }, durationSeconds);
    },
    recordAwsCall(operation, event = 'call') {
      aws[event].inc({ operation });
    },
    observeRateLimiter(totals) {
      limiterSources.push(totals);
    },
    observeQueueDepth(queue, counts) {
      depthSources.set(queue, counts);
    },
  };
}
