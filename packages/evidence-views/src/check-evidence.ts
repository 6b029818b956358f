import { AWS_REGIONS, partitionOfRegion } from '@codecommit-evidence/aws-clients';
import {
  type CheckEvidence,
  type CodeCommitScope,
  createAccessAnalysis,
  DEFAULT_AUDIT_WINDOW_DAYS,
  type IamRoleEvidence,
  type IamUserEvidence,
  SYNC_STEPS,
} from '@codecommit-evidence/domain';
import {
  type Connection,
  type Database,
  type EvidenceRow,
  type EvidenceTable,
  getConnectionById,
  getSyncRun,
  type IdentityLink,
  listApprovalsAsOf,
  listIdentityLinks,
  listPeople,
  listPullRequestsOfRepositoriesAsOf,
  listSyncProblems,
  type Person,
  type SyncRun,
  selectAsOf,
} from '@codecommit-evidence/evidence-store';
import type { Kysely } from 'kysely';
import { createAccessAnalyzer, createStraightforwardAccessAnalyzer } from './access-analysis.js';
import {
  completenessFromProblems,
  failedSyncJobs,
  hasGapOn,
  type ProblemInput,
  type RunCompleteness,
} from './completeness.js';
import { rootEvidence, userCredentials } from './credentials.js';
import { identityLinkEvidence, personEvidence } from './people.js';
import {
  asPolicyDocument,
  indexPolicies,
  rolePrincipalPolicies,
  type UnresolvedReference,
  userPrincipalPolicies,
} from './principal-policies.js';
import {
  associatedTemplates,
  pullRequestEvidence,
  repositoryEvidence,
  repositoryRef,
} from './repositories.js';

export type EvidenceViewErrorCode = 'connection_not_found' | 'sync_run_not_found';

export class EvidenceViewError extends Error {
  override name = 'EvidenceViewError';
  constructor(
    readonly code: EvidenceViewErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** Every evidence row of one connection as of one sync run, plus the run's problems and the roster. */
export interface RunEvidenceRows {
  repositories: EvidenceRow<'repositories'>[];
  templates: EvidenceRow<'approval_rule_templates'>[];
  associations: EvidenceRow<'repository_template_associations'>[];
  pullRequests: EvidenceRow<'pull_requests'>[];
  approvals: EvidenceRow<'pull_request_approvals'>[];
  users: EvidenceRow<'iam_users'>[];
  groups: EvidenceRow<'iam_groups'>[];
  roles: EvidenceRow<'iam_roles'>[];
  managedPolicies: EvidenceRow<'iam_managed_policies'>[];
  credentialReport: EvidenceRow<'iam_credential_report_rows'>[];
  problems: ProblemInput[];
  people: Pick<Person, 'email' | 'name' | 'status' | 'offboarded_at'>[];
  identityLinks: Pick<IdentityLink, 'iam_user_arn' | 'person_email'>[];
}

/** Something the assembly noticed that the checks cannot see: kept with the check run as a note. */
export interface AssemblyNote {
  code: 'policy_not_collected' | 'iam_not_collected' | 'roles_not_collected';
  message: string;
  details?: unknown;
}

export interface AssembleContext {
  syncRunId: number;
  accountId: string;
  region: string;
  evaluatedAt: Date;
  auditWindowDays: number;
}

// What `localeCompare(…, 'en', { numeric: true })` compares with, built once instead of per call.
const byNumericId = new Intl.Collator('en', { numeric: true }).compare;

export interface AssembleOptions {
  /**
   * Analyse every principal on its own instead of once per distinct policy set: the reference path
   * that the tests compare the memoised one with. Same answers, far more work.
   */
  straightforward?: boolean;
  /**
   * Leave `evidence.repositories` empty: the caller reads the repositories' pull requests and builds
   * their evidence a batch at a time (`loadCheckEvidenceInBatches`).
   */
  withoutRepositories?: boolean;
}

/**
 * The checks' evidence from the rows of one run: pure, so that it is tested without a database.
 *
 * Gaps decide over rows: the store keeps a resource's last version until a run sees it change, so a
 * run that could not collect something still "holds" the rows of an earlier run. Where the run
 * recorded a gap, the assembly says null (not collected) instead of passing those rows off as this
 * run's: credential-report fields, SSH keys, Git credentials, each repository's templates and pull
 * requests, and the whole IAM inventory when the IAM sync failed for good or could not read principals.
 * Repositories are kept when their step has a gap: the access analysis needs some list of repositories
 * (with none, every principal would have "no access"), the last known one is the best there is, and
 * the checks already turn a gap on the repository inventory into an unknown.
 */
export function assembleCheckEvidence(
  rows: RunEvidenceRows,
  context: AssembleContext,
  options: AssembleOptions = {},
): AssembledEvidence {
  const steps = assemblySteps(rows, context, options);
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
  }
}

/**
 * `assembleCheckEvidence`, handing the event loop back every few milliseconds of work, so that a
 * long assembly does not hold up timers (a BullMQ job lock's renewal) or I/O.
 */
export async function assembleCheckEvidenceYielding(
  rows: RunEvidenceRows,
  context: AssembleContext,
  options: AssembleOptions & { sliceMs?: number } = {},
): Promise<AssembledEvidence> {
  return runStepsYielding(assemblySteps(rows, context, options), options.sliceMs);
}

/**
 * Runs a generator of units of work to its end, handing the event loop back whenever `sliceMs` of
 * work have passed since the last time, so that timers (a BullMQ job lock's renewal) and I/O run.
 */
export async function runStepsYielding<T>(steps: Generator<void, T, void>, sliceMs = 20): Promise<T> {
  let sliceStart = performance.now();
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
    if (performance.now() - sliceStart >= sliceMs) {
      await new Promise((resolve) => setImmediate(resolve));
      sliceStart = performance.now();
    }
  }
}

