/**
 * `sync-iam`: a connection's IAM as evidence, in two phases kept apart by the job's progress marker.
 *
 * 1. identities: users, groups, roles and managed policies (GetAccountAuthorizationDetails, else the
 *    per-entity calls), each user's SSH keys and HTTPS Git credentials; written, deletions retired.
 * 2. credential report: requested; while IAM generates it the job re-schedules itself instead of
 *    holding a worker, and resumes at phase 2 (identities are not fetched again). A report that does
 *    not come within the bound fails that step with its reason; the identities stay, the run is partial.
 */

import {
  CredentialReportParseError,
  parseCredentialReport,
  requestCredentialReport,
} from '@codecommit-evidence/aws-clients';
import { scopes } from '@codecommit-evidence/domain';
import {
  type Database,
  type EvidenceInput,
  type EvidenceTable,
  retireMissing,
  selectCurrent,
  type WriteStats,
  writeEvidence,
} from '@codecommit-evidence/evidence-store';
import type { SyncRunPayload } from '@codecommit-evidence/queues';
import {
  isMissing,
  type Missing,
  type SyncContext,
  SyncError,
  type SyncJobContext,
  type SyncJobDefinition,
  type SyncWorkerDeps,
} from '@codecommit-evidence/sync-support';
import type { Kysely, Transaction } from 'kysely';
import { z } from 'zod';
import { collectAuthorizationDetails } from '../collect/authorization-details.js';
import { collectManagedPolicies, collectRoles, collectUsersAndGroups } from '../collect/per-entity.js';
import { collectGitCredentials, collectSshPublicKeys } from '../collect/user-credentials.js';
import { credentialReportEvidence } from '../credential-report-rows.js';
import {
  type GitCredentialFacts,
  groupsWithMembers,
  type IamGroupRow,
  type IamIdentities,
  type IamManagedPolicyRow,
  type IamUserIdentity,
  type IamUserRow,
  policiesInUse,
  type SshPublicKeyFacts,
} from '../iam-evidence.js';

/** The evidence scopes this job records (packages/domain `scopes`). */
export const STEPS = {
  authorizationDetails: scopes.authorizationDetails,
  users: scopes.users,
  roles: scopes.roles,
  credentialReport: scopes.credentialReport,
  sshKeys: scopes.sshKeys,
  gitCredentials: scopes.gitCredentials,
} as const;

export interface IamSyncSettings {
  /** Per-entity AWS calls in flight per job (the account's shared limiter gates them as well). */
  callConcurrency: number;
  /** IAM MaxItems (1-1000); tests lower it to exercise pagination. */
  pageSize?: number;
  credentialReport: {
    /** How long to wait before looking again while IAM generates the report. */
    pollIntervalMs: number;
    /** Give up after waiting this long, or after `maxPolls` looks, whichever comes first. */
    maxWaitMs: number;
    maxPolls: number;
    /** Reuse a report younger than this (default: aws-clients' 4 hours, IAM's own window). */
    maxAgeMs?: number;
  };
}

/** What `sync-iam` runs with: the sync workers' dependencies and its own settings, flat like repo-sync's. */
export type SyncIamDeps = SyncWorkerDeps & { settings: IamSyncSettings };

export type IdentitiesPath = 'authorization-details' | 'per-entity';

export interface SyncIamResult {
  identities: IamSyncProgress['identities'];
  credentialReport:
    | { status: 'stored'; generatedTime: string; rows: number; writes: WriteStats; retired: number }
    | { status: 'failed'; reason: string };
}

/**
 * Where a resumed job is, kept in the job's progress (sync-support's one phase mechanism): the
 * identities are written and the job is polling for the credential report.
 */
export const IamSyncProgress = z.object({
  phase: z.literal('waiting-report'),
  /** When the first poll happened (epoch ms): the bound on waiting counts from here. */
  since: z.number(),
  polls: z.number().int().min(0),
  /** What the identities phase did, reported again in the job's result. */
  identities: z.record(z.string(), z.unknown()),
});
export type IamSyncProgress = z.infer<typeof IamSyncProgress>;

type Ctx = SyncJobContext<{ settings: IamSyncSettings }>;

