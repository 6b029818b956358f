import {
  analyzeCodeCommitAccess,
  type CodeCommitAccessSummary,
  type CodeCommitScope,
  type NamedPolicy,
  type PrincipalPolicies,
  type RepositoryRef,
} from '@codecommit-evidence/domain';

/**
 * Request keys the evaluator fills in from the principal itself (`principalRequestContext` in the
 * domain), lower-cased: a policy that names one of them, or uses a policy variable, may answer
 * differently for two principals with the same policies.
 */
const PRINCIPAL_KEYS = ['aws:principalarn', 'aws:username', 'aws:userid', 'aws:principaltag'];

/**
 * Services whose actions the access analysis evaluates: CodeCommit, and STS for role assumption. A
 * statement that can match none of their actions cannot change the analysis (AWS managed policies such
 * as AWSCodeCommitPowerUser name `${aws:username}` only in their `iam:` statements).
 */
const ANALYSED_SERVICES = ['codecommit', 'sts'];

function asList(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

function globToRegExp(glob: string): RegExp {
  const body = glob
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${body}$`, 'i');
}

/** Whether a statement may match some action of an analysed service (NotAction: assume it may). */
function mayMatchAnalysedAction(statement: Record<string, unknown>): boolean {
  if (statement['NotAction'] !== undefined) return true;
  return asList(statement['Action']).some((action) => {
    const service = action.includes(':') ? action.slice(0, action.indexOf(':')) : action;
    const re = globToRegExp(service);
    return ANALYSED_SERVICES.some((s) => re.test(s));
  });
}

function statementsOf(policy: NamedPolicy | null | undefined): Record<string, unknown>[] {
  const statements = policy?.document?.Statement as unknown;
  if (statements === undefined || statements === null) return [];
  return (Array.isArray(statements) ? statements : [statements]).filter(
    (st): st is Record<string, unknown> => typeof st === 'object' && st !== null,
  );
}

/** Whether some statement that can matter to the analysis names the principal's own keys or variables. */
function dependsOnIdentity(principal: PrincipalPolicies): boolean {
  for (const policy of [...principal.policies, principal.permissionsBoundary]) {
    for (const statement of statementsOf(policy)) {
      if (!mayMatchAnalysedAction(statement)) continue;
      const lower = JSON.stringify(statement).toLowerCase();
      if (lower.includes('${') || PRINCIPAL_KEYS.some((key) => lower.includes(key))) return true;
    }
  }
  return false;
}

const accountOf = (arn: string) => arn.split(':')[4] ?? '';

/**
 * What decides a principal's access analysis, as a string: its full policy set (every identity policy
 * with its source, so the user's own, each group's and each managed one, and the permissions boundary),
 * its type and account, and, only when a statement that may match a CodeCommit or STS action can tell
 * principals apart (policy variables, `aws:username`, `aws:PrincipalArn`, `aws:userid`, principal
 * tags), its identity too. Two principals
 * with the same key get the same answer from `analyzeCodeCommitAccess`, so thousands of users in a
 * handful of groups are analysed a handful of times.
 */
export function accessAnalysisKey(principal: PrincipalPolicies): string {
  const policies = JSON.stringify([principal.policies, principal.permissionsBoundary ?? null]);
  const identity = dependsOnIdentity(principal)
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
  scope: CodeCommitScope,
  analyze: (
    principal: PrincipalPolicies,
    repositories: RepositoryRef[],
    scope: CodeCommitScope,
  ) => CodeCommitAccessSummary = analyzeCodeCommitAccess,
): AccessAnalyzer {
  const byKey = new Map<string, CodeCommitAccessSummary>();
  return {
    analyze(principal) {
      const key = accessAnalysisKey(principal);
      const known = byKey.get(key);
      if (known) return { ...known, principalArn: principal.arn, principalType: principal.type };
      const summary = analyze(principal, repositories, scope);
      byKey.set(key, summary);
      return summary;
    },
    get distinct() {
      return byKey.size;
    },
  };
}

/** The unoptimised path: every principal analysed on its own (the reference the tests compare with). */
export function createStraightforwardAccessAnalyzer(
  repositories: RepositoryRef[],
  scope: CodeCommitScope,
): AccessAnalyzer {
  let count = 0;
  return {
    analyze(principal) {
      count += 1;
      return analyzeCodeCommitAccess(principal, repositories, scope);
    },
    get distinct() {
      return count;
    },
  };
}