export interface AssembledEvidence {
  evidence: CheckEvidence;
  completeness: RunCompleteness;
  notes: AssemblyNote[];
}

type RoleWithTrustPolicy = {
  row: RunEvidenceRows['roles'][number];
  principal: ReturnType<typeof rolePrincipalPolicies>['principal'];
  trustPolicy: ReturnType<typeof asPolicyDocument>;
};

/** A pause point every this many principals or repositories. */
const STEP = 25;

/** The assembly as a generator: it yields between units of work and returns the evidence. */
function* assemblySteps(
  rows: RunEvidenceRows,
  context: AssembleContext,
  options: AssembleOptions,
): Generator<void, AssembledEvidence> {
  const completeness = completenessFromProblems(rows.problems);
  const notes: AssemblyNote[] = [];
  const failed = failedSyncJobs(rows.problems);
  const gap = (step: string) => hasGapOn(completeness, step);

  // Either path can fail to list the principals: the account-wide details, or the per-user fallback.
  const iamCollected = !failed.iam && !gap(SYNC_STEPS.authorizationDetails) && !gap(SYNC_STEPS.users);
  // Missing data is never a pass, and never makes a principal vanish: when this run did not collect
  // IAM, the last known users, groups, roles and policies (the evidence still current at this run:
  // nothing was retired) are assembled as before, and the checks turn what they would have passed into
  // unknown, naming the gap (packages/domain `unlessScopeMissing`). A first run without IAM has none.
  if (!iamCollected)
    notes.push({
      code: 'iam_not_collected',
      message:
        'IAM users, groups, roles and policies were not collected in this run; the last known ones are judged, and none of them can pass.',
    });
  // Roles not collected stay null (paths through them are unknown), as before.
  const rolesCollected = iamCollected && !gap(SYNC_STEPS.roles);
  if (iamCollected && !rolesCollected)
    notes.push({ code: 'roles_not_collected', message: 'IAM roles were not collected in this run.' });
  const collected = {
    credentialReport: !failed.iam && !gap(SYNC_STEPS.credentialReport),
    sshKeys: !failed.iam && !gap(SYNC_STEPS.sshKeys),
    gitCredentials: !failed.iam && !gap(SYNC_STEPS.gitCredentials),
  };

  const repositories = [...rows.repositories].sort(byRepositoryName);
  const refs = repositories.map(repositoryRef);
  const scope = codeCommitScope(context);
  const analyzer = options.straightforward
    ? createStraightforwardAccessAnalyzer(refs, scope)
    : createAccessAnalyzer(refs, scope);
  const index = indexPolicies(rows.groups, rows.managedPolicies);
  const unresolved: UnresolvedReference[] = [];
  const reportByArn = new Map(rows.credentialReport.filter((r) => !r.is_root).map((r) => [r.arn, r]));

  const builtRoles: RoleWithTrustPolicy[] = [];
  if (rolesCollected) {
    const sorted = [...rows.roles].sort((a, b) => a.role_name.localeCompare(b.role_name));
    for (const [i, r] of sorted.entries()) {
      if (i % STEP === 0) yield;
      const built = rolePrincipalPolicies(r, index);
      unresolved.push(...built.unresolved);
      builtRoles.push({
        row: r,
        principal: built.principal,
        trustPolicy: asPolicyDocument(r.assume_role_policy),
      });
    }
  }
  // Every path to CodeCommit: own policies in every Region (analysed once per distinct policy set by
  // the analyzer), and roles the principal may assume. The role graph is built once here for all
  // principals of the run.
  const analysis = createAccessAnalysis({
    repositories: refs,
    scope,
    roles: rolesCollected ? builtRoles : null,
    ownAccess: (principal) => analyzer.analyze(principal),
  });
  const users: IamUserEvidence[] = [];
  {
    const sorted = [...rows.users].sort((a, b) => a.user_name.localeCompare(b.user_name));
    for (const [i, u] of sorted.entries()) {
      if (i % STEP === 0) yield;
      const built = userPrincipalPolicies(u, index);
      unresolved.push(...built.unresolved);
      users.push({
        arn: u.arn,
        userName: u.user_name,
        userId: u.user_id ?? '',
        tags: u.tags ?? {},
        credentials: userCredentials(u, reportByArn.get(u.arn), collected),
        access: analysis.analyze(built.principal),
      });
    }
  }
  const roles: IamRoleEvidence[] = [];
  for (const [i, r] of builtRoles.entries()) {
    if (i % STEP === 0) yield;
    roles.push({ arn: r.row.arn, roleName: r.row.role_name, access: analysis.analyze(r.principal) });
  }
  if (unresolved.length > 0)
    notes.push({
      code: 'policy_not_collected',
      message: `${unresolved.length} policy or group reference(s) had no document in this run; the access they may grant is reported as unknown.`,
      details: unresolved.slice(0, 100),
    });

  const repositoryEvidenceList = options.withoutRepositories
    ? []
    : yield* repositoriesSteps(repositories, rows);

  const evidence: CheckEvidence = {
    run: {
      syncRunId: String(context.syncRunId),
      accountId: context.accountId,
      region: context.region,
      evaluatedAt: context.evaluatedAt,
      auditWindowDays: context.auditWindowDays,
      completeness,
    },
    users,
    roles,
    root: rootEvidence(rows.credentialReport, collected.credentialReport),
    people: rows.people.map(personEvidence),
    identityLinks: rows.identityLinks.map(identityLinkEvidence),
    repositories: repositoryEvidenceList,
  };
  return { evidence, completeness, notes };
}

