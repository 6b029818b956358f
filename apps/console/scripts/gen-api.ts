/** `pnpm gen:api`: rewrites src/api/schema.d.ts from the API. */
import { writeFileSync } from 'node:fs';
import { generateApiTypes, SCHEMA_FILE } from './api-types.js';

writeFileSync(SCHEMA_FILE, await generateApiTypes());
console.log(`wrote ${SCHEMA_FILE.pathname}`);
