import { createHash } from 'node:crypto';
import type { Kysely, Selectable } from 'kysely';
import { batchesByBytes } from './check-runs.js';
import { json } from './db.js';
import type { IdentityLink, Person } from './people.js';
import type { Database, SyncRunAccessStateTable, SyncRunAccessTable } from './schema.js';

/**
 * Derived per run, read per request: each principal of a sync run as `/iam-users` and the access
 * review show it, roster aside (the people are joined per page, as of the reader's `rosterAsOf`).
 * Written once per sync run, all or nothing; read by keyset (principal type, name).
 */

export type RunAccessState = Selectable<SyncRunAccessStateTable>;
export type RunAccessRow = Selectable<SyncRunAccessTable>;

/** Repositories kept inline per principal: what one page of `/iam-users` lists. */
export const ACCESS_REPOSITORIES_INLINE = 20;

export interface RunAccessInput {
  principalType: 'iam_user' | 'iam_role';
  name: string;
  arn: string;
  hasAccess: 'yes' | 'no' | 'unknown';
  /** The rest of what is shown of the principal (JSON), roster aside. */
  entry: Record<string, unknown>;
  /** Every repository it reaches. Principals of one policy set share the same array. */
  repositories: readonly unknown[];
  tags: Record<string, string>;
}

export async function getRunAccessState(
  db: Kysely<Database>,
  syncRunId: number,
): Promise<RunAccessState | undefined> {
  return db
    .selectFrom('sync_run_access_state')
    .selectAll()
    .where('sync_run_id', '=', syncRunId)
    .executeTakeFirst();
}

/**
 * Writes a sync run's derived access once. The first writer wins: a second one (a concurrent reader
 * deriving an old run, a re-evaluation) waits for the first's transaction and writes nothing.
 * Returns whether this call wrote it.
 */
export async function writeRunAccess(
  db: Kysely<Database>,
  input: {
    connectionId: string;
    syncRunId: number;
    completeness: unknown;
    derivedAt: Date;
    principals: readonly RunAccessInput[];
  },
): Promise<boolean> {
  // Each distinct repository list is serialised and hashed once, whatever the number of principals.
  const lists = new Map<readonly unknown[], { digest: string; body: string } | null>();
  const bodies = new Map<string, string>();
  const listOf = (repositories: readonly unknown[]) => {
    let known = lists.get(repositories);
    if (known === undefined) {
      if (repositories.length <= ACCESS_REPOSITORIES_INLINE) known = null;
      else {
        const body = JSON.stringify(repositories);
        known = { digest: `sha256:${createHash('sha256').update(body).digest('hex')}`, body };
        bodies.set(known.digest, body);
      }
      lists.set(repositories, known);
    }
    return known;
  };
  const rows = input.principals.map((p) => {
    const list = listOf(p.repositories);
    return {
      sync_run_id: input.syncRunId,
      principal_type: p.principalType,
      name: p.name,
      arn: p.arn,
      has_access: p.hasAccess,
      entry: json(p.entry),
      repositories: json(list ? p.repositories.slice(0, ACCESS_REPOSITORIES_INLINE) : p.repositories),
      repositories_digest: list?.digest ?? null,
      tags: json(p.tags),
    };
  });
  return db.transaction().execute(async (trx) => {
    const claimed = await trx
      .insertInto('sync_run_access_state')
      .values({
        sync_run_id: input.syncRunId,
        connection_id: input.connectionId,
        completeness: json(input.completeness),
        principals: rows.length,
        derived_at: input.derivedAt,
      })
      .onConflict((oc) => oc.column('sync_run_id').doNothing())
      .returning('sync_run_id')
      .executeTakeFirst();
    if (!claimed) return false;
    for (const chunk of batchesByBytes([...bodies], ([d, b]) => d.length + b.length)) {
      await trx
        .insertInto('access_repository_lists')
        .values(
          chunk.map(([digest, body]) => ({ connection_id: input.connectionId, digest, repositories: body })),
        )
        .onConflict((oc) => oc.columns(['connection_id', 'digest']).doNothing())
        .execute();
    }
    const sizeOf = (r: (typeof rows)[number]) =>
      r.entry.length + r.repositories.length + r.tags.length + r.arn.length + r.name.length + 128;
    for (const chunk of batchesByBytes(rows, sizeOf)) {
      await trx.insertInto('sync_run_access').values(chunk).execute();
    }
    return true;
  });
}

