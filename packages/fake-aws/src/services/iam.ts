import { AwsError, validationMessage } from '../errors.js';
import { randomId } from '../identity.js';
import { paginate } from '../pagination.js';
import { queryList } from '../protocols/query.js';
import {
  type PolicyDocument,
  policyDocumentSchema,
  type ScenarioManagedPolicy,
  type ScenarioRole,
} from '../scenario/schema.js';
import type { CallContext, QueryOperation } from './context.js';
import { generateCredentialReport, getCredentialReport } from './credential-report.js';

/**
 * IAM over the query protocol. Policy documents are returned URL-encoded (RFC 3986), as IAM does:
 * callers must `decodeURIComponent` them before `JSON.parse`.
 */

const NAME = /^[\w+=,.@-]{1,128}$/;

/** IAM's encoding of policy documents in responses. */
export function encodePolicyDocument(doc: PolicyDocument): string {
  return encodeURIComponent(JSON.stringify(doc));
}

const date = (iso: string) => new Date(iso);

function required(p: URLSearchParams, name: string): string {
  const v = p.get(name);
  if (v === null || v === '') {
    const member = name.charAt(0).toLowerCase() + name.slice(1);
    throw new AwsError('ValidationError', validationMessage(member, null, 'Member must not be null'));
  }
  return v;
}

function maxItems(p: URLSearchParams): number {
  const raw = p.get('MaxItems');
  if (raw === null) return 100;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 1000) {
    throw new AwsError(
      'ValidationError',
      validationMessage(
        'maxItems',
        raw,
        n < 1
          ? 'Member must have value greater than or equal to 1'
          : 'Member must have value less than or equal to 1000',
      ),
    );
  }
  return n;
}

/** IAM's `Marker` / `MaxItems` / `IsTruncated` pagination. */
function page<T>(p: URLSearchParams, items: readonly T[], scope: string) {
  const result = paginate(
    items,
    p.get('Marker'),
    maxItems(p),
    scope,
    () => new AwsError('ValidationError', 'Invalid Marker.'),
  );
  return { items: result.items, IsTruncated: result.next !== undefined, Marker: result.next };
}

function userArn(ctx: CallContext, u: { path: string; userName: string }) {
  return `arn:aws:iam::${ctx.world.accountId}:user${u.path}${u.userName}`;
}
function groupArn(ctx: CallContext, g: { path: string; groupName: string }) {
  return `arn:aws:iam::${ctx.world.accountId}:group${g.path}${g.groupName}`;
}
function roleArn(ctx: CallContext, r: { path: string; roleName: string }) {
  return `arn:aws:iam::${ctx.world.accountId}:role${r.path}${r.roleName}`;
}

function getUser(ctx: CallContext, p: URLSearchParams) {
  const name = required(p, 'UserName');
  const user = ctx.world.users.get(name);
  if (!user) throw new AwsError('NoSuchEntity', `The user with name ${name} cannot be found.`, 404);
  return user;
}
function getGroup(ctx: CallContext, p: URLSearchParams) {
  const name = required(p, 'GroupName');
  const group = ctx.world.groups.get(name);
  if (!group) throw new AwsError('NoSuchEntity', `The group with name ${name} cannot be found.`, 404);
  return group;
}
function getRole(ctx: CallContext, p: URLSearchParams) {
  const name = required(p, 'RoleName');
  const role = ctx.world.roles.get(name);
  if (!role) throw new AwsError('NoSuchEntity', `The role with name ${name} cannot be found.`, 404);
  return role;
}
function getPolicy(ctx: CallContext, p: URLSearchParams) {
  const arn = required(p, 'PolicyArn');
  const policy = ctx.world.policies.get(arn);
  if (!policy) throw new AwsError('NoSuchEntity', `Policy ${arn} does not exist or is not attachable.`, 404);
  return policy;
}

