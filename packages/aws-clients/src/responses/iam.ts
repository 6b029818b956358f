import { z } from 'zod';
import { arn, text, timestamp, token } from './schema.js';

/**
 * IAM answers as the product reads them. Bounds from the API reference's data types: user and role
 * names 1-64 `[\w+=,.@-]+`, group and policy names 1-128, paths 1-512 `/…/`, ids 16-128, tag keys
 * 1-128 and values 0-256, policy documents 1-131,072 characters (AWS returns them URL-encoded, which
 * at most triples them), version ids `v<N>`. https://docs.aws.amazon.com/IAM/latest/APIReference/API_Types.html
 */

const entityName = (max: number) => text(max, 1).regex(/^[\w+=,.@-]+$/, 'is not an IAM name');
export const userName = entityName(64);
const roleName = entityName(64);
const groupName = entityName(128);
const policyName = entityName(128);
const path = text(512, 1).regex(/^\/([\u0021-\u007e]+\/)?$/, 'is not an IAM path');
const id = text(128, 16);
const policyDocument = text(131_072 * 3, 1);
const versionId = text(128, 1).regex(/^v[1-9][0-9]*(\.[A-Za-z0-9-]*)?$/, 'is not a policy version id');

const marker = { IsTruncated: z.boolean().optional(), Marker: token.optional() };

const tag = z.looseObject({ Key: text(128, 1), Value: text(256) });
const tags = z.array(tag).optional();
const boundary = z
  .looseObject({ PermissionsBoundaryType: text(64).optional(), PermissionsBoundaryArn: arn.optional() })
  .optional();
const attachedPolicy = z.looseObject({ PolicyName: policyName.optional(), PolicyArn: arn });
const inlinePolicy = z.looseObject({ PolicyName: policyName, PolicyDocument: policyDocument.optional() });
const roleLastUsed = z
  .looseObject({ LastUsedDate: timestamp.optional(), Region: text(64).optional() })
  .optional();

const policyVersion = z.looseObject({
  Document: policyDocument.optional(),
  VersionId: versionId.optional(),
  IsDefaultVersion: z.boolean().optional(),
  CreateDate: timestamp.optional(),
});

export const getAccountAuthorizationDetailsOutput = z.looseObject({
  UserDetailList: z
    .array(
      z.looseObject({
        Path: path.optional(),
        UserName: userName,
        UserId: id.optional(),
        Arn: arn,
        CreateDate: timestamp.optional(),
        UserPolicyList: z.array(inlinePolicy).optional(),
        GroupList: z.array(groupName).optional(),
        AttachedManagedPolicies: z.array(attachedPolicy).optional(),
        PermissionsBoundary: boundary,
        Tags: tags,
      }),
    )
    .optional(),
  GroupDetailList: z
    .array(
      z.looseObject({
        Path: path.optional(),
        GroupName: groupName,
        GroupId: id.optional(),
        Arn: arn,
        CreateDate: timestamp.optional(),
        GroupPolicyList: z.array(inlinePolicy).optional(),
        AttachedManagedPolicies: z.array(attachedPolicy).optional(),
      }),
    )
    .optional(),
  RoleDetailList: z
    .array(
      z.looseObject({
        Path: path.optional(),
        RoleName: roleName,
        RoleId: id.optional(),
        Arn: arn,
        CreateDate: timestamp.optional(),
        AssumeRolePolicyDocument: policyDocument.optional(),
        RolePolicyList: z.array(inlinePolicy).optional(),
        AttachedManagedPolicies: z.array(attachedPolicy).optional(),
        PermissionsBoundary: boundary,
        Tags: tags,
        RoleLastUsed: roleLastUsed,
      }),
    )
    .optional(),
  Policies: z
    .array(
      z.looseObject({
        PolicyName: policyName.optional(),
        PolicyId: id.optional(),
        Arn: arn,
        Path: path.optional(),
        DefaultVersionId: versionId.optional(),
        AttachmentCount: z.number().int().min(0).optional(),
        IsAttachable: z.boolean().optional(),
        CreateDate: timestamp.optional(),
        UpdateDate: timestamp.optional(),
        PolicyVersionList: z.array(policyVersion).optional(),
      }),
    )
    .optional(),
  ...marker,
});

const user = z.looseObject({
  Path: path.optional(),
  UserName: userName,
  UserId: id.optional(),
  Arn: arn,
  CreateDate: timestamp.optional(),
  PasswordLastUsed: timestamp.optional(),
  PermissionsBoundary: boundary,
  Tags: tags,
});

export const listUsersOutput = z.looseObject({ Users: z.array(user).optional(), ...marker });
export const getUserOutput = z.looseObject({ User: user });
export const listTagsOutput = z.looseObject({ Tags: tags, ...marker });

const group = z.looseObject({
  Path: path.optional(),
  GroupName: groupName,
  GroupId: id.optional(),
  Arn: arn,
  CreateDate: timestamp.optional(),
});
export const listGroupsOutput = z.looseObject({ Groups: z.array(group).optional(), ...marker });
export const listAttachedPoliciesOutput = z.looseObject({
  AttachedPolicies: z.array(attachedPolicy).optional(),
  ...marker,
});
export const listPolicyNamesOutput = z.looseObject({
  PolicyNames: z.array(policyName).optional(),
  ...marker,
});

const role = z.looseObject({
  Path: path.optional(),
  RoleName: roleName,
  RoleId: id.optional(),
  Arn: arn,
  CreateDate: timestamp.optional(),
  AssumeRolePolicyDocument: policyDocument.optional(),
  PermissionsBoundary: boundary,
  Tags: tags,
  RoleLastUsed: roleLastUsed,
});
export const listRolesOutput = z.looseObject({ Roles: z.array(role).optional(), ...marker });
export const getRoleOutput = z.looseObject({ Role: role });

export const listSSHPublicKeysOutput = z.looseObject({
  SSHPublicKeys: z
    .array(
      z.looseObject({
        UserName: userName,
        SSHPublicKeyId: text(128, 20),
        Status: z.enum(['Active', 'Inactive', 'Expired']),
        UploadDate: timestamp.optional(),
      }),
    )
    .optional(),
  ...marker,
});

export const listServiceSpecificCredentialsOutput = z.looseObject({
  ServiceSpecificCredentials: z
    .array(
      z.looseObject({
        UserName: userName,
        Status: z.enum(['Active', 'Inactive', 'Expired']),
        ServiceUserName: text(200).optional(),
        CreateDate: timestamp.optional(),
        ServiceSpecificCredentialId: text(128, 20),
        ServiceName: text(256),
      }),
    )
    .optional(),
  ...marker,
});

export const getPolicyOutput = z.looseObject({
  Policy: z.looseObject({
    PolicyName: policyName.optional(),
    PolicyId: id.optional(),
    Arn: arn.optional(),
    Path: path.optional(),
    DefaultVersionId: versionId.optional(),
    CreateDate: timestamp.optional(),
    UpdateDate: timestamp.optional(),
  }),
});

export const getPolicyVersionOutput = z.looseObject({ PolicyVersion: policyVersion });

export const getInlinePolicyOutput = z.looseObject({
  PolicyName: policyName.optional(),
  PolicyDocument: policyDocument,
});

export const getCredentialReportOutput = z.looseObject({
  Content: z.instanceof(Uint8Array),
  GeneratedTime: timestamp,
  ReportFormat: z.literal('text/csv').optional(),
});

export const generateCredentialReportOutput = z.looseObject({
  State: z.enum(['STARTED', 'INPROGRESS', 'COMPLETE']).optional(),
});