/**
 * A page of a sync run's derived access, users first, then roles, each by name (code-point order):
 * keyset after `after`. `withAccessOnly`: principals whose access is yes or unknown.
 */
export async function listRunAccess(
  db: Kysely<Database>,
  syncRunId: number,
  filter: {
    principalType?: 'iam_user' | 'iam_role';
    withAccessOnly?: boolean;
    after?: { principalType: 'iam_user' | 'iam_role'; name: string };
    limit: number;
  },
): Promise<RunAccessRow[]> {
  let q = db.selectFrom('sync_run_access').selectAll().where('sync_run_id', '=', syncRunId);
  if (filter.principalType) q = q.where('principal_type', '=', filter.principalType);
  if (filter.withAccessOnly) q = q.where('has_access', '<>', 'no');
  const after = filter.after;
  // 'iam_user' sorts after 'iam_role': descending type puts users first.
  // Within one type (every `/iam-users` page) the keyset is the name alone: an index range read from
  // the cursor on. The OR across types is a filter, which reads every earlier row again.
  if (after && filter.principalType === after.principalType) q = q.where('name', '>', after.name);
  else if (after)
    q = q.where((eb) =>
      eb.or([
        eb('principal_type', '<', after.principalType),
        eb.and([eb('principal_type', '=', after.principalType), eb('name', '>', after.name)]),
      ]),
    );
  return q.orderBy('principal_type', 'desc').orderBy('name').limit(filter.limit).execute();
}

/** Whole repository lists of a connection, by digest. */
export async function getAccessRepositoryLists(
  db: Kysely<Database>,
  connectionId: string,
  digests: readonly string[],
): Promise<Map<string, unknown[]>> {
  const out = new Map<string, unknown[]>();
  if (digests.length === 0) return out;
  const rows = await db
    .selectFrom('access_repository_lists')
    .select(['digest', 'repositories'])
    .where('connection_id', '=', connectionId)
    .where('digest', 'in', [...new Set(digests)])
    .execute();
  for (const r of rows) out.set(r.digest, r.repositories);
  return out;
}

/**
 * The part of a tenant's roster (as of `asOf`) that can link some IAM users: their explicit links and
 * the people those links, their email tags or their names point at (emails compared trimmed and
 * lower-cased, as linking compares them). A page of `/iam-users` reads this, not the whole roster.
 */
export async function listRosterFor(
  db: Kysely<Database>,
  tenantId: string,
  asOf: Date,
  users: readonly { arn: string; userName: string; tags: Record<string, string> }[],
): Promise<{ people: Person[]; links: IdentityLink[] }> {
  if (users.length === 0) return { people: [], links: [] };
  const links = await db
    .selectFrom('identity_links')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('valid_from', '<=', asOf)
    .where((eb) => eb.or([eb('valid_to', 'is', null), eb('valid_to', '>', asOf)]))
    .where('iam_user_arn', 'in', [...new Set(users.map((u) => u.arn))])
    .orderBy('iam_user_arn')
    .execute();
  const norm = (s: string) => s.trim().toLowerCase();
  const emails = new Set<string>(links.map((l) => norm(l.person_email)));
  for (const u of users) {
    emails.add(norm(u.userName));
    for (const [key, value] of Object.entries(u.tags)) if (norm(key) === 'email') emails.add(norm(value));
  }
  const people = await db
    .selectFrom('people')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('valid_from', '<=', asOf)
    .where((eb) => eb.or([eb('valid_to', 'is', null), eb('valid_to', '>', asOf)]))
    .where('email', 'in', [...emails])
    .orderBy('email')
    .execute();
  return { people, links };
}
