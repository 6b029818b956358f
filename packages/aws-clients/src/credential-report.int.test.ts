import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CallCounter, createCallCounter } from './call-counter.js';
import { type AwsClientFactory, type ConnectionClients, createAwsClientFactory } from './clients.js';
import { parseCredentialReport, requestCredentialReport } from './credential-report.js';
import { connection, useFakeAws } from './test-support/fake.js';

// fake-aws's clock ages the report. The SDK refreshes its cached credentials by the real clock, so after
// each jump the test makes new clients (a new job would).
// While `frozen` is set the clock stands still, so "still generating" cannot turn into "ready" on a slow
// machine between two calls.
let offset = 0;
let frozen: number | undefined;
const clock = () => frozen ?? Date.now() + offset;
const fake = useFakeAws({ users: 5 }, { clock, credentialReportDelayMs: 400 });
const HOUR = 3600_000;

describe('requestCredentialReport against fake-aws', () => {
  let factory: AwsClientFactory;
  let clients: ConnectionClients;
  let counter: CallCounter;
  const fresh = () => {
    clients?.destroy();
    factory?.destroy();
    counter = createCallCounter();
    factory = createAwsClientFactory({
      endpoint: fake.current.url,
      platformCredentials: fake.current.platformCredentials,
      now: clock,
    });
    clients = factory.forConnection(connection(), { callCounter: counter });
  };
  beforeAll(fresh);
  afterAll(() => {
    clients.destroy();
    factory.destroy();
  });

  const untilReady = async (options: Parameters<typeof requestCredentialReport>[1] = {}) => {
    for (let i = 0; i < 60; i++) {
      const r = await requestCredentialReport(clients.iam, { now: clock, ...options });
      if (r.state === 'ready') return r;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    throw new Error('never ready');
  };

  it('generates when no report exists and reports in_progress while it is generated', async () => {
    frozen = clock();
    expect(await requestCredentialReport(clients.iam, { now: clock })).toEqual({
      state: 'in_progress',
      retryAfterMs: 5000,
      reason: 'not_present',
    });
    expect(await requestCredentialReport(clients.iam, { now: clock })).toMatchObject({
      state: 'in_progress',
      reason: 'generating',
    });
    frozen = undefined;
    const ready = await untilReady();
    expect(parseCredentialReport(ready.report.content)).toHaveLength(6);
    expect(counter.snapshot()['iam:GenerateCredentialReport']).toBe(1);
  });

  it('reuses a report younger than maxAge without generating', async () => {
    counter.reset();
    offset += HOUR;
    fresh();
    const r = await requestCredentialReport(clients.iam, { now: clock });
    expect(r.state).toBe('ready');
    expect(counter.snapshot()).toEqual({ 'iam:GetCredentialReport': 1 });
  });

  it("takes the report IAM keeps (COMPLETE) when maxAge is below IAM's own four hours", async () => {
    counter.reset();
    const r = await requestCredentialReport(clients.iam, { now: clock, maxAgeMs: HOUR / 2 });
    expect(r.state).toBe('ready');
    expect(counter.snapshot()).toEqual({ 'iam:GetCredentialReport': 2, 'iam:GenerateCredentialReport': 1 });
  });

  it('regenerates an expired report', async () => {
    offset += 4 * HOUR;
    fresh();
    expect(await requestCredentialReport(clients.iam, { now: clock })).toMatchObject({
      state: 'in_progress',
      reason: 'expired',
    });
    const ready = await untilReady();
    expect(clock() - ready.report.generatedTime.getTime()).toBeLessThan(60_000);
  });
});
