/**
 * Prometheus metrics of one server instance, in its own registry (so several servers in one test
 * process do not collide): default process metrics, HTTP requests by route pattern and status (the
 * pattern, never the raw URL, so ids and junk paths cannot explode the label set), connects by outcome.
 */

import { Counter, collectDefaultMetrics, Histogram, Registry } from 'prom-client';

export interface ApiMetrics {
  registry: Registry;
  httpRequests: Counter<'method' | 'route' | 'status'>;
  httpDuration: Histogram<'method' | 'route' | 'status'>;
  connects: Counter<'outcome'>;
}

export function createMetrics(): ApiMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    httpRequests: new Counter({
      name: 'cce_http_requests_total',
      help: 'HTTP requests by method, route pattern and status code',
      labelNames: ['method', 'route', 'status'],
      registers: [registry],
    }),
    httpDuration: new Histogram({
      name: 'cce_http_request_duration_seconds',
      help: 'HTTP request duration by method, route pattern and status code',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    connects: new Counter({
      name: 'cce_connect_attempts_total',
      help: 'Connect attempts by outcome (connected, or the error code)',
      labelNames: ['outcome'],
      registers: [registry],
    }),
  };
}