/** `sync-iam` on the sync kernel: `(payload, ctx) => result`. */
export const syncIamJob: SyncJobDefinition<SyncRunPayload, SyncIamResult, { settings: IamSyncSettings }> = {
  step: () => STEPS.authorizationDetails,
  async handle(_payload, ctx) {
    const saved = ctx.progress(IamSyncProgress);
    let progress = saved.value;
    if (!progress) {
      const identities = await syncIdentities(ctx);
      progress = { phase: 'waiting-report', since: ctx.now().getTime(), polls: 0, identities };
      // The marker is saved only once the identities are committed: a crash before it redoes them
      // (idempotently), a crash after it never does.
      await saved.save(progress);
      await ctx.setStep(STEPS.credentialReport, {
        status: 'running',
        startedAt: new Date(progress.since).toISOString(),
      });
    }
    ctx.phase(STEPS.credentialReport);
    const credentialReport = await syncCredentialReport(ctx, progress);
    const complete = progress.identities.complete as CollectedIdentities['complete'] | undefined;
    if (credentialReport.status === 'failed' && complete && !complete.users && !complete.roles) {
      // Nothing at all could be read: a role without IAM permissions. Retrying will not change that.
      throw new SyncError(
        'access_denied',
        `the role may read neither IAM identities nor the credential report (${credentialReport.reason})`,
        { step: STEPS.credentialReport },
      );
    }
    return { identities: progress.identities, credentialReport };
  },
};

// ---- identities --------------------------------------------------------------------------------

interface CollectedIdentities {
  path: IdentitiesPath;
  identities: IamIdentities;
  /** Tables whose collection is complete: only those have missing rows retired. */
  complete: { users: boolean; groups: boolean; roles: boolean; policies: boolean };
}

async function syncIdentities(ctx: Ctx): Promise<Record<string, unknown>> {
  const { deps } = ctx;
  const collected = await collectIdentities(ctx, deps.settings);
  const { identities } = collected;
  const userNames = identities.users.map((u) => u.user_name);

  const ssh = await collectOptional(
    ctx,
    STEPS.sshKeys,
    'iam:ListSSHPublicKeys',
    collected.complete.users,
    () =>
      collectSshPublicKeys(ctx.iam, userNames, {
        concurrency: deps.settings.callConcurrency,
        ...pageSizeOf(deps.settings),
      }),
  );
  const git = await collectOptional(
    ctx,
    STEPS.gitCredentials,
    'iam:ListServiceSpecificCredentials',
    collected.complete.users,
    async () =>
      (
        await collectGitCredentials(ctx.iam, userNames, {
          concurrency: deps.settings.callConcurrency,
          ...pageSizeOf(deps.settings),
        })
      ).credentials,
  );
  // A credential scope that gave no data (denied, faulted, answered invalid) keeps each user's stored
  // value for it: rewriting every user with null would version all of them and close evidence the
  // run did not see change (issue 11). The checks ignore kept values while the scope has a gap.
  const stored =
    ssh === null || git === null
      ? new Map(
          (
            await selectCurrent(deps.db, 'iam_users', ctx.connection.id)
              .select(['user_name', 'ssh_public_keys', 'service_specific_credentials'])
              .execute()
          ).map((u) => [u.user_name, u]),
        )
      : undefined;
  const users: IamUserRow[] = identities.users.map((u) =>
    withCredentials(u, ssh, git, stored?.get(u.user_name)),
  );

  const writes: Record<string, WriteStats & { retired: number }> = {};
  ctx.log.info({ path: collected.path, users: users.length }, 'writing IAM identities');
  await deps.db.transaction().execute(async (trx) => {
    const write = async <T extends EvidenceTable>(table: T, rows: EvidenceInput<T>[], complete: boolean) => {
      const stats = await writeEvidence(trx, table, ctx.target, rows);
      const retired = complete
        ? await retireMissing(trx, table, ctx.target, {}, rows as Record<string, unknown>[])
        : 0;
      writes[table] = { ...stats, retired };
    };
    if (collected.complete.users) await write('iam_users', users, true);
    if (collected.complete.groups) await write('iam_groups', identities.groups, true);
    if (collected.complete.roles) await write('iam_roles', identities.roles, true);
    await write('iam_managed_policies', identities.policies, collected.complete.policies);
  });
  return {
    path: collected.path,
    users: users.length,
    groups: identities.groups.length,
    roles: identities.roles.length,
    policies: identities.policies.length,
    sshKeys: ssh === null ? 'not collected' : 'collected',
    gitCredentials: git === null ? 'not collected' : 'collected',
    complete: collected.complete,
    writes,
  };
}

