/**
 * Searching findings by their subject: the repository or IAM user name a finding is about
 * (`resource_name`). Case-insensitive substring, served by the `findings_subject_trgm` index
 * (migration 2026-12-02T0500_finding-search), so it stays fast at any number of findings.
 */

import { type Expression, type SqlBool, sql } from 'kysely';

/** The text as a LIKE pattern that matches it literally anywhere: `%`, `_` and `\` are escaped. */
export function containsPattern(text: string): string {
  return `%${text.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/** `lower(resource_name) like '%text%'`, in the form the trigram index is built on. */
export function subjectContains(text: string): Expression<SqlBool> {
  return sql<SqlBool>`lower(resource_name) like ${containsPattern(text)}`;
}
