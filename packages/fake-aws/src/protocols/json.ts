import type { AwsError } from '../errors.js';

/**
 * AWS JSON 1.1 as CodeCommit speaks it: `X-Amz-Target: CodeCommit_20150413.<Operation>`, JSON bodies,
 * timestamps as epoch seconds, errors as `{"__type": "<Code>", "message": "…"}`.
 */

export const CODECOMMIT_TARGET_PREFIX = 'CodeCommit_20150413.';
export const JSON_CONTENT_TYPE = 'application/x-amz-json-1.1';

/** Epoch seconds (what the SDK's JSON protocol reads for timestamp members) from an ISO date. */
export function epochSeconds(iso: string): number {
  return Date.parse(iso) / 1000;
}

export function jsonError(error: AwsError): string {
  return JSON.stringify({ __type: error.code, message: error.message });
}
