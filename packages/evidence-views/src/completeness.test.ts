import { describe, expect, it } from 'vitest';
import {
  completenessFromProblems,
  failedSyncJobs,
  hasGapOn,
  type ProblemInput,
  SYNC_JOB_FAILED,
} from './completeness.js';

const problem = (p: Partial<ProblemInput>): ProblemInput => ({
  step: 'iam:ssh-keys',
  kind: 'missing_permission',
  code: 'access_denied',
  action: '',
  resource: '',
  message: 'denied',
  ...p,
});

describe('completenessFromProblems', () => {
  it('turns missing permissions into {action, step}, errors into failed steps, and ignores warnings', () => {
    const c = completenessFromProblems([
      problem({ action: 'iam:ListSSHPublicKeys', resource: 'alice' }),
      problem({ action: 'iam:ListSSHPublicKeys', resource: 'bob' }),
      problem({
        step: 'codecommit:pull-requests:app',
        kind: 'error',
        code: 'throttled',
        message: 'Rate exceeded',
      }),
      problem({
        step: 'iam:authorization-details',
        kind: 'warning',
        code: 'fallback',
        message: 'used per-user calls',
      }),
    ]);
    expect(c).toEqual({
      missingPermissions: [{ action: 'iam:ListSSHPublicKeys', step: 'iam:ssh-keys' }],
      failedSteps: [{ step: 'codecommit:pull-requests:app', reason: 'Rate exceeded' }],
    });
  });

  it('names the resource of an error and falls back to the code when no action was recorded', () => {
    const c = completenessFromProblems([
      problem({
        kind: 'error',
        step: 'codecommit:approval-rule-templates:app',
        resource: 'tpl',
        message: 'gone',
      }),
      problem({ step: 'iam:git-credentials', code: 'iam:ListServiceSpecificCredentials' }),
    ]);
    expect(c.failedSteps).toEqual([{ step: 'codecommit:approval-rule-templates:app', reason: 'gone (tpl)' }]);
    expect(c.missingPermissions).toEqual([
      { action: 'iam:ListServiceSpecificCredentials', step: 'iam:git-credentials' },
    ]);
  });
});

describe('hasGapOn', () => {
  const c = completenessFromProblems([
    problem({ step: 'codecommit:pull-requests', action: 'codecommit:ListPullRequests' }),
    problem({ step: 'codecommit:approval-rule-templates:app', kind: 'error', message: 'x' }),
  ]);
  it('reads a gap on a step as covering its per-repository variants, and only those', () => {
    expect(hasGapOn(c, 'codecommit:pull-requests:app')).toBe(true);
    expect(hasGapOn(c, 'codecommit:pull-requests')).toBe(true);
    expect(hasGapOn(c, 'codecommit:approval-rule-templates:app')).toBe(true);
    expect(hasGapOn(c, 'codecommit:approval-rule-templates:infra')).toBe(false);
    expect(hasGapOn(c, 'codecommit:approval-rule-templates:application')).toBe(false);
    expect(hasGapOn(c, 'iam:ssh-keys')).toBe(false);
  });
});

describe('failedSyncJobs', () => {
  it('tells which child of the flow failed for good from the evaluator’s own problem rows', () => {
    const failed = (step: string) => problem({ step, kind: 'error', code: SYNC_JOB_FAILED });
    expect(failedSyncJobs([failed('iam:credential-report')])).toEqual({ iam: true, repositories: false });
    expect(failedSyncJobs([failed('codecommit:repositories')])).toEqual({ iam: false, repositories: true });
    // An ordinary error on an IAM step is a gap, not a failed job.
    expect(failedSyncJobs([problem({ step: 'iam:ssh-keys', kind: 'error' })])).toEqual({
      iam: false,
      repositories: false,
    });
  });
});
