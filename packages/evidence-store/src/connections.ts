import { randomBytes } from 'node:crypto';
import type { Kysely, Selectable, Updateable } from 'kysely';
import { json } from './db.js';
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

/** A tenant's connection; undefined when it does not exist, was deleted, or belongs to another tenant. */
export async function getConnection(
  db: Kysely<Database>,
  tenantId: string,
  id: string,
): Promise<Connection | undefined> {
  return db
    .selectFrom('connections')
    .selectAll()
    .where('id', '=', id)
    .where('tenant_id', '=', tenantId)
    .where('status', '!=', 'deleted')
    .executeTakeFirst();
}

/** A connection by id alone: for workers, which act on ids from trusted job payloads. */
export async function getConnectionById(db: Kysely<Database>, id: string): Promise<Connection | undefined> {
  return db.selectFrom('connections').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function listConnections(db: Kysely<Database>, tenantId: string): Promise<Connection[]> {
  return db
    .selectFrom('connections')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('status', '!=', 'deleted')
    .orderBy('created_at')
    .execute();
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
