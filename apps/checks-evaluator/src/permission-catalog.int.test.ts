/**
 * Issue 12, the permission catalog against the running product. The demo account is synced through
 * the real workers with the setup kit's own policy (read from the catalog), and:
 * 1. every operation fake-aws saw is in the catalog, and none was denied: the kit grants all of it;
 * 2. for every action of the catalog, a first sync with that action denied (fake-aws's fault knob;
 *    the per-user reads with GetAccountAuthorizationDetails denied too, or they are never called)
 *    records exactly the catalog's scope as missing, turns only findings of the checks the catalog
 *    says it disables, and only to `unknown` naming that scope; every other finding is unchanged from
 *    the shared clean baseline. (One 5xx case is fault-in-one-scope's; the other fault kinds are
 *    missing-data's.)
 * Cases run two at a time, each lane with its own fake-aws, workers, database and Redis prefix: the
 * fault knob is per fake, not per connection.
 */
import { PERMISSION_ACTIONS, PERMISSIONS, type PermissionSpec } from '@codecommit-evidence/aws-clients';
import { SCOPES, SCOPES_OF_SYNC_JOB } from '@codecommit-evidence/domain';
import { listSyncProblems } from '@codecommit-evidence/evidence-store';
import type { FakeAws, FaultRuleInput } from '@codecommit-evidence/fake-aws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  compareWithBaseline,
  type Finding,
  findingsOf,
  startDemoFake,
  syncDemo,
  type TestSide,
  useTestSide,
} from '../test-support/demo-account.js';
import type { SyncedScenario } from '../test-support/sync-through-workers.js';

const GAAD = 'iam:GetAccountAuthorizationDetails';
const LANES = 2;

interface Lane {
  side: TestSide;
  fake: FakeAws;
  synced: SyncedScenario;
}

interface Outcome {
  action: string;
  /** Whether the product called the action at all in this sync (else nothing could be denied). */
  called: boolean;
  /** Account scopes of the non-warning problems the run recorded. */
  scopes: string[];
  issues: string[];
}

/** The scope a denial of `spec` must be recorded on: the path's own (GetPolicy feeds both). */
function expectedScopes(spec: PermissionSpec): string[] {
  if (spec.action === GAAD) return []; // the per-user calls cover it: a warning, no gap
  if (spec.coveredBy) return spec.scopes.filter((s) => s !== SCOPES.authorizationDetails);
  // The repository inventory is required: denied, the job fails for good, and all its scopes go.
  if (spec.tier === 'core' && spec.scopes.includes(SCOPES.repositories))
    return [...SCOPES_OF_SYNC_JOB['sync-repositories']];
  return [...spec.scopes];
}

const accountScopes = Object.values(SCOPES) as string[];
function accountScopeOf(step: string): string {
  // The longest account scope the step is, or is a per-repository variant of.
  return (
    accountScopes
      .filter((s) => step === s || step.startsWith(`${s}:`))
      .sort((a, b) => b.length - a.length)[0] ?? step
  );
}

