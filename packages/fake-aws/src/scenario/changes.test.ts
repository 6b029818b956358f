import { CodeCommitClient, GetBranchCommand, GetPullRequestCommand } from '@aws-sdk/client-codecommit';
import { describe, expect, it } from 'vitest';
import { startFakeAws } from '../server.js';
import { applyPullRequestChanges } from './changes.js';
import { GENERATED_DEFAULTS, generateScenario } from './generate.js';

const REGION = GENERATED_DEFAULTS.region;
const USER = 'arn:aws:iam::111122223333:user/someone';
const NOW = new Date('2026-12-02T04:00:00Z');

const scenario = () => generateScenario({ repos: 2, prsPerRepo: 6, users: 2, seed: 3 });
const openPr = (s: ReturnType<typeof scenario>) =>
  s.account.regions[REGION]!.pullRequests.find((p) => p.status === 'OPEN')!;

describe('pull request changes (what CodeCommit moves for each)', () => {
  it('a new revision moves the revision, the source commit, the source branch head and the last activity', () => {
    const s = scenario();
    const pr = openPr(s);
    const was = structuredClone(pr);
    applyPullRequestChanges(s, REGION, [{ kind: 'revision', pullRequestId: pr.pullRequestId }], NOW);
    expect(pr.revisions).toHaveLength(was.revisions.length + 1);
    expect(pr.revisions.at(-1)).toMatch(/^[0-9a-f]{64}$/);
    expect(pr.sourceCommit).not.toBe(was.sourceCommit);
    expect(pr.lastActivityDate).toBe(NOW.toISOString());
    // Approvals stay on the revision they were given on.
    expect(pr.approvals).toEqual(was.approvals);
    const repo = s.account.regions[REGION]!.repositories.find((r) => r.repositoryName === pr.repositoryName)!;
    const source = repo.branches.find((b) => `refs/heads/${b.name}` === pr.sourceReference);
    if (source) expect(source.commitId).toBe(pr.sourceCommit);
  });

  it('approve, revoke and override act on the current revision; merge closes and moves the destination head', () => {
    const s = scenario();
    const pr = openPr(s);
    const id = pr.pullRequestId;
    applyPullRequestChanges(
      s,
      REGION,
      [
        { kind: 'approve', pullRequestId: id, userArn: USER },
        { kind: 'revoke', pullRequestId: id, userArn: USER },
        { kind: 'override', pullRequestId: id, userArn: USER },
        { kind: 'merge', pullRequestId: id, userArn: USER },
      ],
      NOW,
    );
    const rev = pr.revisions.at(-1)!;
    expect(pr.approvals.slice(-2)).toEqual([
      { revisionId: rev, userArn: USER, state: 'APPROVE' },
      { revisionId: rev, userArn: USER, state: 'REVOKE' },
    ]);
    expect(pr.override).toEqual({ revisionId: rev, overrider: USER });
    expect(pr).toMatchObject({ status: 'CLOSED', isMerged: true, mergedBy: USER });
    const repo = s.account.regions[REGION]!.repositories.find((r) => r.repositoryName === pr.repositoryName)!;
    const dest = repo.branches.find((b) => `refs/heads/${b.name}` === pr.destinationReference)!;
    expect(dest.commitId).toBe(pr.mergeCommitId);
  });

  it('refuses a change to a closed or unknown pull request, as CodeCommit does', () => {
    const s = scenario();
    const closed = s.account.regions[REGION]!.pullRequests.find((p) => p.status === 'CLOSED')!;
    expect(() =>
      applyPullRequestChanges(
        s,
        REGION,
        [{ kind: 'close', pullRequestId: closed.pullRequestId, userArn: USER }],
        NOW,
      ),
    ).toThrow(/closed/);
    expect(() =>
      applyPullRequestChanges(s, REGION, [{ kind: 'revision', pullRequestId: '999999' }], NOW),
    ).toThrow(/no pull request/);
  });

  it('POST /_fake/changes applies them, and the SDK sees the new state; a bad body is a 400 naming the field', async () => {
    const s = scenario();
    const pr = openPr(s);
    const fake = await startFakeAws({ scenario: s, clock: () => NOW.getTime() });
    try {
      const post = (body: unknown) =>
        fetch(`${fake.url}/_fake/changes`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
        });
      expect(
        (await post({ region: REGION, changes: [{ kind: 'explode', pullRequestId: '1' }] })).status,
      ).toBe(400);
      const bad = await post({
        region: REGION,
        changes: [{ kind: 'approve', pullRequestId: pr.pullRequestId }],
      });
      expect(bad.status).toBe(400);
      expect(JSON.stringify(await bad.json())).toContain('userArn');
      const ok = await post({
        region: REGION,
        changes: [{ kind: 'merge', pullRequestId: pr.pullRequestId, userArn: USER }],
      });
      expect(ok.status).toBe(200);
      const client = new CodeCommitClient({
        endpoint: fake.url,
        region: REGION,
        credentials: fake.adminCredentials,
      });
      const got = await client.send(new GetPullRequestCommand({ pullRequestId: pr.pullRequestId }));
      expect(got.pullRequest?.pullRequestStatus).toBe('CLOSED');
      expect(got.pullRequest?.pullRequestTargets?.[0]?.mergeMetadata?.isMerged).toBe(true);
      expect(got.pullRequest?.lastActivityDate?.toISOString()).toBe(NOW.toISOString());
      const branch = pr.destinationReference.replace('refs/heads/', '');
      const head = await client.send(
        new GetBranchCommand({ repositoryName: pr.repositoryName, branchName: branch }),
      );
      expect(head.branch?.commitId).toBe(
        fake
          .scenario()
          .account.regions[REGION]!.pullRequests.find((p) => p.pullRequestId === pr.pullRequestId)!
          .mergeCommitId,
      );
      client.destroy();
    } finally {
      await fake.close();
    }
  });
});
