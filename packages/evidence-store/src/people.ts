import type { Kysely, Selectable } from 'kysely';
import type { Database, IdentityLinksTable, PeopleTable } from './schema.js';

export type Person = Selectable<PeopleTable>;
export type IdentityLink = Selectable<IdentityLinksTable>;

export interface PersonInput {
  email: string;
  name: string | null;
  status: 'active' | 'offboarded';
  /** YYYY-MM-DD */
  offboardedAt: string | null;
}

/**
 * Bulk upsert of the roster. People are versioned by time (not by sync run: the roster does not come
 * from AWS): a changed person closes the old version and opens a new one, an unchanged one writes
 * nothing, so a check run can be re-evaluated against the roster as it was.
 */
export async function upsertPeople(
  db: Kysely<Database>,
  tenantId: string,
  people: PersonInput[],
  now: Date = new Date(),
): Promise<{ created: number; updated: number; unchanged: number }> {
  const stats = { created: 0, updated: 0, unchanged: 0 };
  await db.transaction().execute(async (trx) => {
    const emails = [...new Set(people.map((p) => p.email.toLowerCase()))];
    const current = emails.length
      ? await trx
          .selectFrom('people')
          .selectAll()
          .where('tenant_id', '=', tenantId)
          .where('valid_to', 'is', null)
          .where('email', 'in', emails)
          .forUpdate()
          .execute()
      : [];
    const byEmail = new Map(current.map((p) => [p.email, p]));
    for (const p of people) {
      const email = p.email.toLowerCase();
      const open = byEmail.get(email);
      if (open && open.name === p.name && open.status === p.status && open.offboarded_at === p.offboardedAt) {
        stats.unchanged++;
        continue;
      }
      if (open) {
        await trx.updateTable('people').set({ valid_to: now }).where('id', '=', open.id).execute();
        stats.updated++;
      } else stats.created++;
      const inserted = await trx
        .insertInto('people')
        .values({
          tenant_id: tenantId,
          email,
          name: p.name,
          status: p.status,
          offboarded_at: p.offboardedAt,
          valid_from: now,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      byEmail.set(email, inserted);
    }
  });
  return stats;
}

/** The people rows of a tenant's roster as it was at `asOf`. */
function rosterAt(db: Kysely<Database>, tenantId: string, asOf: Date) {
  return db
    .selectFrom('people')
    .where('tenant_id', '=', tenantId)
    .where('valid_from', '<=', asOf)
    .where((eb) => eb.or([eb('valid_to', 'is', null), eb('valid_to', '>', asOf)]));
}

/** The roster as it was at `asOf` (default now), by email; `page` reads one keyset page of it. */
export async function listPeople(
  db: Kysely<Database>,
  tenantId: string,
  asOf: Date = new Date(),
  page?: { afterEmail?: string; limit: number },
): Promise<Person[]> {
  let q = rosterAt(db, tenantId, asOf).selectAll();
  if (page?.afterEmail !== undefined) q = q.where('email', '>', page.afterEmail);
  q = q.orderBy('email');
  if (page) q = q.limit(page.limit);
  return q.execute();
}

/** Which of `emails` (lower case) are in the roster at `asOf`: one indexed read, never the whole roster. */
export async function rosterEmailsAmong(
  db: Kysely<Database>,
  tenantId: string,
  emails: readonly string[],
  asOf: Date,
): Promise<Set<string>> {
  if (emails.length === 0) return new Set();
  const rows = await rosterAt(db, tenantId, asOf)
    .select('email')
    .where('email', 'in', [...emails])
    .execute();
  return new Set(rows.map((r) => r.email));
}

/** Bulk upsert of explicit links from IAM user ARNs to people, versioned by time like people. */
export async function upsertIdentityLinks(
  db: Kysely<Database>,
  tenantId: string,
  links: { iamUserArn: string; personEmail: string }[],
  now: Date = new Date(),
): Promise<{ created: number; updated: number; unchanged: number }> {
  const stats = { created: 0, updated: 0, unchanged: 0 };
  await db.transaction().execute(async (trx) => {
    const arns = [...new Set(links.map((l) => l.iamUserArn))];
    const current = arns.length
      ? await trx
          .selectFrom('identity_links')
          .selectAll()
          .where('tenant_id', '=', tenantId)
          .where('valid_to', 'is', null)
          .where('iam_user_arn', 'in', arns)
          .forUpdate()
          .execute()
      : [];
    const byArn = new Map(current.map((l) => [l.iam_user_arn, l]));
    for (const l of links) {
      const email = l.personEmail.toLowerCase();
      const open = byArn.get(l.iamUserArn);
      if (open && open.person_email === email) {
        stats.unchanged++;
        continue;
      }
      if (open) {
        await trx.updateTable('identity_links').set({ valid_to: now }).where('id', '=', open.id).execute();
        stats.updated++;
      } else stats.created++;
      const inserted = await trx
        .insertInto('identity_links')
        .values({ tenant_id: tenantId, iam_user_arn: l.iamUserArn, person_email: email, valid_from: now })
        .returningAll()
        .executeTakeFirstOrThrow();
      byArn.set(l.iamUserArn, inserted);
    }
  });
  return stats;
}

/** The links as they were at `asOf` (default now), by IAM user ARN; `page` reads one keyset page. */
export async function listIdentityLinks(
  db: Kysely<Database>,
  tenantId: string,
  asOf: Date = new Date(),
  page?: { afterArn?: string; limit: number },
): Promise<IdentityLink[]> {
  let q = db
    .selectFrom('identity_links')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('valid_from', '<=', asOf)
    .where((eb) => eb.or([eb('valid_to', 'is', null), eb('valid_to', '>', asOf)]));
  if (page?.afterArn !== undefined) q = q.where('iam_user_arn', '>', page.afterArn);
  q = q.orderBy('iam_user_arn');
  if (page) q = q.limit(page.limit);
  return q.execute();
}
