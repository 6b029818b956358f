import { SYNC_STEPS } from '@codecommit-evidence/domain';

/**
 * Sync step names recorded on the run (problems, failed steps). The per-repository ones are those the
 * checks read (`packages/domain` SYNC_STEPS: a gap on `codecommit:pull-requests:<repo>` makes that
 * repository's peer review unknown).
 */
export const STEPS = {
  repositories: SYNC_STEPS.repositories,
  templates: SYNC_STEPS.approvalRuleTemplates,
  pullRequests: (repo: string) => `${SYNC_STEPS.pullRequests}:${repo}`,
  templatesOf: (repo: string) => `${SYNC_STEPS.approvalRuleTemplates}:${repo}`,
  branches: (repo: string) => `codecommit:branches:${repo}`,
  repository: (repo: string) => `codecommit:repository:${repo}`,
} as const;