/** The order of the run's repositories in the checks' evidence (and so in their findings). */
const byRepositoryName = (a: EvidenceRow<'repositories'>, b: EvidenceRow<'repositories'>) =>
  a.repository_name.localeCompare(b.repository_name);

/** What building repositories' evidence reads besides the repositories: the whole run's, or a batch's. */
type RepositoryParts = Pick<
  RunEvidenceRows,
  'templates' | 'associations' | 'pullRequests' | 'approvals' | 'problems'
>;

/**
 * The evidence of `repositories` (in that order) from their templates and pull requests: `parts` may
 * hold the pull requests and approvals of the whole run or only of these repositories.
 */
function* repositoriesSteps(
  repositories: readonly EvidenceRow<'repositories'>[],
  parts: RepositoryParts,
): Generator<void, CheckEvidence['repositories']> {
  const completeness = completenessFromProblems(parts.problems);
  const failed = failedSyncJobs(parts.problems);
  const gap = (step: string) => hasGapOn(completeness, step);
  const templatesByName = new Map(parts.templates.map((t) => [t.template_name, t]));
  const prsByRepository = new Map<string, EvidenceRow<'pull_requests'>[]>();
  for (const pr of parts.pullRequests) {
    const list = prsByRepository.get(pr.repository_name) ?? [];
    list.push(pr);
    prsByRepository.set(pr.repository_name, list);
  }
  const approvalsByPr = new Map<string, EvidenceRow<'pull_request_approvals'>[]>();
  for (const a of [...parts.approvals].sort((x, y) => x.id - y.id)) {
    const list = approvalsByPr.get(a.pull_request_id) ?? [];
    list.push(a);
    approvalsByPr.set(a.pull_request_id, list);
  }

  yield;
  const out: CheckEvidence['repositories'] = [];
  for (const [i, repo] of repositories.entries()) {
    if (i % STEP === 0) yield;
    const name = repo.repository_name;
    const templatesCollected = !failed.repositories && !gap(`${SYNC_STEPS.approvalRuleTemplates}:${name}`);
    const prsCollected = !failed.repositories && !gap(`${SYNC_STEPS.pullRequests}:${name}`);
    out.push(
      repositoryEvidence(repo, {
        approvalRuleTemplates: templatesCollected
          ? associatedTemplates(repo.repository_id, parts.associations, templatesByName)
          : null,
        pullRequests: prsCollected
          ? (prsByRepository.get(name) ?? [])
              .sort((a, b) => byNumericId(a.pull_request_id, b.pull_request_id))
              .map((pr) => pullRequestEvidence(pr, approvalsByPr.get(pr.pull_request_id) ?? []))
          : null,
      }),
    );
  }
  return out;
}

