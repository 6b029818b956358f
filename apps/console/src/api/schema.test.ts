import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { generateApiTypes, SCHEMA_FILE } from '../../scripts/api-types.js';

/** The console's client is typed from the API's document: the committed types must be that document's. */
describe('the console API types', () => {
  it('match the OpenAPI document connector-api publishes (run gen:api after changing a route)', async () => {
    const committed = readFileSync(SCHEMA_FILE, 'utf8');
    const fresh = await generateApiTypes();
    expect(committed === fresh, 'src/api/schema.d.ts is stale: run pnpm gen:api').toBe(true);
  });
});
