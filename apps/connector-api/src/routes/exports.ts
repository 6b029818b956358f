/**
 * Exports for auditors, as downloads (`Content-Disposition: attachment`): the results and findings of
 * a check run, and the access review of a sync run (every principal with CodeCommit access, its level,
 * its person, MFA, last use), each as CSV (RFC 4180) or JSON.
 */

import { Readable } from 'node:stream';
import { CHECKS } from '@codecommit-evidence/domain';
import {
  type Connection,
  type FindingRow,
  getEvidenceBlobs,
  getLatestCheckRunOfSyncRun,
  listCheckResults,
  listFindings,
  listRunAccess,
  referencedDigests,
} from '@codecommit-evidence/evidence-store';
import {
  type AccessReviewEntry,
  accessEntriesOf,
  ensureRunAccess,
  loadRosterFor,
} from '@codecommit-evidence/evidence-views';
import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import { tenantId } from '../auth.js';
import type { RoutePlugin } from '../context.js';
import { type CsvValue, csvStream } from '../http/csv.js';
import {
  CheckRunSelector,
  onlyOneSelector,
  RosterSelector,
  resolveCheckRun,
  resolveSyncRun,
  SyncRunSelector,
} from '../http/selection.js';
import { asOfView, checkRunView, findingView, iso } from '../presenters.js';
import { IdParams } from '../schemas.js';
import { loadConnection } from './connections.js';

const CheckResultsQuery = z.strictObject(CheckRunSelector).superRefine(onlyOneSelector);
const AccessReviewQuery = z.strictObject({
  ...SyncRunSelector,
  ...RosterSelector,
  scope: z
    .enum(['with_access', 'all'])
    .default('with_access')
    .describe('with_access (default): principals whose access is yes or unknown; all: every principal'),
});

// Pages read while the body is written: small enough that one page's rows (findings up to 16 KB of
// evidence, principals with their whole repository lists) keep the API's memory flat.
const FINDINGS_PAGE = 500;
const ACCESS_PAGE = 200;
const REFERENCES_PAGE = 100;

const CHECK_RESULT_COLUMNS = [
  'check_run_id',
  'sync_run_id',
  'evaluated_at',
  'judged_at',
  'roster_as_of',
  'partial',
  'check_id',
  'check_title',
  'controls',
  'check_status',
  'resource_type',
  'resource_id',
  'resource_name',
  'finding_status',
  'reason',
  'evidence',
  'generated_at',
] as const;

const ACCESS_REVIEW_COLUMNS = [
  'sync_run_id',
  'check_run_id',
  'roster_as_of',
  'generated_at',
  'principal_type',
  'arn',
  'name',
  'has_access',
  'policy_access',
  'access_level',
  'repository_count',
  'repositories',
  'granted_by',
  'person_email',
  'person_name',
  'person_status',
  'offboarded_at',
  'link_method',
  'console_password',
  'mfa_active',
  'password_last_used',
  'access_key_1_active',
  'access_key_1_last_used',
  'access_key_2_active',
  'access_key_2_last_used',
  'last_used',
  'usable_credentials',
  'credentials_not_collected',
] as const;

function download(reply: FastifyReply, filename: string, format: 'csv' | 'json', body: string | Readable) {
  return reply
    .header('content-type', format === 'csv' ? 'text/csv; charset=utf-8' : 'application/json; charset=utf-8')
    .header('content-disposition', `attachment; filename="${filename}"`)
    .header('cache-control', 'no-store')
    .send(body);
}

/** Filenames carry only characters safe in a header: the ids are uuids and numbers. */
function filename(kind: string, connection: Connection, id: number, format: 'csv' | 'json'): string {
  return `${kind}-${connection.id}-${id}.${format}`;
}

const accessKey = (e: AccessReviewEntry, n: '1' | '2') => e.accessKeys?.find((k) => k.id === n);

type Provenance = 'sync_run_id' | 'check_run_id' | 'roster_as_of' | 'generated_at';

function accessReviewRow(
  e: AccessReviewEntry,
): Record<Exclude<(typeof ACCESS_REVIEW_COLUMNS)[number], Provenance>, CsvValue> {
  return {
    principal_type: e.principalType,
    arn: e.arn,
    name: e.name,
    has_access: e.hasAccess,
    policy_access: String(e.policyAccess),
    access_level: e.level,
    repository_count: e.repositoryCount,
    repositories: e.repositories.map((r) => `${r.name}:${r.level}`).join('; '),
    granted_by: e.grantedBy.join('; '),
    person_email: e.person?.email ?? e.linkedEmail,
    person_name: e.person?.name,
    person_status:
      e.person?.status ??
      (e.linkedEmail ? 'not_in_roster' : e.principalType === 'iam_user' ? 'not_linked' : null),
    offboarded_at: e.person?.offboardedAt,
    link_method: e.linkMethod,
    console_password: e.consolePassword,
    mfa_active: e.mfaActive,
    password_last_used: e.passwordLastUsed,
    access_key_1_active: accessKey(e, '1')?.active,
    access_key_1_last_used: accessKey(e, '1')?.lastUsed,
    access_key_2_active: accessKey(e, '2')?.active,
    access_key_2_last_used: accessKey(e, '2')?.lastUsed,
    last_used: e.lastUsed,
    usable_credentials: e.usableCredentials.join('; '),
    credentials_not_collected: e.credentialsNotCollected.join('; '),
  };
}