async function collectIdentities(ctx: SyncContext, settings: IamSyncSettings): Promise<CollectedIdentities> {
  const options = { concurrency: settings.callConcurrency, ...pageSizeOf(settings) };
  await ctx.setStep(STEPS.authorizationDetails, 'running');
  // Not a data gap when the fallback gets everything: a denial is a warning, not a missing permission.
  const details = await ctx.call(
    STEPS.authorizationDetails,
    'iam:GetAccountAuthorizationDetails',
    () => collectAuthorizationDetails(ctx.iam, pageSizeOf(settings)),
    { fallback: 'using the per-user calls instead, which take several calls per user' },
  );
  if (!isMissing(details)) {
    const { identities, missingPolicyArns } = details;
    let policiesComplete = true;
    if (missingPolicyArns.length > 0) {
      // In use (e.g. only as a permissions boundary) but not in the listing: fetch those one by one.
      const extra = await ctx.call(STEPS.authorizationDetails, 'iam:GetPolicy', () =>
        collectManagedPolicies(ctx.iam, missingPolicyArns, options),
      );
      if (!isMissing(extra))
        identities.policies = [...identities.policies, ...extra].sort((a, b) => cmp(a.arn, b.arn));
      else policiesComplete = false;
    }
    await ctx.setStep(STEPS.authorizationDetails, 'succeeded', summary(identities));
    return {
      path: 'authorization-details',
      identities,
      complete: { users: true, groups: true, roles: true, policies: policiesComplete },
    };
  }
  if (details.reason !== 'denied') {
    // A lasting fault (or a malformed answer): recorded on the scope; the identities of earlier runs stay.
    await ctx.setStep(STEPS.authorizationDetails, 'failed', details.message.slice(0, 500));
    return {
      path: 'authorization-details',
      identities: { users: [], groups: [], roles: [], policies: [] },
      complete: { users: false, groups: false, roles: false, policies: false },
    };
  }
  await ctx.setStep(STEPS.authorizationDetails, 'skipped', 'denied: using the per-user calls');
  return collectPerEntity(ctx, options);
}

async function collectPerEntity(
  ctx: SyncContext,
  options: { concurrency: number; pageSize?: number },
): Promise<CollectedIdentities> {
  await ctx.setStep(STEPS.users, 'running');
  const usersAndGroups = present(
    await ctx.call(STEPS.users, 'iam:ListUsers', () => collectUsersAndGroups(ctx.iam, options)),
  );
  await ctx.setStep(STEPS.roles, 'running');
  const roles = present(await ctx.call(STEPS.roles, 'iam:ListRoles', () => collectRoles(ctx.iam, options)));
  await ctx.setStep(
    STEPS.roles,
    roles ? 'succeeded' : 'failed',
    roles ? `${roles.length} roles` : 'not collected',
  );

  const users: IamUserIdentity[] = usersAndGroups?.users ?? [];
  const groups: IamGroupRow[] = usersAndGroups ? groupsWithMembers(usersAndGroups.groups, users) : [];
  const arns = policiesInUse({ users, groups, roles: roles ?? [] });
  const policies: IamManagedPolicyRow[] | undefined = present(
    await ctx.call(STEPS.users, 'iam:GetPolicy', () => collectManagedPolicies(ctx.iam, arns, options)),
  );
  const identities: IamIdentities = { users, groups, roles: roles ?? [], policies: policies ?? [] };
  const ok = usersAndGroups !== undefined && policies !== undefined;
  await ctx.setStep(STEPS.users, ok ? 'succeeded' : 'failed', ok ? summary(identities) : 'not collected');
  return {
    path: 'per-entity',
    identities,
    complete: {
      users: usersAndGroups !== undefined,
      groups: usersAndGroups !== undefined,
      roles: roles !== undefined,
      policies: ok && roles !== undefined,
    },
  };
}

/**
 * SSH keys / Git credentials: when denied or faulted every user's column is null ("not collected",
 * unlike [] for "none"), the gap is recorded on the scope alone, and the sync goes on.
 */
async function collectOptional<T>(
  ctx: SyncContext,
  step: string,
  action: string,
  usersKnown: boolean,
  fn: () => Promise<Map<string, T[]>>,
): Promise<Map<string, T[]> | null> {
  if (!usersKnown) {
    await ctx.setStep(step, 'skipped', 'no user list in this run');
    return null;
  }
  await ctx.setStep(step, 'running');
  const result = await ctx.call(step, action, fn);
  if (isMissing(result)) {
    const why =
      result.reason === 'denied' ? `missing permission ${action}` : `${action} failed: ${result.message}`;
    await ctx.setStep(step, 'failed', why.slice(0, 500));
    return null;
  }
  await ctx.setStep(step, 'succeeded');
  return result;
}

/** The value, or undefined when the call gave none (recorded on its scope by `ctx.call`). */
function present<T>(value: T | Missing): T | undefined {
  return isMissing(value) ? undefined : value;
}

