import {
  addProductRole,
  GENERATED_DEFAULTS,
  generateScenario,
  type Scenario,
} from '@codecommit-evidence/fake-aws';

export const ACCOUNT = GENERATED_DEFAULTS.accountId;
export const REGION = 'us-east-1';

/** One assumable product role per test connection (External IDs are unique per connection). */
export const ROLES = [
  {
    roleName: GENERATED_DEFAULTS.productRole.roleName,
    externalId: GENERATED_DEFAULTS.productRole.externalId,
  },
  { roleName: 'CodeCommitEvidenceB', externalId: 'test-external-id-b' },
  { roleName: 'CodeCommitEvidenceC', externalId: 'test-external-id-c' },
  { roleName: 'CodeCommitEvidenceD', externalId: 'test-external-id-d' },
] as const;
export const roleArn = (roleName: string) => `arn:aws:iam::${ACCOUNT}:role/${roleName}`;

/**
 * A small generated account, plus what the generator does not produce: an overridden merged pull
 * request, approvals on earlier revisions (of a merged pull request without an independent final
 * approval, whose history is read, and of one with, whose history is not), an empty repository (no
 * default branch), a second template without destination references, and extra product roles for more
 * connections.
 */
export function testScenario(options: { repos?: number; prsPerRepo?: number; seed?: number } = {}): Scenario {
  const s = generateScenario({
    repos: options.repos ?? 5,
    prsPerRepo: options.prsPerRepo ?? 6,
    users: 4,
    seed: options.seed ?? 11,
    // "Today" of the account is the test's now, so the audit window always holds the same pull requests.
    referenceDate: new Date().toISOString(),
  });
  const region = s.account.regions[REGION]!;
  for (const [i, r] of ROLES.slice(1).entries())
    addProductRole(s, { ...r, roleId: `AROATESTROLE0000000${i}` });
  const merged = region.pullRequests.find((p) => p.isMerged)!;
  merged.override = {
    revisionId: merged.revisions.at(-1)!,
    overrider: `arn:aws:iam::${ACCOUNT}:user/user-00001`,
  };
  const merges = region.pullRequests.filter(
    (p) => p.status === 'CLOSED' && p.isMerged && p.revisions.length > 1,
  );
  const reviewer = (n: number) => `arn:aws:iam::${ACCOUNT}:user/earlier-reviewer-${n}`;
  const unreviewed = merges.find((p) => !independentlyApproved(p))!;
  unreviewed.approvals.unshift(
    { revisionId: unreviewed.revisions[0]!, userArn: reviewer(1), state: 'APPROVE' },
    { revisionId: unreviewed.revisions[0]!, userArn: reviewer(2), state: 'APPROVE' },
    { revisionId: unreviewed.revisions[0]!, userArn: reviewer(2), state: 'REVOKE' },
  );
  const reviewed = merges.find((p) => independentlyApproved(p))!;
  reviewed.approvals.unshift({ revisionId: reviewed.revisions[0]!, userArn: reviewer(3), state: 'APPROVE' });
  region.repositories.push({
    repositoryName: 'empty-repo',
    repositoryId: '00000000-0000-4000-8000-000000000001',
    description: 'nothing pushed yet',
    defaultBranch: null,
    creationDate: '2026-01-01T00:00:00Z',
    lastModifiedDate: '2026-01-01T00:00:00Z',
    branches: [],
  });
  region.approvalRuleTemplates.push({
    name: 'two-approvals-everywhere',
    id: '00000000-0000-4000-8000-0000000000aa',
    description: 'every branch',
    content: {
      Version: '2018-11-08',
      Statements: [
        {
          Type: 'Approvers',
          NumberOfApprovalsNeeded: 2,
          ApprovalPoolMembers: ['CodeCommitApprovers:111122223333:*'],
        },
      ],
    },
    creationDate: '2026-01-01T00:00:00Z',
    lastModifiedDate: '2026-01-01T00:00:00Z',
    lastModifiedUser: `arn:aws:iam::${ACCOUNT}:root`,
  });
  region.associations['two-approvals-everywhere'] = [region.repositories[0]!.repositoryName];
  return s;
}

type ScenarioPullRequest = Scenario['account']['regions'][string]['pullRequests'][number];

/** Latest approval state per user on one revision, in the order the scenario lists them (as fake-aws does). */
function statesOn(p: ScenarioPullRequest, revisionId: string): Map<string, string> {
  const last = new Map<string, string>();
  for (const a of p.approvals) if (a.revisionId === revisionId) last.set(a.userArn, a.state);
  return last;
}

