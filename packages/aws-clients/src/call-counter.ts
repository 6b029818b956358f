/**
 * Per-operation AWS call counts (`codecommit:ListRepositories: 12`), recorded by SDK middleware so that
 * every call through a client from this package is counted, paginated or not.
 */

import type { FinalizeRequestMiddleware, InitializeMiddleware, Pluggable } from '@smithy/types';
import { classifyAwsError } from './errors.js';

/**
 * - `call`: one logical API call (what the caller asked for), counted once however many attempts it took.
 * - `attempt`: one HTTP request, retries included.
 * - `throttled`: an attempt AWS answered with a throttling error.
 * - `failed`: a logical call that failed for good (after the SDK's retries).
 */
export type CallEvent = 'call' | 'attempt' | 'throttled' | 'failed';

export interface CallStats {
  calls: Record<string, number>;
  attempts: Record<string, number>;
  throttled: Record<string, number>;
  failed: Record<string, number>;
}

export interface CallCounter {
  /** `operation` is `service:Operation`, e.g. `iam:ListUsers`. */
  record(operation: string, event?: CallEvent): void;
  /** Logical calls per operation: what a sync run stores. */
  snapshot(): Record<string, number>;
  /** Everything, by event. */
  stats(): CallStats;
  reset(): void;
}

export function createCallCounter(): CallCounter {
  let stats: CallStats = empty();
  return {
    record(operation, event = 'call') {
      const bucket = stats[bucketOf(event)];
      bucket[operation] = (bucket[operation] ?? 0) + 1;
    },
    snapshot: () => ({ ...stats.calls }),
    stats: () => ({
      calls: { ...stats.calls },
      attempts: { ...stats.attempts },
      throttled: { ...stats.throttled },
      failed: { ...stats.failed },
    }),
    reset() {
      stats = empty();
    },
  };
}

/** Sends each event to several counters: e.g. a sync run's own and the process-wide metrics. */
export function fanOutCallCounter(...counters: CallCounter[]): CallCounter {
  const first = counters[0] ?? createCallCounter();
  return {
    record: (operation, event) => {
      for (const c of counters) c.record(operation, event);
    },
    snapshot: () => first.snapshot(),
    stats: () => first.stats(),
    reset: () => {
      for (const c of counters) c.reset();
    },
  };
}

/** A counter that keeps its own totals and forwards every event to `sink` (the process's Prometheus metrics). */
export function forwardingCallCounter(sink: (operation: string, event: CallEvent) => void): CallCounter {
  const own = createCallCounter();
  return {
    ...own,
    record(operation, event = 'call') {
      own.record(operation, event);
      sink(operation, event);
    },
  };
}

function empty(): CallStats {
  return { calls: {}, attempts: {}, throttled: {}, failed: {} };
}

function bucketOf(event: CallEvent): keyof CallStats {
  switch (event) {
    case 'call':
      return 'calls';
    case 'attempt':
      return 'attempts';
    case 'throttled':
      return 'throttled';
    case 'failed':
      return 'failed';
  }
}

/** `ListRepositoriesCommand` → `codecommit:ListRepositories`. */
export function operationName(service: string, commandName: string | undefined): string {
  const op = (commandName ?? 'Unknown').replace(/Command$/, '');
  return `${service}:${op}`;
}

/**
 * Middleware that counts calls (initialize step: once per logical call) and attempts and throttled
 * answers (finalizeRequest step, placed after the SDK's retry middleware so it runs once per attempt).
 * https://aws.amazon.com/blogs/developer/middleware-stack-modular-aws-sdk-js/
 */
// biome-ignore lint/suspicious/noExplicitAny: a plugin for any client, as the SDK's own plugins are typed.
export function callCountingPlugin(service: string, counter: CallCounter): Pluggable<any, any> {
  // biome-ignore lint/suspicious/noExplicitAny: see above
  const perCall: InitializeMiddleware<any, any> = (next, context) => async (args) => {
    const op = operationName(service, context.commandName);
    counter.record(op, 'call');
    try {
      return await next(args);
    } catch (err) {
      counter.record(op, 'failed');
      throw err;
    }
  };
  // biome-ignore lint/suspicious/noExplicitAny: see above
  const perAttempt: FinalizeRequestMiddleware<any, any> = (next, context) => async (args) => {
    const op = operationName(service, context.commandName);
    counter.record(op, 'attempt');
    try {
      return await next(args);
    } catch (err) {
      if (classifyAwsError(err).code === 'throttled') counter.record(op, 'throttled');
      throw err;
    }
  };
  return {
    applyToStack(stack) {
      stack.add(perCall, { step: 'initialize', name: 'cceCallCounter', priority: 'high', override: true });
      stack.addRelativeTo(perAttempt, {
        relation: 'after',
        toMiddleware: 'retryMiddleware',
        name: 'cceAttemptCounter',
        override: true,
      });
    },
  };
}
