/**
 * Names for the API's answers the console passes between components (a call's answer is typed by
 * `call` itself), each taken from the OpenAPI document's
 * response schemas (schema.d.ts, generated): nothing here is written by hand, so a field the API
 * renames or drops fails the console's typecheck.
 */
import type { paths } from './schema';

/** The JSON a route answers with `status` (200 unless told). */
type Answer<
  P extends keyof paths,
  M extends 'get' | 'post' | 'put' | 'patch' | 'delete',
  S extends number = 200,
> = paths[P][M] extends { responses: { [K in S]: { content: { 'application/json': infer B } } } } ? B : never;

export type Connection = Answer<'/v1/connections/{id}', 'get'>['connection'];
export type CheckRunHistoryEntry = Answer<'/v1/connections/{id}/check-runs', 'get'>['checkRuns'][number];
export type Finding = Answer<'/v1/connections/{id}/checks/{checkId}/findings', 'get'>['findings'][number];
