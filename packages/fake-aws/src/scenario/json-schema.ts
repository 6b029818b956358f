import { z } from 'zod';
import { scenarioSchema } from './schema.js';

/** The scenario's JSON Schema (what a scenario file may contain, so defaults are optional). */
export function scenarioJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(scenarioSchema, { io: 'input', target: 'draft-2020-12', unrepresentable: 'any' }),
    $id: 'https://codecommit-evidence.dev/schemas/fake-aws-scenario.json',
    title: 'fake-aws scenario',
  };
}
