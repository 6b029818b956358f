import { createHash, randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from './schema.js';

/** API keys are shown once and stored only as a SHA-256 hash (they are random, so no salt is needed). */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
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
    const apiKey = `cce_${randomBytes(32).toString('base64url')}`;
    await trx
      .insertInto('api_keys')
      .values({
        tenant_id: tenant.id,
        key_hash: hashApiKey(apiKey),
        key_prefix: apiKey.slice(0, 8),
        created_at: now,
      })
      .execute();
    return { tenant, apiKey };
  });
}

/** The tenant an API key belongs to, or undefined for an unknown or revoked key. */
export async function findTenantByApiKey(
  db: Kysely<Database>,
  apiKey: string,
): Promise<{ id: string; name: string } | undefined> {
  return db
    .selectFrom('api_keys')
    .innerJoin('tenants', 'tenants.id', 'api_keys.tenant_id')
    .select(['tenants.id', 'tenants.name'])
    .where('api_keys.key_hash', '=', hashApiKey(apiKey))
    .where('api_keys.revoked_at', 'is', null)
    .executeTakeFirst();
}

/**
 * The tenant of the API key with this hash, or undefined once it is revoked or gone: a console session
 * remembers the hash of the key it was opened with, so revoking the key ends its sessions too.
 */
export async function findTenantByApiKeyHash(
  db: Kysely<Database>,
  keyHash: string,
): Promise<{ id: string; name: string } | undefined> {
  return db
    .selectFrom('api_keys')
    .innerJoin('tenants', 'tenants.id', 'api_keys.tenant_id')
    .select(['tenants.id', 'tenants.name'])
    .where('api_keys.key_hash', '=', keyHash)
    .where('api_keys.revoked_at', 'is', null)
    .executeTakeFirst();
}
