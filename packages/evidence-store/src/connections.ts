import { randomBytes } from 'node:crypto';
import type { Kysely, Selectable, Updateable } from 'kysely';
import { createdMs, json } from './db.js';
import type { ConnectionsTable, Database } from './schema.js';

export type Connection = Selectable<ConnectionsTable>;

/**
 * A new External ID: 32 random bytes, base64url. Unguessable and unique (the column is unique too);
 * never chosen by a client. AWS allows 2-1224 characters of [\w+=,.@:/-].
 */
export function generateExternalId(): string {
  return `cce-${randomBytes(24).toString('base64url')}`;
}

export async function createConnection(
  db: Kysely<Database>,
  input: { tenantId: string; name: string; syncIntervalMinutes?: number; auditWindowDays?: number },
  now: Date = new Date(),
): Promise<Connection> {
  return db
    .insertInto('connections')
    .values({
      tenant_id: input.tenantId,
      name: input.name,
      external_id: generateExternalId(),
      sync_interval_minutes: input.syncIntervalMinutes,
      audit_window_days: input.auditWindowDays,
      created_at: now,
      updated_at: now,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

/**
 * A tenant's connection; undefined when it does not exist or belongs to another tenant, and when it
 * was deleted unless `includeDeleted` (a deleted connection's evidence stays readable).
 */
export async function getConnection(
  db: Kysely<Database>,
  tenantId: string,
  id: string,
  options: { includeDeleted?: boolean } = {},
): Promise<Connection | undefined> {
  let q = db.selectFrom('connections').selectAll().where('id', '=', id).where('tenant_id', '=', tenantId);
  if (!options.includeDeleted) q = q.where('status', '!=', 'deleted');
  return q.executeTakeFirst();
}

/** A connection by id alone: for workers, which act on ids from trusted job payloads. */
export async function getConnectionById(db: Kysely<Database>, id: string): Promise<Connection | undefined> {
  return db.selectFrom('connections').selectAll().where('id', '=', id).executeTakeFirst();
}

/** Where a page of connections starts: after this one in (created_at, id) order. */
export interface ConnectionKey {
  createdAt: Date;
  id: string;
}

/**
 * A tenant's connections, oldest first (then by id), without the deleted ones unless asked; `page`
 * reads one keyset page.
 */
export async function listConnections(
  db: Kysely<Database>,
  tenantId: string,
  page?: { after?: ConnectionKey; limit: number; includeDeleted?: boolean },
): Promise<Connection[]> {
  let q = db.selectFrom('connections').selectAll().where('tenant_id', '=', tenantId);
  if (!page?.includeDeleted) q = q.where('status', '!=', 'deleted');
  const after = page?.after;
  if (after)
    q = q.where((eb) =>
      eb.or([
        eb(createdMs('created_at'), '>', after.createdAt),
        eb.and([eb(createdMs('created_at'), '=', after.createdAt), eb('id', '>', after.id)]),
      ]),
    );
  q = q.orderBy(createdMs('created_at')).orderBy('id');
  if (page) q = q.limit(page.limit);
  return q.execute();
}

export type ConnectionUpdate = Omit<
  Updateable<ConnectionsTable>,
  'id' | 'tenant_id' | 'external_id' | 'created_at'
>;

export async function updateConnection(
  db: Kysely<Database>,
  id: string,
  patch: ConnectionUpdate,
  now: Date = new Date(),
): Promise<Connection> {
  return db
    .updateTable('connections')
    .set({ ...patch, updated_at: now })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** Records a successful connect: the role, account and region, the permission probe, any warnings. */
export async function activateConnection(
  db: Kysely<Database>,
  id: string,
  input: { roleArn: string; accountId: string; region: string; permissions: unknown; warnings: unknown[] },
  now: Date = new Date(),
): Promise<Connection> {
  return updateConnection(
    db,
    id,
    {
      role_arn: input.roleArn,
      aws_account_id: input.accountId,
      region: input.region,
      permissions: json(input.permissions),
      warnings: json(input.warnings),
      last_error: null,
      status: 'active',
      connected_at: now,
    },
    now,
  );
}