/**
 * The account's CodeCommit as the access analysis sees it: the CodeCommit Regions of the connection's
 * partition (a grant scoped to another Region is access too).
 */
export function codeCommitScope(context: Pick<AssembleContext, 'accountId' | 'region'>): CodeCommitScope {
  const partition = partitionOfRegion(context.region) ?? 'aws';
  return {
    accountId: context.accountId,
    partition,
    regions: AWS_REGIONS.filter((r) => r.codecommit && r.partition === partition).map((r) => r.name),
  };
}

async function asOf<T extends EvidenceTable>(
  db: Kysely<Database>,
  table: T,
  connectionId: string,
  runId: number,
): Promise<EvidenceRow<T>[]> {
  // biome-ignore lint/suspicious/noExplicitAny: generic over evidence tables
  const q = selectAsOf(db, table, connectionId, runId) as any;
  return (await q.selectAll().orderBy('id').execute()) as EvidenceRow<T>[];
}

/** The connection and the sync run, checked to belong together. */
export async function getConnectionRun(
  db: Kysely<Database>,
  connectionId: string,
  runId: number,
): Promise<{ connection: Connection; syncRun: SyncRun }> {
  const connection = await getConnectionById(db, connectionId);
  if (!connection)
    throw new EvidenceViewError('connection_not_found', `connection ${connectionId} does not exist`);
  const syncRun = await getSyncRun(db, runId);
  if (!syncRun || syncRun.connection_id !== connectionId)
    throw new EvidenceViewError(
      'sync_run_not_found',
      `sync run ${runId} of connection ${connectionId} does not exist`,
    );
  return { connection, syncRun };
}

/**
 * Reads every evidence table as of `runId`, the run's problems, and the roster and links as of
 * `rosterAsOf`. `withPullRequests: false` leaves the pull requests and approvals out (empty): the
 * largest tables, which the evaluator reads by batch of repositories and the access review not at all.
 */
export async function loadRunEvidenceRows(
  db: Kysely<Database>,
  input: { connectionId: string; tenantId: string; runId: number; rosterAsOf: Date },
  options: { withPullRequests?: boolean } = {},
): Promise<RunEvidenceRows> {
  const { connectionId, runId } = input;
  const withPullRequests = options.withPullRequests ?? true;
  const [
    repositories,
    templates,
    associations,
    pullRequests,
    approvals,
    users,
    groups,
    roles,
    managedPolicies,
    credentialReport,
    problems,
    people,
    identityLinks,
  ] = await Promise.all([
    asOf(db, 'repositories', connectionId, runId),
    asOf(db, 'approval_rule_templates', connectionId, runId),
    asOf(db, 'repository_template_associations', connectionId, runId),
    withPullRequests ? asOf(db, 'pull_requests', connectionId, runId) : [],
    withPullRequests ? asOf(db, 'pull_request_approvals', connectionId, runId) : [],
    asOf(db, 'iam_users', connectionId, runId),
    asOf(db, 'iam_groups', connectionId, runId),
    asOf(db, 'iam_roles', connectionId, runId),
    asOf(db, 'iam_managed_policies', connectionId, runId),
    asOf(db, 'iam_credential_report_rows', connectionId, runId),
    listSyncProblems(db, runId),
    listPeople(db, input.tenantId, input.rosterAsOf),
    listIdentityLinks(db, input.tenantId, input.rosterAsOf),
  ]);
  return {
    repositories,
    templates,
    associations,
    pullRequests,
    approvals,
    users,
    groups,
    roles,
    managedPolicies,
    credentialReport,
    problems,
    people,
    identityLinks,
  };
}

export interface LoadCheckEvidenceInput {
  connectionId: string;
  runId: number;
  /** The roster and identity links as of this instant. */
  rosterAsOf: Date;
  /**
   * The instant the checks judge (end of the audit window, offboarding dates). Default: the sync run's
   * finish, so that evaluating a run again gives the same answer whenever it is done.
   */
  evaluatedAt?: Date;
}

