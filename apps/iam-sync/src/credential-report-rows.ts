/**
 * Credential-report rows as evidence. Special values keep their meaning: a date column holding
 * `N/A`, `no_information` or `not_supported` is null, and `password_last_used_state` says which of the
 * three it was (an auditor reads "never used" and "no password" very differently); `password_enabled`
 * is null for the root user, whose report says `not_supported`. The CSV row is kept as AWS wrote it.
 */

import type { CredentialReportRow, FieldState } from '@codecommit-evidence/aws-clients';
import { byKey, type CredentialReportEvidenceRow } from './iam-evidence.js';

const STATE_MARKER: Record<FieldState, string | null> = {
  value: null,
  not_applicable: 'N/A',
  no_information: 'no_information',
  not_supported: 'not_supported',
};

export function credentialReportEvidence(
  rows: readonly CredentialReportRow[],
): CredentialReportEvidenceRow[] {
  return byKey(
    rows.map((r) => ({
      arn: r.arn,
      user_name: r.user,
      is_root: r.isRoot,
      user_creation_time: r.userCreationTime,
      password_enabled: r.passwordEnabled,
      password_last_used: r.passwordLastUsed,
      password_last_used_state: STATE_MARKER[r.passwordLastUsedState],
      password_last_changed: r.passwordLastChanged,
      mfa_active: r.mfaActive,
      access_key_1_active: r.accessKey1.active,
      access_key_1_last_used: r.accessKey1.lastUsedDate,
      access_key_1_last_rotated: r.accessKey1.lastRotated,
      access_key_2_active: r.accessKey2.active,
      access_key_2_last_used: r.accessKey2.lastUsedDate,
      access_key_2_last_rotated: r.accessKey2.lastRotated,
      raw: r.raw,
    })),
    (r) => r.arn,
  );
}
