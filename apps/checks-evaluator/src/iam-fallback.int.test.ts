/**
 * Issue 12, defect 2: both IAM paths store the same evidence for the same account, boundaries and role
 * tags included, and so the checks judge it the same. The demo account gets a permissions boundary that
 * takes CodeCommit away from carol (offboarded: with the boundary her access is removed), a boundary on
 * the Developer role (its CodeCommit writes go) and tags on both roles; it is synced through the
 * workers once with GetAccountAuthorizationDetails and once with it denied (the per-user fallback),
 * both with the setup kit's own policy, so the fallback also proves the kit grants what it calls.
 * Before the fix the fallback read the boundary from ListUsers/ListRoles, which never return one (nor
 * role tags): carol's finding was a false fail and the rows differed.
 */
import { getSyncRun, listFindings, selectCurrent } from '@codecommit-evidence/evidence-store';
import type { FakeAws, Scenario } from '@codecommit-evidence/fake-aws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDemoFake, syncDemo, useTestSide } from '../test-support/demo-account.js';
import type { SyncedScenario } from '../test-support/sync-through-workers.js';

const BOUNDARY = 'arn:aws:iam::111122223333:policy/NoCodeCommitBoundary';
const ROLE_BOUNDARY = 'arn:aws:iam::aws:policy/ReadOnlyAccess';
const IAM_TABLES = ['iam_users', 'iam_groups', 'iam_roles', 'iam_managed_policies'] as const;
/** The product's own role differs on purpose: one side's carries the Deny that takes GAAD away. */
const PRODUCT_ROLE = 'CodeCommitEvidence';

/** A finding's evidence without the audit window's bounds, which are the evaluation's own clock. */
function withoutEvaluationTime(evidence: unknown): unknown {
  return JSON.parse(JSON.stringify(evidence), (key, value) =>
    key === 'auditWindow' && value && typeof value === 'object' ? { ...value, from: '-', to: '-' } : value,
  );
}

function withBoundaries(draft: Scenario): void {
  const a = draft.account;
  a.policies.push({
    arn: BOUNDARY,
    policyName: 'NoCodeCommitBoundary',
    policyId: 'ANPANOCODECOMMITBOUND',
    path: '/',
    createDate: '2025-01-01T00:00:00Z',
    updateDate: '2025-01-01T00:00:00Z',
    defaultVersionId: 'v1',
    versions: [
      {
        versionId: 'v1',
        createDate: '2025-01-01T00:00:00Z',
        document: {
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', NotAction: 'codecommit:*', Resource: '*' }],
        },
      },
    ],
  } as Scenario['account']['policies'][number]);
  a.users.find((u) => u.userName === 'carol')!.permissionsBoundary = BOUNDARY;
  const developer = a.roles.find((r) => r.roleName === 'Developer')!;
  developer.permissionsBoundary = ROLE_BOUNDARY;
  developer.tags = [{ Key: 'team', Value: 'engineering' }];
  a.roles.find((r) => r.roleName === 'Admin')!.tags = [{ Key: 'owner', Value: 'platform' }];
}

describe('the per-user fallback stores what GetAccountAuthorizationDetails stores, boundaries and role tags included', () => {
  const gaad = useTestSide();
  const fallback = useTestSide();
  const fakes: FakeAws[] = [];
  const synced: SyncedScenario[] = [];
  let a: SyncedScenario;
  let b: SyncedScenario;

  beforeAll(async () => {
    fakes.push(await startDemoFake(withBoundaries), await startDemoFake(withBoundaries));
    // One after the other: two worker pairs at once only compete for the two cores.
    a = await syncDemo(gaad, fakes[0]!, { productRole: { policy: 'setup-kit' } });
    synced.push(a);
    b = await syncDemo(fallback, fakes[1]!, {
      productRole: { policy: 'setup-kit', deny: ['iam:GetAccountAuthorizationDetails'] },
    });
    synced.push(b);
  }, 600_000);

  afterAll(async () => {
    for (const s of synced) await s.close();
    for (const f of fakes) await f.close();
  });

  it('took each path, and the fallback was granted every call it made', async () => {
    expect(fakes[0]!.stats().calls['iam:ListUsers']).toBeUndefined();
    expect(fakes[1]!.stats().denied['iam:GetAccountAuthorizationDetails']).toBeGreaterThan(0);
    expect(fakes[1]!.stats().calls['iam:GetUser']).toBeGreaterThan(0);
    expect(fakes[1]!.stats().calls['iam:GetRole']).toBeGreaterThan(0);
    const denied = Object.keys(fakes[1]!.stats().denied);
    expect(denied).toEqual(['iam:GetAccountAuthorizationDetails']);
    const run = await getSyncRun(fallback.t.current.db, b.runId);
    expect(run?.steps['iam:users']?.status).toBe('succeeded');
    expect(run?.steps['iam:roles']?.status).toBe('succeeded');
  });

  it('stores identical IAM evidence: same rows, same content', async () => {
    const rows = async (side: typeof gaad, s: SyncedScenario, table: (typeof IAM_TABLES)[number]) =>
      (await selectCurrent(side.t.current.db, table, s.connectionId).selectAll().orderBy('arn').execute())
        .map((row) => {
          const {
            id: _i,
            connection_id: _c,
            valid_from_run: _f,
            valid_to_run: _t,
            ...rest
          } = row as Record<string, unknown>;
          return rest;
        })
        .filter((row) => row.role_name !== PRODUCT_ROLE);
    for (const table of IAM_TABLES) {
      const left = await rows(gaad, a, table);
      expect(left.length, table).toBeGreaterThan(0);
      expect(await rows(fallback, b, table), table).toEqual(left);
    }
    // What the comparison is about, not only that the rows agree.
    const users = await rows(gaad, a, 'iam_users');
    expect(users.find((u) => u.user_name === 'carol')?.permissions_boundary_arn).toBe(BOUNDARY);
    const roles = await rows(fallback, b, 'iam_roles');
    expect(roles.find((r) => r.role_name === 'Developer')).toMatchObject({
      permissions_boundary_arn: ROLE_BOUNDARY,
      tags: { team: 'engineering' },
    });
    expect(roles.find((r) => r.role_name === 'Admin')?.tags).toEqual({ owner: 'platform' });
  });

  it('judges identically: the same findings with the same reasons and evidence', async () => {
    const findings = async (side: typeof gaad, s: SyncedScenario) =>
      (
        await listFindings(side.t.current.db, s.checkRunId, {
          limit: 10_000,
          resolve: Number.POSITIVE_INFINITY,
        })
      )
        .map((f) => ({
          check: f.check_id,
          type: f.resource_type,
          name: f.resource_name,
          status: f.status,
          reason: f.reason,
          evidence: withoutEvaluationTime(f.evidence),
        }))
        .sort((x, y) => `${x.check} ${x.type} ${x.name}`.localeCompare(`${y.check} ${y.type} ${y.name}`));
    const left = await findings(gaad, a);
    expect(left.length).toBeGreaterThan(20);
    expect(await findings(fallback, b)).toEqual(left);
    // The boundary decides: carol is offboarded and her boundary removed CodeCommit.
    const carol = left.find((f) => f.check === 'codecommit-offboarded-user-access' && f.name === 'carol');
    expect(carol?.status).toBe('pass');
  });
});
