/**
 * Missing data is never a pass, as an invariant: for each operation the product calls and each way
 * its answer can be missing (denied, or answered invalid: a wrong-typed member, a truncated body, an
 * oversized string, a NUL byte), a real sync through the workers against fake-aws with that fault
 * (its per-operation fault knob) must
 * - record the fault on the run, on the scope (sync step) that needed the call;
 * - lose no finding: every finding of the clean run is still there;
 * - make no finding that depends on the scope `pass` or `not_applicable`: a changed finding is
 *   `unknown` and its reason names the scope;
 * - leave every other finding as it was.
 *
 * Faults on inventories (repositories, IAM identities, the credential report) are applied to a
 * re-sync of a connection synced cleanly before, whose evidence must then be kept, not closed; faults
 * on per-pull-request calls are applied to a first sync (a re-sync does not read closed pull requests
 * again), on a new connection of the same account.
 */
import { listSyncProblems } from '@codecommit-evidence/evidence-store';
import type { FakeAws, FaultRuleInput } from '@codecommit-evidence/fake-aws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  compareWithBaseline,
  type Finding,
  findingsOf,
  startDemoFake,
  syncDemo,
  useTestSide,
} from '../test-support/demo-account.js';
import type { SyncedScenario } from '../test-support/sync-through-workers.js';

const OFFBOARDED = 'codecommit-offboarded-user-access';
const MFA = 'codecommit-user-mfa';
const BRANCH = 'codecommit-branch-protection-admins';
const REVIEW = 'codecommit-peer-review';
const REPOSITORY_CHECKS = [BRANCH, REVIEW];

interface Case {
  name: string;
  faults: FaultRuleInput[];
  /** A re-sync of the cleanly synced connection, or a first sync of a new one. */
  mode: 'resync' | 'fresh';
  /** The sync step the fault must be recorded on (a prefix: `codecommit:pull-requests:web-app`). */
  scope: string;
  /** Findings that depend on the scope: check id → resource names (`'*'`: every finding of the check). */
  depends: Record<string, string[] | '*'>;
}

const everyRepository = Object.fromEntries(REPOSITORY_CHECKS.map((c) => [c, '*' as const]));

/**
 * What the credential report decides: MFA and console passwords (every MFA finding, root's too),
 * access keys, hence which users count as principals for branch protection. Two offboarding findings
 * do not depend on it: dave has no policy granting CodeCommit (credentials are irrelevant), and frank's
 * usable credential is an SSH key, collected by its own step.
 */
const credentialReportDependents: Case['depends'] = {
  [MFA]: '*',
  [BRANCH]: '*',
  [OFFBOARDED]: ['alice', 'bob', 'carol', 'ci-bot', 'erin@acme.example', 'grace'],
};

/** Every finding about a user or a repository's principals; the root's MFA is not about the inventory. */
const iamInventoryDependents: Case['depends'] = {
  [OFFBOARDED]: '*',
  [MFA]: ['alice', 'bob', 'carol', 'ci-bot', 'erin@acme.example', 'frank', 'grace'],
  [BRANCH]: '*',
};