/** The user a "self" call (no UserName) is about; IAM refuses it for non-user credentials. */
function userOrSelf(ctx: CallContext, p: URLSearchParams) {
  if (p.get('UserName')) return getUser(ctx, p);
  throw new AwsError('ValidationError', 'Must specify userName when calling with non-User credentials');
}

function attached(ctx: CallContext, arns: string[], p: URLSearchParams) {
  const prefix = p.get('PathPrefix') ?? '/';
  return arns
    .map((arn) => ctx.world.policies.get(arn))
    .filter((x): x is ScenarioManagedPolicy => x?.path.startsWith(prefix) === true)
    .map((x) => ({ PolicyName: x.policyName, PolicyArn: x.arn }));
}

function parseDocument(raw: string): PolicyDocument {
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    throw new AwsError('MalformedPolicyDocument', 'This policy contains invalid Json', 400);
  }
  const parsed = policyDocumentSchema.safeParse(json);
  if (!parsed.success) {
    throw new AwsError(
      'MalformedPolicyDocument',
      `Syntax errors in policy: ${parsed.error.issues[0]?.message}`,
      400,
    );
  }
  return parsed.data;
}

function roleShape(ctx: CallContext, r: ScenarioRole) {
  return {
    Path: r.path,
    RoleName: r.roleName,
    RoleId: r.roleId,
    Arn: roleArn(ctx, r),
    CreateDate: date(r.createDate),
    AssumeRolePolicyDocument: encodePolicyDocument(r.trustPolicy),
    Description: r.description,
    MaxSessionDuration: r.maxSessionDuration,
    PermissionsBoundary: r.permissionsBoundary
      ? { PermissionsBoundaryType: 'Policy', PermissionsBoundaryArn: r.permissionsBoundary }
      : undefined,
    Tags: r.tags.length > 0 ? r.tags : undefined,
  };
}

