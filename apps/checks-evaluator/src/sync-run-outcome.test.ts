import { describe, expect, it } from 'vitest';
import { identifyFailedChildren, syncRunOutcome } from './sync-run-outcome.js';

describe('identifyFailedChildren', () => {
  it('names the child by its run-derived job id, else by its queue', () => {
    expect(
      identifyFailedChildren(7, {
        '{cce}:repo-sync:run-7-repositories': 'a',
        'bull:iam-sync:run-7-iam': 'b',
        '{cce}:iam-sync:something-else': 'c',
        '{cce}:other:x': 'd',
      }).map((f) => [f.job, f.reason]),
    ).toEqual([
      ['sync-repositories', 'a'],
      ['sync-iam', 'b'],
      ['sync-iam', 'c'],
      ['unknown', 'd'],
    ]);
  });
});

describe('syncRunOutcome', () => {
  const failed = (job: 'sync-repositories' | 'sync-iam') => ({ job, key: job, reason: 'x' });
  it('is failed when both children failed, partial when one did or evidence is missing, else succeeded', () => {
    expect(syncRunOutcome([failed('sync-repositories'), failed('sync-iam')], [])).toBe('failed');
    expect(syncRunOutcome([failed('sync-iam')], [])).toBe('partial');
    expect(syncRunOutcome([], [{ kind: 'missing_permission' }])).toBe('partial');
    expect(syncRunOutcome([], [{ kind: 'error' }])).toBe('partial');
    expect(syncRunOutcome([], [{ kind: 'warning' }])).toBe('succeeded');
    expect(syncRunOutcome([], [])).toBe('succeeded');
  });
});