const cases: Case[] = [
  // Table row 1: the repository inventory answered as a string.
  {
    name: 'ListRepositories answers {"repositories":"none"}',
    faults: [
      { operation: 'codecommit:ListRepositories', kind: 'wrong-type', member: 'repositories', value: 'none' },
    ],
    mode: 'resync',
    scope: 'codecommit:repositories',
    depends: everyRepository,
  },
  {
    name: 'ListRepositories denied',
    faults: [{ operation: 'codecommit:ListRepositories', kind: 'access-denied' }],
    mode: 'resync',
    scope: 'codecommit:repositories',
    depends: everyRepository,
  },
  {
    name: 'ListRepositories truncated',
    faults: [{ operation: 'codecommit:ListRepositories', kind: 'truncated' }],
    mode: 'resync',
    scope: 'codecommit:repositories',
    depends: everyRepository,
  },
  // Table row 3: one item of BatchGetRepositories named 42 is not a deletion.
  {
    name: 'BatchGetRepositories item with repositoryName 42',
    faults: [
      {
        operation: 'codecommit:BatchGetRepositories',
        kind: 'wrong-type',
        member: 'repositories.*.repositoryName',
        resource: 'web-app',
        value: 42,
      },
    ],
    mode: 'resync',
    scope: 'codecommit:pull-requests:web-app',
    depends: { [BRANCH]: ['web-app'], [REVIEW]: ['web-app'] },
  },
  // Table row 5: oversized strings and NUL bytes never reach Postgres raw.
  {
    name: 'BatchGetRepositories with a 20,000-character description',
    faults: [
      {
        operation: 'codecommit:BatchGetRepositories',
        kind: 'oversized',
        member: 'repositories.*.repositoryDescription',
        resource: 'payments-service',
        size: 20_000,
      },
    ],
    mode: 'resync',
    scope: 'codecommit:pull-requests:payments-service',
    depends: { [BRANCH]: ['payments-service'], [REVIEW]: ['payments-service'] },
  },
  {
    name: 'BatchGetRepositories with a NUL byte in a repository name',
    faults: [
      {
        operation: 'codecommit:BatchGetRepositories',
        kind: 'nul',
        member: 'repositories.*.repositoryName',
        resource: 'infra-tools',
      },
    ],
    mode: 'resync',
    scope: 'codecommit:pull-requests:infra-tools',
    depends: { [BRANCH]: ['infra-tools'], [REVIEW]: ['infra-tools'] },
  },
  {
    name: 'BatchGetRepositories denied',
    faults: [{ operation: 'codecommit:BatchGetRepositories', kind: 'access-denied' }],
    mode: 'resync',
    scope: 'codecommit:repositories',
    depends: everyRepository,
  },
  {
    name: 'ListBranches with a 2 MB branch name',
    faults: [{ operation: 'codecommit:ListBranches', kind: 'oversized', member: 'branches.0' }],
    mode: 'resync',
    scope: 'codecommit:branches:',
    depends: {},
  },
  {
    name: 'GetBranch with a NUL byte',
    faults: [{ operation: 'codecommit:GetBranch', kind: 'nul', member: 'branch.branchName' }],
    mode: 'resync',
    scope: 'codecommit:branches:',
    depends: {},
  },
  {
    name: 'ListPullRequests answers a string',
    faults: [
      {
        operation: 'codecommit:ListPullRequests',
        kind: 'wrong-type',
        member: 'pullRequestIds',
        resource: 'web-app',
      },
    ],
    mode: 'resync',
    scope: 'codecommit:pull-requests:web-app',
    depends: { [REVIEW]: ['web-app'] },
  },
  {
    name: 'GetPullRequest with a 5 MB title',
    faults: [
      {
        operation: 'codecommit:GetPullRequest',
        kind: 'oversized',
        member: 'pullRequest.title',
        size: 5_000_000,
      },
    ],
    mode: 'fresh',
    scope: 'codecommit:pull-requests:',
    depends: { [REVIEW]: '*' },
  },
  {
    name: 'GetPullRequest truncated',
    faults: [{ operation: 'codecommit:GetPullRequest', kind: 'truncated' }],
    mode: 'fresh',
    scope: 'codecommit:pull-requests:',
    depends: { [REVIEW]: '*' },
  },
  {
    name: 'GetPullRequestApprovalStates with a wrong-typed approvals list',
    faults: [
      { operation: 'codecommit:GetPullRequestApprovalStates', kind: 'wrong-type', member: 'approvals' },
    ],
    mode: 'fresh',
    scope: 'codecommit:pull-requests:',
    depends: { [REVIEW]: '*' },
  },
  {
    name: 'EvaluatePullRequestApprovalRules denied',
    faults: [{ operation: 'codecommit:EvaluatePullRequestApprovalRules', kind: 'access-denied' }],
    mode: 'fresh',
    scope: 'codecommit:pull-requests:',
    depends: { [REVIEW]: '*' },
  },
  {
    name: 'EvaluatePullRequestApprovalRules with a NUL byte in a rule name',
    faults: [
      {
        operation: 'codecommit:EvaluatePullRequestApprovalRules',
        kind: 'wrong-type',
        member: 'evaluation.approved',
        value: 'yes',
      },
    ],
    mode: 'fresh',
    scope: 'codecommit:pull-requests:',
    depends: { [REVIEW]: '*' },
  },
  {
    name: 'ListRepositoriesForApprovalRuleTemplate answers a string',
    faults: [
      {
        operation: 'codecommit:ListRepositoriesForApprovalRuleTemplate',
        kind: 'wrong-type',
        member: 'repositoryNames',
      },
    ],
    mode: 'resync',
    // Read for the whole Region: the gap is the account scope's, which covers every repository.
    scope: 'codecommit:approval-rule-templates',
    depends: everyRepository,
  },
  {
    name: 'GetApprovalRuleTemplate with oversized content',
    faults: [
      {
        operation: 'codecommit:GetApprovalRuleTemplate',
        kind: 'oversized',
        member: 'approvalRuleTemplate.approvalRuleTemplateContent',
        size: 4000,
      },
    ],
    mode: 'resync',
    scope: 'codecommit:approval-rule-templates',
    depends: everyRepository,
  },
  // Table row 2: IAM inventory truncated (or a malformed UserName) must not turn branch protection to pass.
  {
    name: 'GetAccountAuthorizationDetails truncated',
    faults: [{ operation: 'iam:GetAccountAuthorizationDetails', kind: 'truncated' }],
    mode: 'resync',
    scope: 'iam:authorization-details',
    depends: iamInventoryDependents,
  },
  {
    name: 'GetAccountAuthorizationDetails with a malformed UserName',
    faults: [
      {
        operation: 'iam:GetAccountAuthorizationDetails',
        kind: 'wrong-type',
        member: 'UserDetailList.0.UserName',
        value: { nested: 'x' },
      },
    ],
    mode: 'resync',
    scope: 'iam:authorization-details',
    depends: iamInventoryDependents,
  },
  {
    name: 'GetAccountAuthorizationDetails with a NUL byte in a policy document',
    faults: [
      { operation: 'iam:GetAccountAuthorizationDetails', kind: 'nul', member: 'UserDetailList.0.UserName' },
    ],
    mode: 'resync',
    scope: 'iam:authorization-details',
    depends: iamInventoryDependents,
  },
  // XML lists answered as text: the SDK reads them as empty lists (pnpm chaos found GAAD's: MFA fail → pass).
  {
    name: 'GetAccountAuthorizationDetails with a wrong-typed UserDetailList',
    faults: [
      { operation: 'iam:GetAccountAuthorizationDetails', kind: 'wrong-type', member: 'UserDetailList' },
    ],
    mode: 'resync',
    scope: 'iam:authorization-details',
    depends: iamInventoryDependents,
  },
  {
    name: 'ListSSHPublicKeys with a wrong-typed SSHPublicKeys list',
    faults: [{ operation: 'iam:ListSSHPublicKeys', kind: 'wrong-type', member: 'SSHPublicKeys' }],
    mode: 'resync',
    scope: 'iam:ssh-keys',
    depends: { [OFFBOARDED]: ['frank', 'carol', 'ci-bot'] },
  },
  {
    name: 'ListSSHPublicKeys answers a NUL byte',
    faults: [{ operation: 'iam:ListSSHPublicKeys', kind: 'nul', member: 'SSHPublicKeys.0.SSHPublicKeyId' }],
    mode: 'resync',
    scope: 'iam:ssh-keys',
    // frank's only usable credential is an SSH key.
    depends: { [OFFBOARDED]: ['frank', 'carol', 'ci-bot'] },
  },
  {
    name: 'ListServiceSpecificCredentials denied',
    faults: [{ operation: 'iam:ListServiceSpecificCredentials', kind: 'access-denied' }],
    mode: 'resync',
    scope: 'iam:git-credentials',
    // frank's SSH key (collected) is a usable credential already: its finding does not need these.
    depends: { [OFFBOARDED]: ['carol', 'ci-bot'] },
  },
  // Table row 4: an invalid credential report must not make findings vanish or principals drop out.
  {
    name: 'GetCredentialReport with an invalid CSV',
    faults: [
      {
        operation: 'iam:GetCredentialReport',
        kind: 'wrong-type',
        member: 'Content',
        value: Buffer.from('user,arn\nbob,not-an-arn\n').toString('base64'),
      },
    ],
    mode: 'resync',
    scope: 'iam:credential-report',
    depends: credentialReportDependents,
  },
  {
    name: 'GetCredentialReport truncated',
    faults: [{ operation: 'iam:GetCredentialReport', kind: 'truncated' }],
    mode: 'resync',
    scope: 'iam:credential-report',
    depends: credentialReportDependents,
  },
  {
    name: 'GetCredentialReport denied',
    faults: [{ operation: 'iam:GetCredentialReport', kind: 'access-denied' }],
    mode: 'resync',
    scope: 'iam:credential-report',
    depends: credentialReportDependents,
  },
];