function accountAuthorizationDetails(ctx: CallContext, p: URLSearchParams) {
  const world = ctx.world;
  const filter = new Set(queryList(p, 'Filter'));
  const all = filter.size === 0;
  type Entry = { kind: 'user' | 'group' | 'role' | 'policy'; value: unknown };
  const entries: Entry[] = [];
  const a = world.scenario.account;
  if (all || filter.has('User')) {
    for (const u of a.users) {
      entries.push({
        kind: 'user',
        value: {
          Path: u.path,
          UserName: u.userName,
          UserId: u.userId,
          Arn: userArn(ctx, u),
          CreateDate: date(u.createDate),
          UserPolicyList: u.inlinePolicies.map((x) => ({
            PolicyName: x.name,
            PolicyDocument: encodePolicyDocument(x.document),
          })),
          GroupList: u.groups,
          AttachedManagedPolicies: attached(ctx, u.attachedPolicies, new URLSearchParams()),
          PermissionsBoundary: u.permissionsBoundary
            ? { PermissionsBoundaryType: 'Policy', PermissionsBoundaryArn: u.permissionsBoundary }
            : undefined,
          Tags: u.tags,
        },
      });
    }
  }
  if (all || filter.has('Group')) {
    for (const g of a.groups) {
      entries.push({
        kind: 'group',
        value: {
          Path: g.path,
          GroupName: g.groupName,
          GroupId: g.groupId,
          Arn: groupArn(ctx, g),
          CreateDate: date(g.createDate),
          GroupPolicyList: g.inlinePolicies.map((x) => ({
            PolicyName: x.name,
            PolicyDocument: encodePolicyDocument(x.document),
          })),
          AttachedManagedPolicies: attached(ctx, g.attachedPolicies, new URLSearchParams()),
        },
      });
    }
  }
  if (all || filter.has('Role')) {
    for (const r of a.roles) {
      const { Description: _d, MaxSessionDuration: _m, ...base } = roleShape(ctx, r);
      entries.push({
        kind: 'role',
        value: {
          ...base,
          InstanceProfileList: [],
          RolePolicyList: r.inlinePolicies.map((x) => ({
            PolicyName: x.name,
            PolicyDocument: encodePolicyDocument(x.document),
          })),
          AttachedManagedPolicies: attached(ctx, r.attachedPolicies, new URLSearchParams()),
          Tags: r.tags,
          RoleLastUsed: {},
        },
      });
    }
  }
  const wantLocal = all || filter.has('LocalManagedPolicy');
  const wantAws = all || filter.has('AWSManagedPolicy');
  if (wantLocal || wantAws) {
    for (const policy of world.policies.values()) {
      const isAws = world.awsManagedArns.has(policy.arn) || policy.arn.startsWith('arn:aws:iam::aws:');
      const count = world.attachmentCount(policy.arn);
      // Like IAM, AWS managed policies are listed only when something in the account uses them.
      if (isAws ? !wantAws || count === 0 : !wantLocal) continue;
      entries.push({
        kind: 'policy',
        value: {
          PolicyName: policy.policyName,
          PolicyId: policy.policyId,
          Arn: policy.arn,
          Path: policy.path,
          DefaultVersionId: policy.defaultVersionId,
          AttachmentCount: count,
          PermissionsBoundaryUsageCount: 0,
          IsAttachable: true,
          CreateDate: date(policy.createDate),
          UpdateDate: date(policy.updateDate),
          PolicyVersionList: policy.versions.map((v) => ({
            Document: encodePolicyDocument(v.document),
            VersionId: v.versionId,
            IsDefaultVersion: v.versionId === policy.defaultVersionId,
            CreateDate: date(v.createDate),
          })),
        },
      });
    }
  }
  const result = page(p, entries, `GetAccountAuthorizationDetails:${[...filter].sort().join(',')}`);
  const of = (kind: Entry['kind']) => result.items.filter((e) => e.kind === kind).map((e) => e.value);
  return {
    UserDetailList: of('user'),
    GroupDetailList: of('group'),
    RoleDetailList: of('role'),
    Policies: of('policy'),
    IsTruncated: result.IsTruncated,
    Marker: result.Marker,
  };
}

const userResource = (ctx: CallContext, p: URLSearchParams) => {
  const u = ctx.world.users.get(p.get('UserName') ?? '');
  return u ? userArn(ctx, u) : `arn:aws:iam::${ctx.world.accountId}:user/${p.get('UserName') ?? ''}`;
};
const groupResource = (ctx: CallContext, p: URLSearchParams) => {
  const g = ctx.world.groups.get(p.get('GroupName') ?? '');
  return g ? groupArn(ctx, g) : `arn:aws:iam::${ctx.world.accountId}:group/${p.get('GroupName') ?? ''}`;
};
const roleResource = (ctx: CallContext, p: URLSearchParams) => {
  const r = ctx.world.roles.get(p.get('RoleName') ?? '');
  return r ? roleArn(ctx, r) : `arn:aws:iam::${ctx.world.accountId}:role/${p.get('RoleName') ?? ''}`;
};
const policyResource = (_ctx: CallContext, p: URLSearchParams) => p.get('PolicyArn') ?? '*';