export interface LoadedCheckEvidence {
  evidence: CheckEvidence;
  completeness: RunCompleteness;
  notes: AssemblyNote[];
  connection: Connection;
  syncRun: SyncRun;
}

/** The checks' evidence of one sync run of a connection, read from the evidence store. */
export async function loadCheckEvidence(
  db: Kysely<Database>,
  input: LoadCheckEvidenceInput,
): Promise<LoadedCheckEvidence> {
  const { loaded } = await loadEvidence(db, input, { batches: false });
  return loaded;
}

/**
 * The checks' evidence of one sync run without its repositories (`evidence.repositories` is empty),
 * and the repositories in batches, each read with its pull requests and approvals when asked for: the
 * pull requests are most of a run's evidence (200,000 at 10,000 repositories), so a caller that judges
 * each batch and drops it holds one batch of them at a time. The batches come in the order
 * `loadCheckEvidence` lists the repositories, and each repository's evidence is the one it builds.
 */
export interface CheckEvidenceInBatches extends LoadedCheckEvidence {
  repositoryCount: number;
  repositoryBatches(options?: { size?: number }): AsyncGenerator<CheckEvidence['repositories']>;
}

/** Repositories per batch: 200 x 20 pull requests at 10x, 200 x 50 at the 1,000-repository bench. */
export const REPOSITORY_BATCH = 200;
/** Pull request ids per approvals query (one bind parameter each; Postgres allows 65,535). */
const APPROVALS_QUERY_IDS = 5000;

export async function loadCheckEvidenceInBatches(
  db: Kysely<Database>,
  input: LoadCheckEvidenceInput,
): Promise<CheckEvidenceInBatches> {
  const { loaded, repositories, parts } = await loadEvidence(db, input, { batches: true });
  const target = { connectionId: input.connectionId, runId: input.runId };
  async function* repositoryBatches(options: { size?: number } = {}) {
    const size = options.size ?? REPOSITORY_BATCH;
    for (let i = 0; i < repositories.length; i += size) {
      const batch = repositories.slice(i, i + size);
      const pullRequests = await listPullRequestsOfRepositoriesAsOf(
        db,
        target,
        batch.map((r) => r.repository_name),
      );
      const ids = [...new Set(pullRequests.map((pr) => pr.pull_request_id))];
      const approvals: EvidenceRow<'pull_request_approvals'>[] = [];
      for (let j = 0; j < ids.length; j += APPROVALS_QUERY_IDS)
        approvals.push(...(await listApprovalsAsOf(db, target, ids.slice(j, j + APPROVALS_QUERY_IDS))));
      yield await runStepsYielding(repositoriesSteps(batch, { ...parts, pullRequests, approvals }));
    }
  }
  return { ...loaded, repositoryCount: repositories.length, repositoryBatches };
}

async function loadEvidence(
  db: Kysely<Database>,
  input: LoadCheckEvidenceInput,
  options: { batches: boolean },
): Promise<{
  loaded: LoadedCheckEvidence;
  repositories: EvidenceRow<'repositories'>[];
  parts: Omit<RepositoryParts, 'pullRequests' | 'approvals'>;
}> {
  const { connection, syncRun } = await getConnectionRun(db, input.connectionId, input.runId);
  const rows = await loadRunEvidenceRows(
    db,
    {
      connectionId: input.connectionId,
      tenantId: connection.tenant_id,
      runId: input.runId,
      rosterAsOf: input.rosterAsOf,
    },
    { withPullRequests: !options.batches },
  );
  const evaluatedAt = input.evaluatedAt ?? syncRun.finished_at ?? syncRun.started_at ?? syncRun.created_at;
  // CPU-bound: it pauses every few milliseconds so that timers (a job lock's renewal) keep running.
  const assembled = await assembleCheckEvidenceYielding(
    rows,
    {
      syncRunId: syncRun.id,
      // What the run was taken with, so that re-evaluating an old run keeps its old answer.
      accountId: syncRun.aws_account_id ?? connection.aws_account_id ?? '',
      region: syncRun.region ?? connection.region ?? '',
      evaluatedAt,
      auditWindowDays: syncRun.audit_window_days || connection.audit_window_days || DEFAULT_AUDIT_WINDOW_DAYS,
    },
    { withoutRepositories: options.batches },
  );
  // Only what the batches need is kept (not the IAM rows).
  return {
    loaded: { ...assembled, connection, syncRun },
    repositories: options.batches ? [...rows.repositories].sort(byRepositoryName) : [],
    parts: { templates: rows.templates, associations: rows.associations, problems: rows.problems },
  };
}