/** Every evidence blob reachable from some digests (references inside blobs included), in batches. */
async function* referencesOf(
  db: Parameters<typeof getEvidenceBlobs>[0],
  connectionId: string,
  digests: string[],
): AsyncGenerator<[string, unknown]> {
  const seen = new Set<string>(digests);
  let pending = digests;
  while (pending.length > 0) {
    // A blob may be large (a list of many principals): few at a time keeps the API's memory flat.
    const batch = pending.slice(0, REFERENCES_PAGE);
    pending = pending.slice(REFERENCES_PAGE);
    const bodies = await getEvidenceBlobs(db, connectionId, batch);
    for (const [digest, body] of bodies) {
      yield [digest, body];
      for (const d of referencedDigests([body]))
        if (!seen.has(d)) {
          seen.add(d);
          pending.push(d);
        }
    }
  }
}

export const exportRoutes: RoutePlugin = {
  name: 'exports',
  scope: 'tenant',
  register(app, ctx) {
    const tags = ['exports'];

    for (const format of ['csv', 'json'] as const) {
      app.get(
        `/v1/connections/:id/exports/check-results.${format}`,
        {
          schema: {
            tags,
            summary: `Results and findings of a check run as ${format.toUpperCase()} (latest, or ?checkRunId=, ?runId=, ?at=)`,
            params: IdParams,
            querystring: CheckResultsQuery,
          },
        },
        async (req, reply) => {
          const connection = await loadConnection(ctx, tenantId(req), req.params.id);
          const run = await resolveCheckRun(ctx.db, connection.id, req.query);
          const results = await listCheckResults(ctx.db, run.id);
          const view = checkRunView(run);
          const generatedAt = iso(ctx.now());
          const name = filename('check-results', connection, run.id, format);
          // Findings are read page by page (keyset on id) while the body is written: memory stays
          // flat whatever the check run's size.
          async function* findingsOf(checkId: string): AsyncGenerator<FindingRow> {
            for (let afterId = 0; ; ) {
              const chunk = await listFindings(ctx.db, run.id, { checkId, afterId, limit: FINDINGS_PAGE });
              yield* chunk;
              if (chunk.length < FINDINGS_PAGE) return;
              afterId = chunk[chunk.length - 1]?.id ?? afterId;
            }
          }
          if (format === 'json') {
            const connectionView = {
              id: connection.id,
              name: connection.name,
              awsAccountId: connection.aws_account_id,
              region: connection.region,
            };
            async function* body(): AsyncGenerator<string> {
              yield `{"connection":${JSON.stringify(connectionView)},"checkRun":${JSON.stringify(view)},"generatedAt":${JSON.stringify(generatedAt)},"checks":[`;
              const digests = new Set<string>();
              for (const [i, def] of CHECKS.entries()) {
                const result = results.find((r) => r.check_id === def.id);
                const head = {
                  id: def.id,
                  title: def.title,
                  controls: def.controls,
                  status: result?.status ?? null,
                  counts: result?.counts ?? null,
                  howToFix: def.howToFix,
                };
                yield `${i > 0 ? ',' : ''}\n${JSON.stringify(head).slice(0, -1)},"findings":[`;
                let n = 0;
                for await (const f of findingsOf(def.id)) {
                  for (const d of referencedDigests([f.evidence])) digests.add(d);
                  yield `${n++ > 0 ? ',' : ''}\n${JSON.stringify(findingView(f))}`;
                }
                yield ']}';
              }
              // What findings share is stored once and referenced ({"$ref": digest}): here each
              // reference's content, once, so the file is complete on its own.
              yield '],\n"references":{';
              let n = 0;
              for await (const [digest, ref] of referencesOf(ctx.db, connection.id, [...digests])) {
                yield `${n++ > 0 ? ',' : ''}\n${JSON.stringify(digest)}:${JSON.stringify(ref)}`;
              }
              yield '}}\n';
            }
            return download(reply, name, format, Readable.from(body()));
          }
          async function* rows(): AsyncGenerator<Record<(typeof CHECK_RESULT_COLUMNS)[number], CsvValue>> {
            for (const def of CHECKS) {
              const result = results.find((r) => r.check_id === def.id);
              const base = {
                check_run_id: run.id,
                sync_run_id: run.sync_run_id,
                evaluated_at: view.evaluatedAt,
                judged_at: view.judgedAt,
                roster_as_of: view.rosterAsOf,
                partial: run.partial,
                check_id: def.id,
                check_title: def.title,
                controls: [
                  ...def.controls.soc2.map((c) => `SOC 2 ${c}`),
                  ...def.controls.iso27001.map((c) => `ISO 27001 ${c}`),
                ].join('; '),
                check_status: result?.status ?? null,
                generated_at: generatedAt,
              };
              let n = 0;
              for await (const f of findingsOf(def.id)) {
                n += 1;
                yield {
                  ...base,
                  resource_type: f.resource_type,
                  resource_id: f.resource_id,
                  resource_name: f.resource_name,
                  finding_status: f.status,
                  reason: f.reason,
                  evidence: JSON.stringify(f.evidence),
                };
              }
              // A check without findings still gets its line, so every check of the run is in the file.
              if (n === 0)
                yield {
                  ...base,
                  resource_type: null,
                  resource_id: null,
                  resource_name: null,
                  finding_status: null,
                  reason: null,
                  evidence: null,
                };
            }
          }
          return download(reply, name, format, csvStream(CHECK_RESULT_COLUMNS, rows()));
        },
      );

      app.get(
        `/v1/connections/:id/exports/access-review.${format}`,
        {
          schema: {
            tags,
            summary: `Access review as ${format.toUpperCase()}: every principal with CodeCommit access, its level, its person and how linked, MFA, last use (latest finished sync run, or ?runId=)`,
            params: IdParams,
            querystring: AccessReviewQuery,
          },
        },
        async (req, reply) => {
          const connection = await loadConnection(ctx, tenantId(req), req.params.id);
          const run = await resolveSyncRun(ctx.db, connection.id, req.query.runId);
          const generatedAt = ctx.now();
          const rosterAsOf = req.query.rosterAsOf ? new Date(req.query.rosterAsOf) : generatedAt;
          // The run's access is derived once (when it is evaluated) and stored; the export reads it by
          // keyset batches while writing, so memory stays flat whatever the account's size.
          const state = await ensureRunAccess(
            ctx.db,
            { connectionId: connection.id, runId: run.id },
            ctx.now,
          );
          const checkRun = await getLatestCheckRunOfSyncRun(ctx.db, connection.id, run.id);
          const withAccessOnly = req.query.scope !== 'all';
          // Principals of one policy set share one repository list: each is read once per export.
          const lists = new Map<string, unknown[]>();
          async function* entries(): AsyncGenerator<AccessReviewEntry> {
            for (let after: { principalType: 'iam_user' | 'iam_role'; name: string } | undefined; ; ) {
              const rows = await listRunAccess(ctx.db, run.id, {
                withAccessOnly,
                ...(after ? { after } : {}),
                limit: ACCESS_PAGE,
              });
              const roster = await loadRosterFor(ctx.db, connection.tenant_id, rosterAsOf, rows);
              for (const { repositoriesTruncated: _t, ...e } of await accessEntriesOf(
                ctx.db,
                connection.id,
                rows,
                roster,
                lists,
              ))
                yield e;
              const last = rows[rows.length - 1];
              if (!last || rows.length < ACCESS_PAGE) return;
              after = { principalType: last.principal_type, name: last.name };
            }
          }
          const name = filename('access-review', connection, run.id, format);
          if (format === 'json') {
            const head = {
              connection: {
                id: connection.id,
                name: connection.name,
                awsAccountId: connection.aws_account_id,
                region: connection.region,
              },
              syncRun: asOfView(run),
              checkRunId: checkRun?.id ?? null,
              generatedAt: iso(generatedAt),
              rosterAsOf: iso(rosterAsOf),
              scope: req.query.scope,
              gaps: state.completeness,
            };
            async function* json(): AsyncGenerator<string> {
              yield `${JSON.stringify(head).slice(0, -1)},"principals":[`;
              let n = 0;
              for await (const e of entries()) yield `${n++ > 0 ? ',' : ''}\n${JSON.stringify(e)}`;
              yield ']}\n';
            }
            return download(reply, name, format, Readable.from(json()));
          }
          // Each line carries what reproduces it: the sync run, the check run of that sync run, the
          // roster instant and when the file was written.
          const provenance = {
            sync_run_id: run.id,
            check_run_id: checkRun?.id ?? null,
            roster_as_of: iso(rosterAsOf),
            generated_at: iso(generatedAt),
          };
          async function* rows(): AsyncGenerator<Record<(typeof ACCESS_REVIEW_COLUMNS)[number], CsvValue>> {
            for await (const e of entries()) yield { ...provenance, ...accessReviewRow(e) };
          }
          return download(reply, name, format, csvStream(ACCESS_REVIEW_COLUMNS, rows()));
        },
      );
    }
  },
};
