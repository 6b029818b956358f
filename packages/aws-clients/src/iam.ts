/**
 * IAM readers for the IAM sync. IAM pages with `Marker`/`IsTruncated` and returns policy documents
 * URL-encoded (RFC 3986) in GetPolicyVersion, Get{User,Group,Role}Policy and
 * GetAccountAuthorizationDetails: https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetPolicyVersion.html
 * All functions throw `AwsError`.
 */

import {
  type AttachedPolicy,
  type EntityType,
  GetGroupPolicyCommand,
  GetPolicyCommand,
  GetPolicyVersionCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  GetUserCommand,
  GetUserPolicyCommand,
  type Group,
  type GroupDetail,
  type IAMClient,
  ListServiceSpecificCredentialsCommand,
  type ManagedPolicyDetail,
  type Policy,
  type PolicyDetail,
  type PolicyVersion,
  paginateGetAccountAuthorizationDetails,
  paginateListAttachedGroupPolicies,
  paginateListAttachedRolePolicies,
  paginateListAttachedUserPolicies,
  paginateListGroupPolicies,
  paginateListGroupsForUser,
  paginateListRolePolicies,
  paginateListRoles,
  paginateListSSHPublicKeys,
  paginateListUserPolicies,
  paginateListUsers,
  paginateListUserTags,
  type Role,
  type RoleDetail,
  type ServiceSpecificCredentialMetadata,
  type SSHPublicKeyMetadata,
  type Tag,
  type User,
  type UserDetail,
} from '@aws-sdk/client-iam';
import { callAws, iamMarker, paginateItems, sdkPages } from './paginate.js';

export type {
  AttachedPolicy,
  Group,
  GroupDetail,
  ManagedPolicyDetail,
  Policy,
  PolicyDetail,
  PolicyVersion,
  Role,
  RoleDetail,
  ServiceSpecificCredentialMetadata,
  SSHPublicKeyMetadata,
  Tag,
  User,
  UserDetail,
};

/** IAM's maximum page size (MaxItems 1-1000): fewer calls per sync. */
const PAGE = 1000;

export interface IamReaderOptions {
  /** MaxItems per call, 1-1000 (default 1000). */
  pageSize?: number;
}

/** A parsed IAM policy document (shape checked only as far as "an object with Statement"). */
export interface PolicyDocumentJson {
  Version?: string;
  Id?: string;
  Statement: unknown;
  [key: string]: unknown;
}

/**
 * URL-decodes (when encoded) and parses a policy document. AWS encodes every document it returns; an
 * already-decoded document (starting with `{`) is parsed as is, since `{` is always encoded by AWS.
 */