/** A user's row; a scope not collected this run keeps the stored value (null for a user new to it). */
function withCredentials(
  u: IamUserIdentity,
  ssh: Map<string, SshPublicKeyFacts[]> | null,
  git: Map<string, GitCredentialFacts[]> | null,
  stored?: Pick<IamUserRow, 'ssh_public_keys' | 'service_specific_credentials'>,
): IamUserRow {
  return {
    ...u,
    ssh_public_keys: ssh ? (ssh.get(u.user_name) ?? []) : (stored?.ssh_public_keys ?? null),
    service_specific_credentials: git
      ? (git.get(u.user_name) ?? [])
      : (stored?.service_specific_credentials ?? null),
  };
}

// ---- credential report -------------------------------------------------------------------------

async function syncCredentialReport(
  ctx: Ctx,
  progress: IamSyncProgress,
): Promise<SyncIamResult['credentialReport']> {
  const { deps } = ctx;
  const settings = deps.settings.credentialReport;
  const startedAt = new Date(progress.since).toISOString();
  const fail = async (code: string, reason: string, action?: string) => {
    await ctx.recordProblem({
      step: STEPS.credentialReport,
      kind: 'error',
      code,
      ...(action ? { action } : {}),
      message: reason,
    });
    await ctx.setStep(STEPS.credentialReport, { status: 'failed', startedAt, detail: reason });
    return { status: 'failed' as const, reason };
  };

  const request = await ctx.call(STEPS.credentialReport, 'iam:GetCredentialReport', () =>
    requestCredentialReport(ctx.iam, {
      retryAfterMs: settings.pollIntervalMs,
      now: () => ctx.now().getTime(),
      ...(settings.maxAgeMs !== undefined ? { maxAgeMs: settings.maxAgeMs } : {}),
    }),
  );
  if (isMissing(request)) {
    const reason =
      request.reason === 'denied'
        ? `missing permission ${request.action}`
        : `${request.action} failed: ${request.message}`;
    await ctx.setStep(STEPS.credentialReport, { status: 'failed', startedAt, detail: reason.slice(0, 500) });
    return { status: 'failed', reason };
  }

  if (request.state === 'in_progress') {
    const polls = progress.polls + 1;
    const waited = ctx.now().getTime() - progress.since;
    if (polls >= settings.maxPolls || waited + request.retryAfterMs > settings.maxWaitMs) {
      return fail(
        'credential_report_timeout',
        `IAM had not finished the credential report after ${polls} polls over ${Math.round(waited / 1000)} s ` +
          `(last state: ${request.reason}); this run has no credential-report facts (passwords, MFA, access keys)`,
      );
    }
    await ctx.progress(IamSyncProgress).save({ ...progress, polls });
    ctx.log.info(
      { polls, reason: request.reason, retryAfterMs: request.retryAfterMs },
      'credential report not ready',
    );
    return ctx.defer(request.retryAfterMs);
  }

  let rows: ReturnType<typeof credentialReportEvidence>;
  try {
    rows = credentialReportEvidence(parseCredentialReport(request.report.content));
  } catch (err) {
    if (!(err instanceof CredentialReportParseError)) throw err;
    // The same bytes fail the same way on every retry: record it and keep the rest of the run.
    return fail('credential_report_invalid', err.message);
  }
  const { writes, retired } = await inTransaction(deps.db, async (trx) => {
    const w = await writeEvidence(trx, 'iam_credential_report_rows', ctx.target, rows);
    const r = await retireMissing(trx, 'iam_credential_report_rows', ctx.target, {}, rows);
    return { writes: w, retired: r };
  });
  const generatedTime = request.report.generatedTime.toISOString();
  await ctx.setStep(STEPS.credentialReport, {
    status: 'succeeded',
    startedAt,
    detail: `report generated ${generatedTime}, ${rows.length} rows`,
  });
  return { status: 'stored', generatedTime, rows: rows.length, writes, retired };
}

// ---- helpers -----------------------------------------------------------------------------------

function inTransaction<T>(db: Kysely<Database>, fn: (trx: Transaction<Database>) => Promise<T>): Promise<T> {
  return db.transaction().execute(fn);
}

function pageSizeOf(settings: IamSyncSettings): { pageSize?: number } {
  return settings.pageSize ? { pageSize: settings.pageSize } : {};
}

function summary(i: IamIdentities): string {
  return `${i.users.length} users, ${i.groups.length} groups, ${i.roles.length} roles, ${i.policies.length} managed policies`;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