describe('missing data is never a pass: each operation × fault, through the workers', () => {
  const side = useTestSide();
  const t = side.t;
  let fake: FakeAws;
  let synced: SyncedScenario | undefined;
  let baseline: Map<string, Finding>;
  const findings = (checkRunId: number) => findingsOf(t.current.db, checkRunId);

  beforeAll(async () => {
    fake = await startDemoFake();
    synced = await syncDemo(side, fake);
    baseline = await findings(synced.checkRunId);
    expect(baseline.size).toBeGreaterThan(20);
  }, 180_000);

  afterAll(async () => {
    await synced?.close();
    await fake?.close();
  });

  for (const c of cases) {
    it(c.name, async () => {
      fake.setFaults(c.faults);
      fake.resetStats();
      let run: { runId: number; checkRunId: number };
      try {
        run = c.mode === 'resync' ? await synced!.syncAgain() : await synced!.syncAsNewConnection();
      } finally {
        fake.clearFaults();
      }
      const injected = Object.values(fake.stats().injected).reduce((a, b) => a + b, 0);
      expect(injected, 'the fault was exercised').toBeGreaterThan(0);

      const problems = await listSyncProblems(t.current.db, run.runId);
      const recorded = problems.filter((p) => p.kind !== 'warning' && p.step.startsWith(c.scope));
      expect(recorded, `a problem on ${c.scope}: ${JSON.stringify(problems)}`).not.toEqual([]);

      const after = await findings(run.checkRunId);
      const dependsOn = (f: Finding) => {
        const d = c.depends[f.check];
        return d === '*' || (d?.includes(f.name) ?? false);
      };
      const issues = compareWithBaseline(baseline, after, (before, now) => {
        const out: string[] = [];
        if (dependsOn(before)) {
          if (now.status === 'pass' || now.status === 'not_applicable')
            out.push(`${before.key}: ${now.status} with its scope missing: ${now.reason}`);
          if (now.status !== before.status && now.status !== 'unknown')
            out.push(`${before.key}: ${before.status} → ${now.status}`);
          if (
            now.status === 'unknown' &&
            before.status !== 'unknown' &&
            !problems.some((p) => p.kind !== 'warning' && now.reason.includes(p.step))
          )
            out.push(`${before.key}: unknown without naming ${c.scope}: ${now.reason}`);
        } else if (now.status !== before.status) {
          out.push(`${before.key}: ${before.status} → ${now.status} (${now.reason})`);
        }
        return out;
      });
      expect(issues).toEqual([]);

      // The next clean run restores the clean findings: nothing was lost for good.
      if (c.mode === 'resync') {
        const clean = await findings((await synced!.syncAgain()).checkRunId);
        const changed = [...baseline.values()]
          .filter((f) => clean.get(f.key)?.status !== f.status)
          .map((f) => `${f.key}: ${f.status} → ${clean.get(f.key)?.status ?? 'missing'}`);
        expect(changed).toEqual([]);
      }
    });
  }
});