/** An APPROVE on the final revision by someone other than the author's exact ARN (repo-sync's rule). */
export function independentlyApproved(p: ScenarioPullRequest): boolean {
  return [...statesOn(p, p.revisions.at(-1)!)].some(([u, st]) => st === 'APPROVE' && u !== p.authorArn);
}

/** What a complete sync of `s` must store, computed from the scenario alone. */
export function expectedEvidence(s: Scenario) {
  const region = s.account.regions[REGION]!;
  const repos = region.repositories;
  const byName = new Map(repos.map((r) => [r.repositoryName, r]));
  const associations = Object.entries(region.associations).flatMap(([template, names]) =>
    names.filter((n) => byName.has(n)).map((n) => `${byName.get(n)!.repositoryId}|${template}`),
  );
  const usedTemplates = new Set(associations.map((a) => a.split('|')[1]!));
  const mergedPrs = region.pullRequests.filter((p) => p.status === 'CLOSED' && p.isMerged);
  const approvals = [
    ...mergedPrs.flatMap((p) => {
      const rev = p.revisions.at(-1)!;
      return [...statesOn(p, rev)]
        .filter(([, st]) => st === 'APPROVE')
        .map(([u]) => `${p.pullRequestId}|${rev}|${u}|APPROVE`);
    }),
    // Earlier revisions, every state (a REVOKE is kept: it cancels that user's approval).
    ...earlierApprovals(s),
    // A REVOKE on the final revision, read from the history (approval states omit it), where it is read.
    ...mergedPrs
      .filter((p) => !independentlyApproved(p))
      .flatMap((p) => {
        const rev = p.revisions.at(-1)!;
        return [...statesOn(p, rev)]
          .filter(([, st]) => st === 'REVOKE')
          .map(([u]) => `${p.pullRequestId}|${rev}|${u}|REVOKE`);
      }),
  ];
  return {
    repositories: repos.map((r) => `${r.repositoryId}|${r.repositoryName}|${r.defaultBranch ?? ''}`).sort(),
    branches: repos
      .flatMap((r) =>
        r.branches.map((b) => `${r.repositoryId}|${b.name}|${b.name === r.defaultBranch ? b.commitId : ''}`),
      )
      .sort(),
    associations: associations.sort(),
    templates: region.approvalRuleTemplates
      .filter((t) => usedTemplates.has(t.name))
      .map((t) => `${t.id}|${t.name}`)
      .sort(),
    pullRequests: region.pullRequests
      // An open pull request's revision is not recorded while it is open (repo-sync openPullRequestRow).
      .map(
        (p) =>
          `${p.pullRequestId}|${p.repositoryName}|${p.status}|${p.isMerged}|${p.status === 'OPEN' ? null : p.revisions.at(-1)}`,
      )
      .sort(),
    approvals: approvals.sort(),
    overridden: mergedPrs
      .filter((p) => p.override?.revisionId === p.revisions.at(-1))
      .map((p) => `${p.pullRequestId}|${p.override!.overrider}`)
      .sort(),
    openPullRequests: region.pullRequests.filter((p) => p.status === 'OPEN').length,
    mergedPullRequests: mergedPrs.length,
  };
}

/**
 * The merged pull requests whose approval history repo-sync reads (one DescribePullRequestEvents each:
 * no APPROVE on the final revision by anyone but the author), and the earlier-revision approvals it
 * stores for them: every user's latest state per earlier revision (a REVOKE is kept: it cancels).
 */
export function historyReads(s: Scenario): string[] {
  return s.account.regions[REGION]!.pullRequests.filter(
    (p) => p.status === 'CLOSED' && p.isMerged && !independentlyApproved(p),
  ).map((p) => p.pullRequestId);
}

export function earlierApprovals(s: Scenario): string[] {
  const ids = new Set(historyReads(s));
  return s.account.regions[REGION]!.pullRequests.filter((p) => ids.has(p.pullRequestId)).flatMap((p) =>
    p.revisions
      .slice(0, -1)
      .flatMap((rev) => [...statesOn(p, rev)].map(([u, st]) => `${p.pullRequestId}|${rev}|${u}|${st}`)),
  );
}

/**
 * The merged pull requests whose merge date repo-sync reads: every one, once (its evidence must not
 * depend on when the sync ran). With `historyReads` they share one DescribePullRequestEvents.
 */
export function mergeDateReads(s: Scenario): string[] {
  return s.account.regions[REGION]!.pullRequests.filter((p) => p.status === 'CLOSED' && p.isMerged).map(
    (p) => p.pullRequestId,
  );
}
