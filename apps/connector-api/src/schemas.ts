/** Request schemas shared by routes, and id parsing that answers 404 (not 400) for malformed ids. */

import { z } from 'zod';
import { notFound } from './errors.js';

/**
 * Free text a client names things with. Control characters are refused: Postgres cannot store NUL in
 * text, and the others only make logs and UIs lie.
 */
export const text = (max: number) =>
  z
    .string()
    .trim()
    .min(1)
    .max(max)
    .refine((s) => !/[\u0000-\u001f\u007f]/.test(s), { message: 'must not contain control characters' });

export const SyncIntervalMinutes = z
  .number()
  .int()
  .min(15)
  .max(10_080)
  .describe('minutes between scheduled syncs (15 minutes to 7 days)');
export const AuditWindowDays = z
  .number()
  .int()
  .min(1)
  .max(3650)
  .describe('peer-review audit window in days (1 to 3650)');

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Ids that cannot exist answer like ids that do not: 404, never a 400 or a database error. */
export function parseUuidOr404(id: string, what: string): string {
  if (!UUID.test(id)) throw notFound(what);
  return id.toLowerCase();
}

export function parseRunIdOr404(id: string): number {
  if (!/^[1-9]\d{0,15}$/.test(id)) throw notFound('sync run');
  const n = Number(id);
  if (!Number.isSafeInteger(n)) throw notFound('sync run');
  return n;
}

export const IdParams = z.object({ id: z.string() });
export const RunParams = z.object({ id: z.string(), runId: z.string() });

export const ErrorResponse = z
  .object({
    error: z.object({ code: z.string(), message: z.string(), details: z.record(z.string(), z.unknown()) }),
  })
  .describe('every error');