describe('the permission catalog is what the product calls, and each action denied is a gap of its scope alone', () => {
  const sides = Array.from({ length: LANES }, () => useTestSide());
  const lanes: Lane[] = [];
  let baseline: Map<string, Finding>;
  const outcomes = new Map<string, Outcome>();
  const seen = new Map<string, { calls: number; denied: number }>();

  const runCase = async (lane: Lane, spec: PermissionSpec): Promise<Outcome> => {
    const faults: FaultRuleInput[] = [{ operation: spec.action, kind: 'access-denied' }];
    if (spec.coveredBy) faults.push({ operation: spec.coveredBy, kind: 'access-denied' });
    lane.fake.setFaults(faults);
    lane.fake.resetStats();
    let run: { runId: number; checkRunId: number };
    try {
      // A new connection: a first sync reads every pull request's details (a re-sync would not).
      run = await lane.synced.syncAsNewConnection();
    } finally {
      lane.fake.clearFaults();
    }
    const called = (lane.fake.stats().injected[spec.action] ?? 0) > 0;
    const db = lane.side.t.current.db;
    const problems = (await listSyncProblems(db, run.runId)).filter((p) => p.kind !== 'warning');
    const scopes = [...new Set(problems.map((p) => accountScopeOf(p.step)))].sort();
    const after = await findingsOf(db, run.checkRunId);
    const namesGap = (f: Finding) =>
      f.status === 'unknown' && problems.some((p) => f.reason.includes(p.step));
    // A first sync without an inventory has no per-user findings: one account finding per check says why.
    const accountUnknown = (check: string) =>
      [...after.values()].some((f) => f.check === check && f.key.includes(' account ') && namesGap(f));
    const issues = compareWithBaseline(baseline, after, (before, now) => {
      // Statuses: with a scope missing a failing finding may still fail with what is known, and its
      // reason say less (DescribePullRequestEvents, templates): what must not happen is a new verdict.
      if (now.status === before.status) return [];
      if (!spec.disables.includes(before.check as never))
        return [
          `${before.key}: changed though the catalog says ${spec.action} does not disable ${before.check}: ${before.status} → ${now.status} (${now.reason})`,
        ];
      if (!namesGap(now)) return [`${before.key}: ${before.status} → ${now.status} (${now.reason})`];
      return [];
    }).filter((issue) => {
      const [check] = issue.split(' ');
      return !(
        issue.includes(': disappeared') &&
        accountUnknown(check!) &&
        spec.disables.includes(check as never)
      );
    });
    for (const [key, f] of after)
      if (!baseline.has(key) && !namesGap(f)) issues.push(`${key}: new finding (${f.status}: ${f.reason})`);
    return { action: spec.action, called, scopes, issues };
  };

  beforeAll(async () => {
    for (const side of sides) {
      const fake = await startDemoFake();
      lanes.push({
        side,
        fake,
        synced: await syncDemo(side, fake, { productRole: { policy: 'setup-kit' } }),
      });
    }
    baseline = await findingsOf(lanes[0]!.side.t.current.db, lanes[0]!.synced.checkRunId);
    for (const lane of lanes) {
      const stats = lane.fake.stats();
      for (const [op, n] of Object.entries(stats.calls)) {
        const s = seen.get(op) ?? { calls: 0, denied: 0 };
        seen.set(op, { calls: s.calls + n, denied: s.denied + (stats.denied[op] ?? 0) });
      }
    }
    // Every action of the catalog, two lanes at a time.
    const queue = [...PERMISSIONS];
    await Promise.all(
      lanes.map(async (lane) => {
        for (let spec = queue.shift(); spec; spec = queue.shift()) {
          try {
            outcomes.set(spec.action, await runCase(lane, spec));
          } catch (error) {
            // One case's failure is that case's, not the other cases'.
            outcomes.set(spec.action, {
              action: spec.action,
              called: true,
              scopes: [],
              issues: [String(error)],
            });
          }
          const stats = lane.fake.stats();
          for (const [op, n] of Object.entries(stats.calls)) {
            const s = seen.get(op) ?? { calls: 0, denied: 0 };
            // fake-aws's denied count includes the denials the knob injected: those are not the kit's.
            const kitDenied = (stats.denied[op] ?? 0) - (stats.injected[op] ?? 0);
            seen.set(op, { calls: s.calls + n, denied: s.denied + Math.max(0, kitDenied) });
          }
        }
      }),
    );
  }, 1_800_000);

  afterAll(async () => {
    for (const lane of lanes) await lane.synced.close();
    for (const lane of lanes) await lane.fake.close();
  });

  it('every operation fake-aws saw, on both IAM paths, is in the catalog and granted by the kit', () => {
    const customerOps = [...seen.keys()].filter((op) => !op.startsWith('sts:')).sort();
    expect(customerOps.length).toBeGreaterThan(20);
    expect(customerOps.filter((op) => !(PERMISSION_ACTIONS as readonly string[]).includes(op))).toEqual([]);
    expect(customerOps.filter((op) => (seen.get(op)?.denied ?? 0) > 0)).toEqual([]);
    // The fallback path ran (GAAD denied by the cases of the per-user reads).
    expect(seen.get('iam:ListUsers')?.calls).toBeGreaterThan(0);
    expect(seen.get('iam:GetUser')?.calls).toBeGreaterThan(0);
  });

  it('the baseline is the same on every lane', async () => {
    expect(baseline.size).toBeGreaterThan(20);
    for (const lane of lanes.slice(1))
      expect([...(await findingsOf(lane.side.t.current.db, lane.synced.checkRunId)).values()]).toEqual([
        ...baseline.values(),
      ]);
  });

  it('the demo account exercises every action of the catalog but those named here', () => {
    const notCalled = [...outcomes.values()].filter((o) => !o.called).map((o) => o.action);
    // Not called on the demo account: no group or role there has what these read, or a report
    // younger than 4 hours is reused (so GenerateCredentialReport is not needed).
    expect(notCalled).toEqual(NOT_CALLED_ON_DEMO);
  });

  for (const spec of PERMISSIONS) {
    it(`${spec.action} denied: ${expectedScopes(spec).join(', ') || 'no gap (covered by the per-user calls)'}`, () => {
      const o = outcomes.get(spec.action);
      expect(o, 'the case ran').toBeDefined();
      if (!o!.called) {
        expect(o!.scopes).toEqual([]);
      } else {
        expect(o!.scopes).toEqual(expectedScopes(spec).sort());
      }
      expect(o!.issues).toEqual([]);
    });
  }
});

/** Pinned from the demo scenario (see the test above); a scenario change that exercises one removes it. */
const NOT_CALLED_ON_DEMO: string[] = [
  // Each lane's clean sync generated a report; the cases reuse it (younger than 4 hours).
  'iam:GenerateCredentialReport',
];