export const iamOperations: Record<string, QueryOperation> = {
  GetAccountAuthorizationDetails: {
    action: 'iam:GetAccountAuthorizationDetails',
    run: accountAuthorizationDetails,
  },
  ListUsers: {
    action: 'iam:ListUsers',
    resource: (ctx) => `arn:aws:iam::${ctx.world.accountId}:user/`,
    run: (ctx, p) => {
      const prefix = p.get('PathPrefix') ?? '/';
      const users = ctx.world.scenario.account.users.filter((u) => u.path.startsWith(prefix));
      const r = page(p, users, `ListUsers:${prefix}`);
      return {
        Users: r.items.map((u) => ({
          Path: u.path,
          UserName: u.userName,
          UserId: u.userId,
          Arn: userArn(ctx, u),
          CreateDate: date(u.createDate),
          PasswordLastUsed: u.password?.lastUsed ? date(u.password.lastUsed) : undefined,
        })),
        IsTruncated: r.IsTruncated,
        Marker: r.Marker,
      };
    },
  },
  ListUserTags: {
    action: 'iam:ListUserTags',
    resource: userResource,
    run: (ctx, p) => {
      const user = getUser(ctx, p);
      const r = page(p, user.tags, `ListUserTags:${user.userName}`);
      return { Tags: r.items, IsTruncated: r.IsTruncated, Marker: r.Marker };
    },
  },
  GetUser: {
    action: 'iam:GetUser',
    resource: userResource,
    run: (ctx, p) => {
      const u = userOrSelf(ctx, p);
      return {
        User: {
          Path: u.path,
          UserName: u.userName,
          UserId: u.userId,
          Arn: userArn(ctx, u),
          CreateDate: date(u.createDate),
          PasswordLastUsed: u.password?.lastUsed ? date(u.password.lastUsed) : undefined,
          PermissionsBoundary: u.permissionsBoundary
            ? { PermissionsBoundaryType: 'Policy', PermissionsBoundaryArn: u.permissionsBoundary }
            : undefined,
          Tags: u.tags.length > 0 ? u.tags : undefined,
        },
      };
    },
  },
  ListAccessKeys: {
    action: 'iam:ListAccessKeys',
    resource: userResource,
    run: (ctx, p) => {
      const user = userOrSelf(ctx, p);
      const r = page(p, user.accessKeys, `ListAccessKeys:${user.userName}`);
      return {
        AccessKeyMetadata: r.items.map((k) => ({
          UserName: user.userName,
          AccessKeyId: k.accessKeyId,
          Status: k.status,
          CreateDate: date(k.createDate),
        })),
        IsTruncated: r.IsTruncated,
        Marker: r.Marker,
      };
    },
  },
  ListGroups: {
    action: 'iam:ListGroups',
    resource: (ctx) => `arn:aws:iam::${ctx.world.accountId}:group/`,
    run: (ctx, p) => {
      const prefix = p.get('PathPrefix') ?? '/';
      const groups = ctx.world.scenario.account.groups.filter((g) => g.path.startsWith(prefix));
      const r = page(p, groups, `ListGroups:${prefix}`);
      return {
        Groups: r.items.map((g) => ({
          Path: g.path,
          GroupName: g.groupName,
          GroupId: g.groupId,
          Arn: groupArn(ctx, g),
          CreateDate: date(g.createDate),
        })),
        IsTruncated: r.IsTruncated,
        Marker: r.Marker,
      };
    },
  },
  ListGroupsForUser: {
    action: 'iam:ListGroupsForUser',
    resource: userResource,
    run: (ctx, p) => {
      const user = getUser(ctx, p);
      const groups = user.groups.map((g) => ctx.world.groups.get(g)).filter((g) => g !== undefined);
      const r = page(p, groups, `ListGroupsForUser:${user.userName}`);
      return {
        Groups: r.items.map((g) => ({
          Path: g.path,
          GroupName: g.groupName,
          GroupId: g.groupId,
          Arn: groupArn(ctx, g),
          CreateDate: date(g.createDate),
        })),
        IsTruncated: r.IsTruncated,
        Marker: r.Marker,
      };
    },
  },
  ListAttachedUserPolicies: {
    action: 'iam:ListAttachedUserPolicies',
    resource: userResource,
    run: (ctx, p) => {
      const user = getUser(ctx, p);
      const r = page(p, attached(ctx, user.attachedPolicies, p), `ListAttachedUserPolicies:${user.userName}`);
      return { AttachedPolicies: r.items, IsTruncated: r.IsTruncated, Marker: r.Marker };
    },
  },
  ListUserPolicies: {
    action: 'iam:ListUserPolicies',
    resource: userResource,
    run: (ctx, p) => {
      const user = getUser(ctx, p);
      const r = page(
        p,
        user.inlinePolicies.map((x) => x.name),
        `ListUserPolicies:${user.userName}`,
      );
      return { PolicyNames: r.items, IsTruncated: r.IsTruncated, Marker: r.Marker };
    },
  },
  GetUserPolicy: {
    action: 'iam:GetUserPolicy',
    resource: userResource,
    run: (ctx, p) => {
      const user = getUser(ctx, p);
      const name = required(p, 'PolicyName');
      const policy = user.inlinePolicies.find((x) => x.name === name);
      if (!policy)
        throw new AwsError('NoSuchEntity', `The user policy with name ${name} cannot be found.`, 404);
      return {
        UserName: user.userName,
        PolicyName: name,
        PolicyDocument: encodePolicyDocument(policy.document),
      };
    },
  },
  ListGroupPolicies: {
    action: 'iam:ListGroupPolicies',
    resource: groupResource,
    run: (ctx, p) => {
      const group = getGroup(ctx, p);
      const r = page(
        p,
        group.inlinePolicies.map((x) => x.name),
        `ListGroupPolicies:${group.groupName}`,
      );
      return { PolicyNames: r.items, IsTruncated: r.IsTruncated, Marker: r.Marker };
    },
  },
  GetGroupPolicy: {
    action: 'iam:GetGroupPolicy',
    resource: groupResource,
    run: (ctx, p) => {
      const group = getGroup(ctx, p);
      const name = required(p, 'PolicyName');
      const policy = group.inlinePolicies.find((x) => x.name === name);
      if (!policy)
        throw new AwsError('NoSuchEntity', `The group policy with name ${name} cannot be found.`, 404);
      return {
        GroupName: group.groupName,
        PolicyName: name,
        PolicyDocument: encodePolicyDocument(policy.document),
      };
    },
  },
  ListAttachedGroupPolicies: {
    action: 'iam:ListAttachedGroupPolicies',
    resource: groupResource,
    run: (ctx, p) => {
      const group = getGroup(ctx, p);
      const r = page(
        p,
        attached(ctx, group.attachedPolicies, p),
        `ListAttachedGroupPolicies:${group.groupName}`,
      );
      return { AttachedPolicies: r.items, IsTruncated: r.IsTruncated, Marker: r.Marker };
    },
  },
  ListRoles: {
    action: 'iam:ListRoles',
    resource: (ctx) => `arn:aws:iam::${ctx.world.accountId}:role/`,
    run: (ctx, p) => {
      const prefix = p.get('PathPrefix') ?? '/';
      const roles = ctx.world.scenario.account.roles.filter((r) => r.path.startsWith(prefix));
      const r = page(p, roles, `ListRoles:${prefix}`);
      // ListRoles leaves out tags and the permissions boundary, as IAM does.
      return {
        Roles: r.items.map((role) => ({
          ...roleShape(ctx, role),
          Tags: undefined,
          PermissionsBoundary: undefined,
        })),
        IsTruncated: r.IsTruncated,
        Marker: r.Marker,
      };
    },
  },
  GetRole: {
    action: 'iam:GetRole',
    resource: roleResource,
    run: (ctx, p) => ({ Role: { ...roleShape(ctx, getRole(ctx, p)), RoleLastUsed: {} } }),
  },
  ListRoleTags: {
    action: 'iam:ListRoleTags',
    resource: roleResource,
    run: (ctx, p) => {
      const role = getRole(ctx, p);
      const r = page(p, role.tags, `ListRoleTags:${role.roleName}`);
      return { Tags: r.items, IsTruncated: r.IsTruncated, Marker: r.Marker };
    },
  },
  ListRolePolicies: {
    action: 'iam:ListRolePolicies',
    resource: roleResource,
    run: (ctx, p) => {
      const role = getRole(ctx, p);
      const r = page(
        p,
        role.inlinePolicies.map((x) => x.name),
        `ListRolePolicies:${role.roleName}`,
      );
      return { PolicyNames: r.items, IsTruncated: r.IsTruncated, Marker: r.Marker };
    },
  },
  GetRolePolicy: {
    action: 'iam:GetRolePolicy',
    resource: roleResource,
    run: (ctx, p) => {
      const role = getRole(ctx, p);
      const name = required(p, 'PolicyName');
      const policy = role.inlinePolicies.find((x) => x.name === name);
      if (!policy)
        throw new AwsError('NoSuchEntity', `The role policy with name ${name} cannot be found.`, 404);
      return {
        RoleName: role.roleName,
        PolicyName: name,
        PolicyDocument: encodePolicyDocument(policy.document),
      };
    },
  },
  ListAttachedRolePolicies: {
    action: 'iam:ListAttachedRolePolicies',
    resource: roleResource,
    run: (ctx, p) => {
      const role = getRole(ctx, p);
      const r = page(p, attached(ctx, role.attachedPolicies, p), `ListAttachedRolePolicies:${role.roleName}`);
      return { AttachedPolicies: r.items, IsTruncated: r.IsTruncated, Marker: r.Marker };
    },
  },
  ListPolicies: {
    action: 'iam:ListPolicies',
    run: (ctx, p) => {
      const scope = p.get('Scope') ?? 'All';
      const onlyAttached = p.get('OnlyAttached') === 'true';
      const prefix = p.get('PathPrefix') ?? '/';
      const world = ctx.world;
      const policies = [...world.policies.values()].filter((policy) => {
        const isAws = policy.arn.startsWith('arn:aws:iam::aws:');
        if (scope === 'AWS' ? !isAws : scope === 'Local' ? isAws : false) return false;
        return policy.path.startsWith(prefix) && (!onlyAttached || world.attachmentCount(policy.arn) > 0);
      });
      const r = page(p, policies, `ListPolicies:${scope}:${onlyAttached}:${prefix}`);
      return {
        Policies: r.items.map((policy) => ({
          PolicyName: policy.policyName,
          PolicyId: policy.policyId,
          Arn: policy.arn,
          Path: policy.path,
          DefaultVersionId: policy.defaultVersionId,
          AttachmentCount: world.attachmentCount(policy.arn),
          PermissionsBoundaryUsageCount: 0,
          IsAttachable: true,
          CreateDate: date(policy.createDate),
          UpdateDate: date(policy.updateDate),
        })),
        IsTruncated: r.IsTruncated,
        Marker: r.Marker,
      };
    },
  },
  GetPolicy: {
    action: 'iam:GetPolicy',
    resource: policyResource,
    run: (ctx, p) => {
      const policy = getPolicy(ctx, p);
      return {
        Policy: {
          PolicyName: policy.policyName,
          PolicyId: policy.policyId,
          Arn: policy.arn,
          Path: policy.path,
          DefaultVersionId: policy.defaultVersionId,
          AttachmentCount: ctx.world.attachmentCount(policy.arn),
          PermissionsBoundaryUsageCount: 0,
          IsAttachable: true,
          Description: policy.description,
          CreateDate: date(policy.createDate),
          UpdateDate: date(policy.updateDate),
        },
      };
    },
  },
  GetPolicyVersion: {
    action: 'iam:GetPolicyVersion',
    resource: policyResource,
    run: (ctx, p) => {
      const policy = getPolicy(ctx, p);
      const versionId = required(p, 'VersionId');
      const version = policy.versions.find((v) => v.versionId === versionId);
      if (!version) {
        throw new AwsError(
          'NoSuchEntity',
          `Policy ${policy.arn} version ${versionId} does not exist or is not attachable.`,
          404,
        );
      }
      return {
        PolicyVersion: {
          Document: encodePolicyDocument(version.document),
          VersionId: version.versionId,
          IsDefaultVersion: version.versionId === policy.defaultVersionId,
          CreateDate: date(version.createDate),
        },
      };
    },
  },
  GenerateCredentialReport: {
    action: 'iam:GenerateCredentialReport',
    run: (ctx) => generateCredentialReport(ctx),
  },
  GetCredentialReport: { action: 'iam:GetCredentialReport', run: (ctx) => getCredentialReport(ctx) },
  ListSSHPublicKeys: {
    action: 'iam:ListSSHPublicKeys',
    resource: userResource,
    run: (ctx, p) => {
      const user = userOrSelf(ctx, p);
      const r = page(p, user.sshPublicKeys, `ListSSHPublicKeys:${user.userName}`);
      return {
        SSHPublicKeys: r.items.map((k) => ({
          UserName: user.userName,
          SSHPublicKeyId: k.sshPublicKeyId,
          Status: k.status,
          UploadDate: date(k.uploadDate),
        })),
        IsTruncated: r.IsTruncated,
        Marker: r.Marker,
      };
    },
  },
  ListServiceSpecificCredentials: {
    action: 'iam:ListServiceSpecificCredentials',
    resource: (ctx, p) => (p.get('UserName') ? userResource(ctx, p) : '*'),
    run: (ctx, p) => {
      const serviceName = p.get('ServiceName');
      const users = p.get('AllUsers') === 'true' ? ctx.world.scenario.account.users : [userOrSelf(ctx, p)];
      const creds = users.flatMap((u) =>
        u.serviceSpecificCredentials
          .filter((c) => !serviceName || c.serviceName === serviceName)
          .map((c) => ({
            UserName: u.userName,
            Status: c.status,
            ServiceUserName: c.serviceUserName ?? `${u.userName}-at-${ctx.world.accountId}`,
            CreateDate: date(c.createDate),
            ServiceSpecificCredentialId: c.serviceSpecificCredentialId,
            ServiceName: c.serviceName,
          })),
      );
      const r = page(
        p,
        creds,
        `ListServiceSpecificCredentials:${p.get('UserName') ?? '*'}:${serviceName ?? ''}`,
      );
      return { ServiceSpecificCredentials: r.items, IsTruncated: r.IsTruncated, Marker: r.Marker };
    },
  },
  CreateRole: {
    action: 'iam:CreateRole',
    resource: (ctx, p) =>
      `arn:aws:iam::${ctx.world.accountId}:role${p.get('Path') ?? '/'}${p.get('RoleName') ?? ''}`,
    run: (ctx, p) => {
      const name = required(p, 'RoleName');
      if (!/^[\w+=,.@-]{1,64}$/.test(name)) {
        throw new AwsError(
          'ValidationError',
          validationMessage('roleName', name, 'Member must satisfy regular expression pattern: [\\w+=,.@-]+'),
        );
      }
      const path = p.get('Path') ?? '/';
      if (!/^\/([\x21-\x7E]*\/)?$/.test(path)) {
        throw new AwsError(
          'ValidationError',
          validationMessage(
            'path',
            path,
            'Member must satisfy regular expression pattern: (\\u002F)|(\\u002F[\\u0021-\\u007E]+\\u002F)',
          ),
        );
      }
      if ([...ctx.world.roles.keys()].some((r) => r.toLowerCase() === name.toLowerCase())) {
        throw new AwsError('EntityAlreadyExists', `Role with name ${name} already exists.`, 409);
      }
      const trustPolicy = parseDocument(required(p, 'AssumeRolePolicyDocument'));
      const maxRaw = p.get('MaxSessionDuration');
      const maxSessionDuration = maxRaw === null ? 3600 : Number(maxRaw);
      if (!Number.isInteger(maxSessionDuration) || maxSessionDuration < 3600 || maxSessionDuration > 43200) {
        throw new AwsError(
          'ValidationError',
          validationMessage('maxSessionDuration', maxRaw, 'Member must have value between 3600 and 43200'),
        );
      }
      const tags: { Key: string; Value: string }[] = [];
      for (let i = 1; p.get(`Tags.member.${i}.Key`) !== null; i++) {
        tags.push({ Key: p.get(`Tags.member.${i}.Key`)!, Value: p.get(`Tags.member.${i}.Value`) ?? '' });
      }
      const role: ScenarioRole = {
        roleName: name,
        roleId: randomId('AROA', 17),
        path,
        createDate: new Date(ctx.now).toISOString(),
        description: p.get('Description') ?? undefined,
        maxSessionDuration,
        trustPolicy,
        inlinePolicies: [],
        attachedPolicies: [],
        permissionsBoundary: p.get('PermissionsBoundary'),
        tags,
      };
      ctx.world.addRole(role);
      return { Role: roleShape(ctx, role) };
    },
  },
  UpdateAssumeRolePolicy: {
    action: 'iam:UpdateAssumeRolePolicy',
    resource: roleResource,
    run: (ctx, p) => {
      const role = getRole(ctx, p);
      role.trustPolicy = parseDocument(required(p, 'PolicyDocument'));
      return undefined;
    },
  },
  PutRolePolicy: {
    action: 'iam:PutRolePolicy',
    resource: roleResource,
    run: (ctx, p) => {
      const role = getRole(ctx, p);
      const name = required(p, 'PolicyName');
      if (!NAME.test(name))
        throw new AwsError(
          'ValidationError',
          validationMessage(
            'policyName',
            name,
            'Member must satisfy regular expression pattern: [\\w+=,.@-]+',
          ),
        );
      const document = parseDocument(required(p, 'PolicyDocument'));
      const existing = role.inlinePolicies.find((x) => x.name === name);
      if (existing) existing.document = document;
      else role.inlinePolicies.push({ name, document });
      return undefined;
    },
  },
  DeleteRolePolicy: {
    action: 'iam:DeleteRolePolicy',
    resource: roleResource,
    run: (ctx, p) => {
      const role = getRole(ctx, p);
      const name = required(p, 'PolicyName');
      const i = role.inlinePolicies.findIndex((x) => x.name === name);
      if (i < 0)
        throw new AwsError('NoSuchEntity', `The role policy with name ${name} cannot be found.`, 404);
      role.inlinePolicies.splice(i, 1);
      return undefined;
    },
  },
  AttachRolePolicy: {
    action: 'iam:AttachRolePolicy',
    resource: roleResource,
    run: (ctx, p) => {
      const role = getRole(ctx, p);
      const policy = getPolicy(ctx, p);
      if (!role.attachedPolicies.includes(policy.arn)) role.attachedPolicies.push(policy.arn);
      return undefined;
    },
  },
  DetachRolePolicy: {
    action: 'iam:DetachRolePolicy',
    resource: roleResource,
    run: (ctx, p) => {
      const role = getRole(ctx, p);
      const arn = required(p, 'PolicyArn');
      const i = role.attachedPolicies.indexOf(arn);
      if (i < 0) throw new AwsError('NoSuchEntity', `Policy ${arn} was not found.`, 404);
      role.attachedPolicies.splice(i, 1);
      return undefined;
    },
  },
  DeleteRole: {
    action: 'iam:DeleteRole',
    resource: roleResource,
    run: (ctx, p) => {
      const role = getRole(ctx, p);
      if (role.attachedPolicies.length > 0) {
        throw new AwsError('DeleteConflict', 'Cannot delete entity, must detach all policies first.', 409);
      }
      if (role.inlinePolicies.length > 0) {
        throw new AwsError('DeleteConflict', 'Cannot delete entity, must delete policies first.', 409);
      }
      ctx.world.deleteRole(role.roleName);
      return undefined;
    },
  },
};
