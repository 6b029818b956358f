/**
 * The credentials people use to reach CodeCommit without a console: SSH public keys (Git over SSH) and
 * HTTPS Git credentials (service-specific credentials for codecommit.amazonaws.com). Neither is in the
 * authorization details nor in the credential report, so both paths collect them here.
 */

import { type IAMClient, ListServiceSpecificCredentialsCommand } from '@aws-sdk/client-iam';
import {
  AwsError,
  callAws,
  collect,
  listServiceSpecificCredentials,
  listSSHPublicKeys,
} from '@codecommit-evidence/aws-clients';
import { mapConcurrent } from '@codecommit-evidence/sync-support';
import { byKey, type GitCredentialFacts, type SshPublicKeyFacts } from '../iam-evidence.js';

export const CODECOMMIT_SERVICE_NAME = 'codecommit.amazonaws.com';

export interface CredentialCollectOptions {
  concurrency: number;
  pageSize?: number;
}

/** One ListSSHPublicKeys per user (IAM has no account-wide variant). Throws the first AwsError. */
export async function collectSshPublicKeys(
  iam: IAMClient,
  userNames: readonly string[],
  options: CredentialCollectOptions,
): Promise<Map<string, SshPublicKeyFacts[]>> {
  const page = options.pageSize ? { pageSize: options.pageSize } : {};
  const keys = await mapConcurrent(userNames, options.concurrency, async (userName) => {
    const list = await collect(listSSHPublicKeys(iam, userName, page));
    return byKey(
      list.map((k) => ({
        id: k.SSHPublicKeyId ?? '',
        status: k.Status ?? 'Unknown',
        uploadDate: k.UploadDate ? k.UploadDate.toISOString() : null,
      })),
      (k) => k.id,
    );
  });
  return new Map(userNames.map((u, i) => [u, keys[i] ?? []]));
}

/**
 * HTTPS Git credentials. First one account-wide call (`AllUsers`, a page per 1,000 credentials); if
 * IAM refuses it (a policy scoped to user ARNs denies the `*` resource it needs, or an IAM partition
 * without the flag answers ValidationError), one call per user. Throws the per-user path's AwsError.
 */
export async function collectGitCredentials(
  iam: IAMClient,
  userNames: readonly string[],
  options: CredentialCollectOptions,
): Promise<{ credentials: Map<string, GitCredentialFacts[]>; accountWide: boolean }> {
  try {
    const all = await listAllGitCredentials(iam, options.pageSize);
    const byUser = new Map<string, GitCredentialFacts[]>(userNames.map((u) => [u, []]));
    for (const c of all) byUser.get(c.userName)?.push(c.facts);
    for (const [u, list] of byUser)
      byUser.set(
        u,
        byKey(list, (c) => c.id),
      );
    return { credentials: byUser, accountWide: true };
  } catch (err) {
    const code = err instanceof AwsError ? err.code : 'unknown';
    // Throttling and outages are not a reason to multiply the calls by the number of users.
    if (code === 'throttled' || code === 'aws_unavailable') throw err;
  }
  const page = options.pageSize ? { pageSize: options.pageSize } : {};
  const lists = await mapConcurrent(userNames, options.concurrency, async (userName) => {
    const list = await collect(listServiceSpecificCredentials(iam, userName, CODECOMMIT_SERVICE_NAME, page));
    return byKey(list.map(toFacts), (c) => c.id);
  });
  return { credentials: new Map(userNames.map((u, i) => [u, lists[i] ?? []])), accountWide: false };
}

function toFacts(c: { ServiceSpecificCredentialId?: string; ServiceName?: string; Status?: string }) {
  return {
    id: c.ServiceSpecificCredentialId ?? '',
    serviceName: c.ServiceName ?? CODECOMMIT_SERVICE_NAME,
    status: c.Status ?? 'Unknown',
  };
}

/**
 * ListServiceSpecificCredentials with `AllUsers=true`.
 * TODO(aws-clients): the reader there takes a user name only; move this there as an `allUsers` option.
 */
async function listAllGitCredentials(
  iam: IAMClient,
  pageSize = 1000,
): Promise<{ userName: string; facts: GitCredentialFacts }[]> {
  const op = 'iam:ListServiceSpecificCredentials';
  const out: { userName: string; facts: GitCredentialFacts }[] = [];
  const seen = new Set<string>();
  let marker: string | undefined;
  for (;;) {
    const page = await callAws(iam, op, () =>
      iam.send(
        new ListServiceSpecificCredentialsCommand({
          AllUsers: true,
          ServiceName: CODECOMMIT_SERVICE_NAME,
          MaxItems: pageSize,
          Marker: marker,
        }),
      ),
    );
    for (const c of page.ServiceSpecificCredentials ?? []) {
      if (c.UserName) out.push({ userName: c.UserName, facts: toFacts(c) });
    }
    if (!page.IsTruncated || !page.Marker) return out;
    if (seen.has(page.Marker)) throw new Error(`${op}: the service returned the same Marker twice`);
    seen.add(page.Marker);
    marker = page.Marker;
  }
}