export function decodePolicyDocument(document: string): PolicyDocumentJson {
  const text = document.trim();
  let json: string;
  if (text.startsWith('{')) {
    json = text;
  } else {
    try {
      json = decodeURIComponent(text);
    } catch {
      throw new Error('Policy document is neither JSON nor valid URL-encoded JSON (bad % escape)');
    }
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch (err) {
    throw new Error(`Policy document is not valid JSON: ${(err as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed) || !('Statement' in parsed)) {
    throw new Error('Policy document is not an object with a Statement');
  }
  return parsed as PolicyDocumentJson;
}

export function decodePolicyDocuments(documents: readonly string[]): PolicyDocumentJson[] {
  return documents.map(decodePolicyDocument);
}

// ---- paginated readers -------------------------------------------------------------------------
// The SDK's `paginate*` helpers page IAM's Marker/MaxItems; `sdkPages` checks each page and guards
// against a token loop (see there).

/** Items of every page of an SDK paginator. */
async function* iamItems<
  TPage extends { IsTruncated?: boolean | undefined; Marker?: string | undefined },
  TItem,
>(
  client: IAMClient,
  operation: string,
  pages: AsyncIterable<TPage>,
  items: (page: TPage) => readonly TItem[] | undefined,
): AsyncGenerator<TItem, void, undefined> {
  for await (const page of sdkPages(client, operation, pages, iamMarker)) yield* items(page) ?? [];
}

export interface AuthorizationDetailsPage {
  users: UserDetail[];
  groups: GroupDetail[];
  roles: RoleDetail[];
  policies: ManagedPolicyDetail[];
}

/**
 * GetAccountAuthorizationDetails, page by page (documents still encoded: see `decodeAuthorizationDetails`).
 * `filter` defaults to users, groups, roles and local + AWS managed policies.
 */
export function getAccountAuthorizationDetails(
  client: IAMClient,
  options: IamReaderOptions & { filter?: EntityType[] } = {},
): AsyncGenerator<AuthorizationDetailsPage> {
  const filter = options.filter ?? ['User', 'Group', 'Role', 'LocalManagedPolicy', 'AWSManagedPolicy'];
  const op = 'iam:GetAccountAuthorizationDetails';
  const pages = sdkPages(
    client,
    op,
    paginateGetAccountAuthorizationDetails(
      { client, pageSize: options.pageSize ?? PAGE },
      { Filter: filter },
    ),
    iamMarker,
  );
  return (async function* () {
    for await (const page of pages) {
      yield {
        users: page.UserDetailList ?? [],
        groups: page.GroupDetailList ?? [],
        roles: page.RoleDetailList ?? [],
        policies: page.Policies ?? [],
      };
    }
  })();
}

type Decoded<T, K extends keyof T> = Omit<T, K> & { [P in K]?: PolicyDocumentJson };

export interface DecodedAuthorizationDetails {
  users: (Omit<UserDetail, 'UserPolicyList'> & {
    UserPolicyList: Decoded<PolicyDetail, 'PolicyDocument'>[];
  })[];
  groups: (Omit<GroupDetail, 'GroupPolicyList'> & {
    GroupPolicyList: Decoded<PolicyDetail, 'PolicyDocument'>[];
  })[];
  roles: (Omit<RoleDetail, 'RolePolicyList' | 'AssumeRolePolicyDocument'> & {
    RolePolicyList: Decoded<PolicyDetail, 'PolicyDocument'>[];
    AssumeRolePolicyDocument?: PolicyDocumentJson;
  })[];
  policies: (Omit<ManagedPolicyDetail, 'PolicyVersionList'> & {
    PolicyVersionList: Decoded<PolicyVersion, 'Document'>[];
  })[];
}

/** The page with every policy document decoded. */
export function decodeAuthorizationDetails(page: AuthorizationDetailsPage): DecodedAuthorizationDetails {
  const inline = (list: PolicyDetail[] | undefined) =>
    (list ?? []).map(({ PolicyDocument, ...rest }) => ({
      ...rest,
      ...(PolicyDocument ? { PolicyDocument: decodePolicyDocument(PolicyDocument) } : {}),
    }));
  return {
    users: page.users.map(({ UserPolicyList, ...u }) => ({ ...u, UserPolicyList: inline(UserPolicyList) })),
    groups: page.groups.map(({ GroupPolicyList, ...g }) => ({
      ...g,
      GroupPolicyList: inline(GroupPolicyList),
    })),
    roles: page.roles.map(({ RolePolicyList, AssumeRolePolicyDocument, ...r }) => ({
      ...r,
      RolePolicyList: inline(RolePolicyList),
      ...(AssumeRolePolicyDocument
        ? { AssumeRolePolicyDocument: decodePolicyDocument(AssumeRolePolicyDocument) }
        : {}),
    })),
    policies: page.policies.map(({ PolicyVersionList, ...p }) => ({
      ...p,
      PolicyVersionList: (PolicyVersionList ?? []).map(({ Document, ...v }) => ({
        ...v,
        ...(Document ? { Document: decodePolicyDocument(Document) } : {}),
      })),
    })),
  };
}

export function listUsers(client: IAMClient, options: IamReaderOptions = {}): AsyncGenerator<User> {
  const op = 'iam:ListUsers';
  return iamItems(
    client,
    op,
    paginateListUsers({ client, pageSize: options.pageSize ?? PAGE }, {}),
    (page) => page.Users,
  );
}

export function listUserTags(
  client: IAMClient,
  userName: string,
  options: IamReaderOptions = {},
): AsyncGenerator<Tag> {
  const op = 'iam:ListUserTags';
  return iamItems(
    client,
    op,
    paginateListUserTags({ client, pageSize: options.pageSize ?? PAGE }, { UserName: userName }),
    (page) => page.Tags,
  );
}

export function listGroupsForUser(
  client: IAMClient,
  userName: string,
  options: IamReaderOptions = {},
): AsyncGenerator<Group> {
  const op = 'iam:ListGroupsForUser';
  return iamItems(
    client,
    op,
    paginateListGroupsForUser({ client, pageSize: options.pageSize ?? PAGE }, { UserName: userName }),
    (page) => page.Groups,
  );
}

export function listAttachedUserPolicies(
  client: IAMClient,
  userName: string,
  options: IamReaderOptions = {},
): AsyncGenerator<AttachedPolicy> {
  const op = 'iam:ListAttachedUserPolicies';
  return iamItems(
    client,
    op,
    paginateListAttachedUserPolicies({ client, pageSize: options.pageSize ?? PAGE }, { UserName: userName }),
    (page) => page.AttachedPolicies,
  );
}

/** Inline policy names of a user. */
export function listUserPolicies(
  client: IAMClient,
  userName: string,
  options: IamReaderOptions = {},
): AsyncGenerator<string> {
  const op = 'iam:ListUserPolicies';
  return iamItems(
    client,
    op,
    paginateListUserPolicies({ client, pageSize: options.pageSize ?? PAGE }, { UserName: userName }),
    (page) => page.PolicyNames,
  );
}

export function listGroupPolicies(
  client: IAMClient,
  groupName: string,
  options: IamReaderOptions = {},
): AsyncGenerator<string> {
  const op = 'iam:ListGroupPolicies';
  return iamItems(
    client,
    op,
    paginateListGroupPolicies({ client, pageSize: options.pageSize ?? PAGE }, { GroupName: groupName }),
    (page) => page.PolicyNames,
  );
}

export function listAttachedGroupPolicies(
  client: IAMClient,
  groupName: string,
  options: IamReaderOptions = {},
): AsyncGenerator<AttachedPolicy> {
  const op = 'iam:ListAttachedGroupPolicies';
  return iamItems(
    client,
    op,
    paginateListAttachedGroupPolicies(
      { client, pageSize: options.pageSize ?? PAGE },
      { GroupName: groupName },
    ),
    (page) => page.AttachedPolicies,
  );
}

export function listRoles(client: IAMClient, options: IamReaderOptions = {}): AsyncGenerator<Role> {
  const op = 'iam:ListRoles';
  return iamItems(
    client,
    op,
    paginateListRoles({ client, pageSize: options.pageSize ?? PAGE }, {}),
    (page) => page.Roles,
  );
}

export function listRolePolicies(
  client: IAMClient,
  roleName: string,
  options: IamReaderOptions = {},
): AsyncGenerator<string> {
  const op = 'iam:ListRolePolicies';
  return iamItems(
    client,
    op,
    paginateListRolePolicies({ client, pageSize: options.pageSize ?? PAGE }, { RoleName: roleName }),
    (page) => page.PolicyNames,
  );
}

export function listAttachedRolePolicies(
  client: IAMClient,
  roleName: string,
  options: IamReaderOptions = {},
): AsyncGenerator<AttachedPolicy> {
  const op = 'iam:ListAttachedRolePolicies';
  return iamItems(
    client,
    op,
    paginateListAttachedRolePolicies({ client, pageSize: options.pageSize ?? PAGE }, { RoleName: roleName }),
    (page) => page.AttachedPolicies,
  );
}

/** SSH public keys (CodeCommit Git over SSH) of a user. */
export function listSSHPublicKeys(
  client: IAMClient,
  userName: string,
  options: IamReaderOptions = {},
): AsyncGenerator<SSHPublicKeyMetadata> {
  const op = 'iam:ListSSHPublicKeys';
  return iamItems(
    client,
    op,
    paginateListSSHPublicKeys({ client, pageSize: options.pageSize ?? PAGE }, { UserName: userName }),
    (page) => page.SSHPublicKeys,
  );
}

/** HTTPS Git credentials and other service-specific credentials; `serviceName` e.g. `codecommit.amazonaws.com`. */
export function listServiceSpecificCredentials(
  client: IAMClient,
  userName: string,
  serviceName?: string,
  options: IamReaderOptions = {},
): AsyncGenerator<ServiceSpecificCredentialMetadata> {
  const op = 'iam:ListServiceSpecificCredentials';
  // The SDK has no paginator for this operation (a helper of our own pages it the same way).
  return paginateItems(
    op,
    (Marker) =>
      callAws(client, op, () =>
        client.send(
          new ListServiceSpecificCredentialsCommand({
            UserName: userName,
            ...(serviceName ? { ServiceName: serviceName } : {}),
            Marker,
            MaxItems: options.pageSize ?? PAGE,
          }),
        ),
      ),
    iamMarker,
    (page) => page.ServiceSpecificCredentials,
  );
}

// ---- single calls ------------------------------------------------------------------------------

export async function getPolicy(client: IAMClient, policyArn: string): Promise<Policy> {
  const op = 'iam:GetPolicy';
  const out = await callAws(client, op, () => client.send(new GetPolicyCommand({ PolicyArn: policyArn })));
  if (!out.Policy) throw new Error(`${op}: no Policy in the response for ${policyArn}`);
  return out.Policy;
}

/**
 * One user with what ListUsers leaves out: its permissions boundary and tags (IAM documents that
 * ListUsers returns neither: https://docs.aws.amazon.com/IAM/latest/APIReference/API_ListUsers.html).
 */
export async function getUser(client: IAMClient, userName: string): Promise<User> {
  const op = 'iam:GetUser';
  const out = await callAws(client, op, () => client.send(new GetUserCommand({ UserName: userName })));
  if (!out.User) throw new Error(`${op}: no User in the response for ${userName}`);
  return out.User;
}

/** One role with what ListRoles leaves out: its permissions boundary, tags and last use. */
export async function getRole(client: IAMClient, roleName: string): Promise<Role> {
  const op = 'iam:GetRole';
  const out = await callAws(client, op, () => client.send(new GetRoleCommand({ RoleName: roleName })));
  if (!out.Role) throw new Error(`${op}: no Role in the response for ${roleName}`);
  return out.Role;
}

export interface DecodedPolicyVersion {
  versionId: string;
  isDefaultVersion: boolean;
  createDate: Date | undefined;
  document: PolicyDocumentJson;
  /** As AWS returned it (URL-encoded), for the evidence. */
  rawDocument: string;
}

export async function getPolicyVersion(
  client: IAMClient,
  policyArn: string,
  versionId: string,
): Promise<DecodedPolicyVersion> {
  const op = 'iam:GetPolicyVersion';
  const out = await callAws(client, op, () =>
    client.send(new GetPolicyVersionCommand({ PolicyArn: policyArn, VersionId: versionId })),
  );
  const raw = out.PolicyVersion?.Document;
  if (!raw) throw new Error(`${op}: no document in the response for ${policyArn} ${versionId}`);
  return {
    versionId: out.PolicyVersion?.VersionId ?? versionId,
    isDefaultVersion: out.PolicyVersion?.IsDefaultVersion === true,
    createDate: out.PolicyVersion?.CreateDate,
    document: decodePolicyDocument(raw),
    rawDocument: raw,
  };
}

export interface DecodedInlinePolicy {
  policyName: string;
  document: PolicyDocumentJson;
  rawDocument: string;
}

export async function getUserPolicy(
  client: IAMClient,
  userName: string,
  policyName: string,
): Promise<DecodedInlinePolicy> {
  const op = 'iam:GetUserPolicy';
  const out = await callAws(client, op, () =>
    client.send(new GetUserPolicyCommand({ UserName: userName, PolicyName: policyName })),
  );
  return inlinePolicy(op, policyName, out.PolicyDocument);
}

export async function getGroupPolicy(
  client: IAMClient,
  groupName: string,
  policyName: string,
): Promise<DecodedInlinePolicy> {
  const op = 'iam:GetGroupPolicy';
  const out = await callAws(client, op, () =>
    client.send(new GetGroupPolicyCommand({ GroupName: groupName, PolicyName: policyName })),
  );
  return inlinePolicy(op, policyName, out.PolicyDocument);
}

export async function getRolePolicy(
  client: IAMClient,
  roleName: string,
  policyName: string,
): Promise<DecodedInlinePolicy> {
  const op = 'iam:GetRolePolicy';
  const out = await callAws(client, op, () =>
    client.send(new GetRolePolicyCommand({ RoleName: roleName, PolicyName: policyName })),
  );
  return inlinePolicy(op, policyName, out.PolicyDocument);
}

function inlinePolicy(op: string, policyName: string, raw: string | undefined): DecodedInlinePolicy {
  if (!raw) throw new Error(`${op}: no PolicyDocument in the response for ${policyName}`);
  return { policyName, document: decodePolicyDocument(raw), rawDocument: raw };
}
