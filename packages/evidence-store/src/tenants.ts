import { createHash, randomBytes } from 'node:crypto';
import { type Kysely, type Selectable, sql, type Transaction } from 'kysely';
import { createdMs } from './db.js';
import type { ApiKeysTable, Database } from './schema.js';

/** API keys are shown once and stored only as a SHA-256 hash (they are random, so no salt is needed). */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

/** What may be shown of a key: never its hash, only the prefix it starts with. */
export type ApiKeyInfo = Omit<Selectable<ApiKeysTable>, 'key_hash'>;
const KEY_INFO = [
  'id',
  'tenant_id',
  'key_prefix',
  'created_at',
  'last_used_at',
  'revoked_at',
  'expires_at',
] as const;

/** Where a page starts: after this row in (created_at, id) order. */
export interface CreatedKey {
  createdAt: Date;
  id: string;
}

async function issueKey(
  trx: Transaction<Database>,
  tenantId: string,
  now: Date,
): Promise<{ key: ApiKeyInfo; apiKey: string }> {
  const apiKey = `cce_${randomBytes(32).toString('base64url')}`;
  const key = await trx
    .insertInto('api_keys')
    .values({
      tenant_id: tenantId,
      key_hash: hashApiKey(apiKey),
      key_prefix: apiKey.slice(0, 8),
      created_at: now,
    })
    .returning(KEY_INFO)
    .executeTakeFirstOrThrow();
  return { key, apiKey };
}

export async function createTenant(
  db: Kysely<Database>,
  name: string,
  now: Date = new Date(),
): Promise<{ tenant: { id: string; name: string }; apiKey: string }> {
  return db.transaction().execute(async (trx) => {
    const tenant = await trx
      .insertInto('tenants')
      .values({ name, created_at: now })
      .returning(['id', 'name'])
      .executeTakeFirstOrThrow();
    const { apiKey } = await issueKey(trx, tenant.id, now);
    return { tenant, apiKey };
  });
}

/** Tenants in (created_at, id) order, one keyset page (for the operator's admin token). */
export async function listTenants(
  db: Kysely<Database>,
  page: { after?: CreatedKey; limit: number },
  now: Date = new Date(),
): Promise<{ id: string; name: string; created_at: Date; valid_keys: number; connections: number }[]> {
  let q = db.selectFrom('tenants').select((eb) => [
    'tenants.id',
    'tenants.name',
    'tenants.created_at',
    eb
      .selectFrom('api_keys')
      .select(sql<number>`count(*)::int`.as('n'))
      .whereRef('api_keys.tenant_id', '=', 'tenants.id')
      .where('api_keys.revoked_at', 'is', null)
      .where((k) => k.or([k('api_keys.expires_at', 'is', null), k('api_keys.expires_at', '>', now)]))
      .as('valid_keys'),
    eb
      .selectFrom('connections')
      .select(sql<number>`count(*)::int`.as('n'))
      .whereRef('connections.tenant_id', '=', 'tenants.id')
      .where('connections.status', '!=', 'deleted')
      .as('connections'),
  ]);
  const after = page.after;
  if (after)
    q = q.where((eb) =>
      eb.or([
        eb(createdMs('tenants.created_at'), '>', after.createdAt),
        eb.and([eb(createdMs('tenants.created_at'), '=', after.createdAt), eb('tenants.id', '>', after.id)]),
      ]),
    );
  const rows = await q
    .orderBy(createdMs('tenants.created_at'))
    .orderBy('tenants.id')
    .limit(page.limit)
    .execute();
  return rows.map((r) => ({ ...r, valid_keys: r.valid_keys ?? 0, connections: r.connections ?? 0 }));
}

/**
 * The tenant an API key belongs to, or undefined for an unknown, revoked or expired key (a rotated
 * key expires when its grace period ends, judged by the application's clock `now`).
 */
export async function findTenantByApiKey(
  db: Kysely<Database>,
  apiKey: string,
  now: Date = new Date(),
): Promise<{ id: string; name: string } | undefined> {
  return findTenantByApiKeyHash(db, hashApiKey(apiKey), now);
}

/**
 * The tenant of the API key with this hash, or undefined once it is revoked, expired or gone: a console
 * session remembers the hash of the key it was opened with, so revoking the key ends its sessions too.
 */
