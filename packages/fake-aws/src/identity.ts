import { randomBytes } from 'node:crypto';

/** Who is calling, resolved from the access key id in the SigV4 `Authorization` header. */
export type Identity =
  | { kind: 'platform'; arn: string; accountId: string; userId: string }
  | { kind: 'admin'; arn: string; accountId: string; userId: string }
  | {
      kind: 'role-session';
      arn: string;
      accountId: string;
      userId: string;
      roleArn: string;
      roleName: string;
      sessionName: string;
    };

/** Temporary credentials handed out by AssumeRole. */
export interface RoleSession {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  accountId: string;
  roleName: string;
  roleId: string;
  sessionName: string;
  expiresAt: number;
}

export interface SigV4Credential {
  accessKeyId: string;
  date: string;
  region: string;
  service: string;
}

/** Parses `AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/iam/aws4_request, SignedHeaders=…`. */
export function parseAuthorization(header: string | undefined): SigV4Credential | undefined {
  if (!header?.startsWith('AWS4-HMAC-SHA256')) return undefined;
  const m = /Credential=([^/,\s]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request/.exec(header);
  if (!m || !/Signature=[0-9a-f]+/.test(header)) return undefined;
  return { accessKeyId: m[1]!, date: m[2]!, region: m[3]!, service: m[4]! };
}

const ID_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** An AWS-looking identifier: a prefix (`ASIA`, `AROA`, …) and random base32 characters. */
export function randomId(prefix: string, length = 16): string {
  const bytes = randomBytes(length);
  let out = prefix;
  for (const b of bytes) out += ID_ALPHABET[b % 32];
  return out;
}

export function newRoleSession(
  accountId: string,
  roleName: string,
  roleId: string,
  sessionName: string,
  expiresAt: number,
): RoleSession {
  return {
    accessKeyId: randomId('ASIA'),
    secretAccessKey: randomBytes(30).toString('base64'),
    sessionToken: `FwoGZXIvYXdzE${randomBytes(96).toString('base64')}`,
    accountId,
    roleName,
    roleId,
    sessionName,
    expiresAt,
  };
}

export function sessionIdentity(s: RoleSession): Identity {
  return {
    kind: 'role-session',
    arn: `arn:aws:sts::${s.accountId}:assumed-role/${s.roleName}/${s.sessionName}`,
    accountId: s.accountId,
    userId: `${s.roleId}:${s.sessionName}`,
    roleArn: `arn:aws:iam::${s.accountId}:role/${s.roleName}`,
    roleName: s.roleName,
    sessionName: s.sessionName,
  };
}
