/** Regenerates scenario.schema.json from the zod schema: `pnpm --filter @codecommit-evidence/fake-aws schema`. */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { scenarioJsonSchema } from '../src/scenario/json-schema.js';

const target = fileURLToPath(new URL('../scenario.schema.json', import.meta.url));
writeFileSync(target, `${JSON.stringify(scenarioJsonSchema(), null, 2)}\n`);
console.log(`wrote ${target}`);