export async function findTenantByApiKeyHash(
  db: Kysely<Database>,
  keyHash: string,
  now: Date = new Date(),
): Promise<{ id: string; name: string } | undefined> {
  return db
    .selectFrom('api_keys')
    .innerJoin('tenants', 'tenants.id', 'api_keys.tenant_id')
    .select(['tenants.id', 'tenants.name'])
    .where('api_keys.key_hash', '=', keyHash)
    .where('api_keys.revoked_at', 'is', null)
    .where((eb) => eb.or([eb('api_keys.expires_at', 'is', null), eb('api_keys.expires_at', '>', now)]))
    .executeTakeFirst();
}

/**
 * Key changes of one tenant (rotation, revocation) run one at a time: the tenant row is the lock, so
 * two of them cannot each see the other's key as still valid.
 */
async function lockTenantKeys(trx: Transaction<Database>, tenantId: string): Promise<void> {
  await trx
    .selectFrom('tenants')
    .select('id')
    .where('id', '=', tenantId)
    .forUpdate()
    .executeTakeFirstOrThrow();
}

/**
 * Rotation: a new key, and every key of the tenant still valid now expires at `now + graceMs` at the
 * latest (one that already expires sooner keeps its date). The tenant's clients switch to the new key
 * within the grace period; after it the old ones are refused.
 */
export async function rotateApiKey(
  db: Kysely<Database>,
  tenantId: string,
  graceMs: number,
  now: Date = new Date(),
): Promise<{ key: ApiKeyInfo; apiKey: string; expiring: ApiKeyInfo[] }> {
  const expiresAt = new Date(now.getTime() + graceMs);
  return db.transaction().execute(async (trx) => {
    await lockTenantKeys(trx, tenantId);
    const expiring = await trx
      .updateTable('api_keys')
      .set({ expires_at: expiresAt })
      .where('tenant_id', '=', tenantId)
      .where('revoked_at', 'is', null)
      .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', expiresAt)]))
      .returning(KEY_INFO)
      .execute();
    const issued = await issueKey(trx, tenantId, now);
    return { ...issued, expiring };
  });
}

/**
 * Revokes one of the tenant's keys at once. Refused (`last_valid_key`) when it is the tenant's only
 * valid key: rotate first, or the tenant locks itself out.
 */
export async function revokeApiKey(
  db: Kysely<Database>,
  tenantId: string,
  keyId: string,
  now: Date = new Date(),
): Promise<{ revoked: ApiKeyInfo } | { refused: 'not_found' | 'last_valid_key' }> {
  return db.transaction().execute(async (trx) => {
    await lockTenantKeys(trx, tenantId);
    const valid = await trx
      .selectFrom('api_keys')
      .select('id')
      .where('tenant_id', '=', tenantId)
      .where('revoked_at', 'is', null)
      .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]))
      .execute();
    const key = await trx
      .selectFrom('api_keys')
      .select(KEY_INFO)
      .where('tenant_id', '=', tenantId)
      .where('id', '=', keyId)
      .executeTakeFirst();
    if (!key) return { refused: 'not_found' as const };
    if (key.revoked_at !== null) return { revoked: key };
    if (valid.length === 1 && valid[0]?.id === keyId) return { refused: 'last_valid_key' as const };
    const revoked = await trx
      .updateTable('api_keys')
      .set({ revoked_at: now })
      .where('id', '=', keyId)
      .returning(KEY_INFO)
      .executeTakeFirstOrThrow();
    return { revoked };
  });
}

/** A tenant's keys, newest first, one keyset page; never their hashes. */
export async function listApiKeys(
  db: Kysely<Database>,
  tenantId: string,
  page: { before?: CreatedKey; limit: number },
): Promise<ApiKeyInfo[]> {
  let q = db.selectFrom('api_keys').select(KEY_INFO).where('tenant_id', '=', tenantId);
  const before = page.before;
  if (before)
    q = q.where((eb) =>
      eb.or([
        eb(createdMs('created_at'), '<', before.createdAt),
        eb.and([eb(createdMs('created_at'), '=', before.createdAt), eb('id', '<', before.id)]),
      ]),
    );
  return q.orderBy(createdMs('created_at'), 'desc').orderBy('id', 'desc').limit(page.limit).execute();
}
