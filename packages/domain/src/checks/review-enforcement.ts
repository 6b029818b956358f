import { type DataGaps, describeGaps, gapsFor } from './completeness.js';
import {
  type ApprovalRuleTemplateEvidence,
  type RepositoryEvidence,
  SYNC_STEPS,
  type SyncRunEvidence,
} from './evidence.js';

/** `main` -> `refs/heads/main`; a full reference is kept. */
export function branchRef(branch: string): string {
  return branch.startsWith('refs/') ? branch : `refs/heads/${branch}`;
}

/**
 * Whether a template destination reference covers a branch reference: an exact match, or a `*`
 * wildcard (`refs/heads/*`, `refs/heads/release-*`) where `*` matches any characters.
 */
export function referenceCovers(pattern: string, ref: string): boolean {
  if (pattern === ref) return true;
  if (!pattern.includes('*')) return false;
  const re = new RegExp(
    `^${pattern
      .split('*')
      .map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
  );
  return re.test(ref);
}

export function templateCovers(template: ApprovalRuleTemplateEvidence, ref: string): boolean {
  return (
    template.destinationReferences.length === 0 ||
    template.destinationReferences.some((p) => referenceCovers(p, ref))
  );
}

export interface ReviewEnforcement {
  status: 'pass' | 'fail' | 'unknown';
  /** A clause for the finding's reason. */
  reason: string;
  evidence: Record<string, unknown>;
  gaps: DataGaps | null;
}

/**
 * Part (a) of the branch-protection and peer-review checks: an approval rule template associated with
 * the repository covers `refs/heads/<default>` and requires at least one approval.
 */
export function reviewEnforcement(
  repo: RepositoryEvidence & { defaultBranch: string },
  run: SyncRunEvidence,
): ReviewEnforcement {
  const ref = branchRef(repo.defaultBranch);
  const templates = repo.approvalRuleTemplates;
  if (templates === null) {
    const steps = [`${SYNC_STEPS.approvalRuleTemplates}:${repo.name}`];
    return {
      status: 'unknown',
      reason: `its approval rule templates were not collected (${describeGaps(run, steps)})`,
      evidence: { defaultBranchRef: ref, approvalRuleTemplates: null },
      gaps: gapsFor(run, steps),
    };
  }
  const judged = templates.map((t) => {
    const covers = templateCovers(t, ref);
    const problem = !covers
      ? `covers ${t.destinationReferences.join(', ')} only`
      : t.requiredApprovals < 1
        ? `requires ${t.requiredApprovals} approvals`
        : null;
    return {
      name: t.name,
      id: t.id,
      destinationReferences: t.destinationReferences,
      requiredApprovals: t.requiredApprovals,
      approvalPoolMembers: t.approvalPoolMembers,
      coversDefaultBranch: covers,
      problem,
    };
  });
  const qualifying = judged.filter((t) => t.problem === null);
  const evidence = { defaultBranchRef: ref, approvalRuleTemplates: judged };
  if (qualifying.length > 0) {
    const t = qualifying[0]!;
    return {
      status: 'pass',
      reason: `approval rule template ${t.name} requires ${t.requiredApprovals} approval${t.requiredApprovals === 1 ? '' : 's'} on ${ref}`,
      evidence,
      gaps: null,
    };
  }
  if (judged.length === 0) {
    return {
      status: 'fail',
      reason: `no approval rule template is associated with it, so nothing requires an approval on ${ref}`,
      evidence,
      gaps: null,
    };
  }
  return {
    status: 'fail',
    reason: `no associated approval rule template requires an approval on ${ref} (${judged
      .map((t) => `${t.name} ${t.problem}`)
      .join('; ')})`,
    evidence,
    gaps: null,
  };
}
