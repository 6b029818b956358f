import {
  analyzeCodeCommitAccess,
  type CodeCommitAccessSummary,
  type PrincipalPolicies,
  type RepositoryRef,
} from '@codecommit-evidence/domain';

/**
 * Request keys the evaluator fills in from the principal itself (`principalRequestContext` in the
 * domain), lower-cased: a policy that names one of them, or uses a policy variable, may answer
 * differently for two principals with the same policies.
 */
const PRINCIPAL_KEYS = ['aws:principalarn', 'aws:username', 'aws:userid', 'aws:principaltag'];

function dependsOnIdentity(policiesJson: string): boolean {
  const lower = policiesJson.toLowerCase();
  return lower.includes('${') || PRINCIPAL_KEYS.some((key) => lower.includes(key));
}

const accountOf = (arn: string) => arn.split(':')[4] ?? '';

/**
 * What decides a principal's access analysis, as a string: its full policy set (every identity policy
 * with its source, so the user's own, each group's and each managed one, and the permissions boundary),
 * its type and account, and, only when some policy can tell principals apart (policy variables,
 * `aws:username`, `aws:PrincipalArn`, `aws:userid`, principal tags), its identity too. Two principals
 * with the same key get the same answer from `analyzeCodeCommitAccess`, so thousands of users in a
 * handful of groups are analysed a handful of times.
 */
export function accessAnalysisKey(principal: PrincipalPolicies): string {
  const policies = JSON.stringify([principal.policies, principal.permissionsBoundary ?? null]);
  const identity = dependsOnIdentity(policies)
    ? [principal.arn, principal.name, principal.userId ?? null, principal.tags ?? null]
    : null;
  return JSON.stringify([principal.type, accountOf(principal.arn), identity, policies]);
}

export interface AccessAnalyzer {
  /** The principal's access over the analyzer's repositories, computed once per distinct key. */
  analyze(principal: PrincipalPolicies): CodeCommitAccessSummary;
  /** How many distinct analyses were computed so far. */
  readonly distinct: number;
}

/**
 * `analyzeCodeCommitAccess` over one list of repositories, memoised on `accessAnalysisKey`. The summary
 * of a principal that shares its key with an earlier one is that summary (same repository entries,
 * shared, never mutated) with the principal's own ARN and type.
 */
export function createAccessAnalyzer(
  repositories: RepositoryRef[],
  analyze: (
    principal: PrincipalPolicies,
    repositories: RepositoryRef[],
  ) => CodeCommitAccessSummary = analyzeCodeCommitAccess,
): AccessAnalyzer {
  const byKey = new Map<string, CodeCommitAccessSummary>();
  return {
    analyze(principal) {
      const key = accessAnalysisKey(principal);
      const known = byKey.get(key);
      if (known) return { ...known, principalArn: principal.arn, principalType: principal.type };
      const summary = analyze(principal, repositories);
      byKey.set(key, summary);
      return summary;
    },
    get distinct() {
      return byKey.size;
    },
  };
}

/** The unoptimised path: every principal analysed on its own (the reference the tests compare with). */
export function createStraightforwardAccessAnalyzer(repositories: RepositoryRef[]): AccessAnalyzer {
  let count = 0;
  return {
    analyze(principal) {
      count += 1;
      return analyzeCodeCommitAccess(principal, repositories);
    },
    get distinct() {
      return count;
    },
  };
}
