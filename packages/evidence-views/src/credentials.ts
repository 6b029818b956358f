import type { AccessKeyEvidence, RootEvidence, UserCredentialsEvidence } from '@codecommit-evidence/domain';
import type { EvidenceRow } from '@codecommit-evidence/evidence-store';

export type CredentialReportRow = Pick<
  EvidenceRow<'iam_credential_report_rows'>,
  | 'arn'
  | 'is_root'
  | 'password_enabled'
  | 'password_last_used'
  | 'mfa_active'
  | 'access_key_1_active'
  | 'access_key_1_last_used'
  | 'access_key_2_active'
  | 'access_key_2_last_used'
  | 'raw'
>;
export type UserCredentialRow = Pick<
  EvidenceRow<'iam_users'>,
  'ssh_public_keys' | 'service_specific_credentials'
>;

/** Which credential sources the run collected (false: a gap was recorded on its step). */
export interface CredentialCollection {
  credentialReport: boolean;
  sshKeys: boolean;
  gitCredentials: boolean;
}

/**
 * The credential report names access keys only by position; "1" and "2" make a finding say "active
 * access key 1" instead of an ambiguous "active access key" twice.
 */
function accessKeys(row: CredentialReportRow): AccessKeyEvidence[] {
  const keys: AccessKeyEvidence[] = [];
  if (row.access_key_1_active !== null)
    keys.push({ id: '1', active: row.access_key_1_active, lastUsed: row.access_key_1_last_used });
  if (row.access_key_2_active !== null)
    keys.push({ id: '2', active: row.access_key_2_active, lastUsed: row.access_key_2_last_used });
  return keys;
}

const ACTIVE = 'active';

// HTTPS Git credentials are the service-specific credentials for CodeCommit; others (Keyspaces,
// Bedrock) do not reach a repository.
const CODECOMMIT_SERVICE = /^codecommit\./i;

/**
 * A user's credentials for the checks. `null` means not collected: no credential-report row for the
 * user (a report older than the user, or none), or a gap recorded on the step. A gap wins over rows
 * kept from an earlier run, since the store keeps the last version until a run sees it change.
 */
export function userCredentials(
  user: UserCredentialRow,
  report: CredentialReportRow | undefined,
  collected: CredentialCollection,
): UserCredentialsEvidence {
  const row = collected.credentialReport ? report : undefined;
  const ssh = collected.sshKeys ? user.ssh_public_keys : null;
  const git = collected.gitCredentials ? user.service_specific_credentials : null;
  return {
    passwordEnabled: row ? row.password_enabled : null,
    passwordLastUsed: row ? row.password_last_used : null,
    mfaActive: row ? row.mfa_active : null,
    accessKeys: row ? accessKeys(row) : null,
    sshPublicKeys: ssh ? ssh.map((k) => ({ id: k.id, active: k.status.toLowerCase() === ACTIVE })) : null,
    gitCredentials: git
      ? git
          .filter((c) => CODECOMMIT_SERVICE.test(c.serviceName))
          .map((c) => ({ id: c.id, active: c.status.toLowerCase() === ACTIVE }))
      : null,
    credentialReportRow: row ? row.raw : null,
  };
}

/** The root user's row, or null when the report was not collected (or has no root row). */
export function rootEvidence(rows: readonly CredentialReportRow[], collected: boolean): RootEvidence | null {
  if (!collected) return null;
  const root = rows.find((r) => r.is_root);
  return root ? { mfaActive: root.mfa_active, credentialReportRow: root.raw } : null;
}
