import { z } from 'zod';
import { faultRuleSchema } from '../faults.js';

/**
 * The scenario: one JSON document describing the world fake-aws serves (the platform's identity and
 * one customer account with its IAM and CodeCommit state). Objects are strict so a typo in a field
 * name is refused with its path instead of being silently ignored.
 */

const isoDate = z.iso.datetime({ offset: true }).describe('ISO 8601 date-time, e.g. 2026-01-31T12:00:00Z');
const accountId = z.string().regex(/^\d{12}$/, 'must be a 12-digit AWS account id');
const stringOrList = z.union([z.string(), z.array(z.string())]).meta({ id: 'StringOrList' });

export const policyStatementSchema = z
  .looseObject({
    Sid: z.string().optional(),
    Effect: z.enum(['Allow', 'Deny']),
    Action: stringOrList.optional(),
    NotAction: stringOrList.optional(),
    Resource: stringOrList.optional(),
    NotResource: stringOrList.optional(),
    Principal: z.union([z.literal('*'), z.record(z.string(), stringOrList)]).optional(),
    NotPrincipal: z.union([z.literal('*'), z.record(z.string(), stringOrList)]).optional(),
    Condition: z
      .record(
        z.string(),
        z.record(z.string(), z.union([z.string(), z.boolean(), z.number(), z.array(z.string())])),
      )
      .optional(),
  })
  .meta({ id: 'PolicyStatement' });

/** An IAM policy document, as JSON (not URL-encoded). */
export const policyDocumentSchema = z
  .looseObject({
    Version: z.string().optional(),
    Id: z.string().optional(),
    Statement: z.union([policyStatementSchema, z.array(policyStatementSchema)]),
  })
  .meta({ id: 'PolicyDocument' });

const tagSchema = z.strictObject({ Key: z.string().min(1), Value: z.string() }).meta({ id: 'Tag' });
const inlinePolicySchema = z
  .strictObject({ name: z.string().min(1), document: policyDocumentSchema })
  .meta({ id: 'InlinePolicy' });
const credentialsSchema = z
  .strictObject({
    accessKeyId: z.string().min(16),
    secretAccessKey: z.string().min(1),
  })
  .meta({ id: 'Credentials' });

const accessKeySchema = z.strictObject({
  accessKeyId: z.string().min(16),
  status: z.enum(['Active', 'Inactive']),
  createDate: isoDate.describe('when the key was created (the report’s last_rotated)'),
  lastUsedDate: isoDate.nullable().default(null),
  lastUsedRegion: z.string().nullable().default(null),
  lastUsedService: z.string().nullable().default(null),
});

const userSchema = z.strictObject({
  userName: z.string().min(1),
  userId: z.string().regex(/^AIDA[A-Z0-9]{8,}$/, 'must look like AIDA…'),
  path: z.string().default('/'),
  createDate: isoDate,
  tags: z.array(tagSchema).default([]),
  groups: z.array(z.string()).default([]),
  inlinePolicies: z.array(inlinePolicySchema).default([]),
  attachedPolicies: z.array(z.string()).default([]).describe('managed policy ARNs'),
  permissionsBoundary: z.string().nullable().default(null),
  password: z
    .strictObject({
      enabled: z.boolean().default(true),
      lastUsed: isoDate.nullable().default(null),
      lastChanged: isoDate.nullable().default(null),
    })
    .nullable()
    .default(null)
    .describe('console password (login profile); null = none'),
  mfaActive: z.boolean().default(false),
  accessKeys: z.array(accessKeySchema).max(2).default([]),
  sshPublicKeys: z
    .array(
      z.strictObject({
        sshPublicKeyId: z.string().regex(/^APKA[A-Z0-9]+$/, 'must look like APKA…'),
        status: z.enum(['Active', 'Inactive']),
        uploadDate: isoDate,
      }),
    )
    .default([]),
  serviceSpecificCredentials: z
    .array(
      z.strictObject({
        serviceSpecificCredentialId: z.string().regex(/^ACCA[A-Z0-9]+$/, 'must look like ACCA…'),
        serviceName: z.string().default('codecommit.amazonaws.com'),
        serviceUserName: z.string().optional(),
        status: z.enum(['Active', 'Inactive']),
        createDate: isoDate,
      }),
    )
    .default([]),
});

const groupSchema = z.strictObject({
  groupName: z.string().min(1),
  groupId: z.string().regex(/^AGPA[A-Z0-9]{8,}$/, 'must look like AGPA…'),
  path: z.string().default('/'),
  createDate: isoDate,
  inlinePolicies: z.array(inlinePolicySchema).default([]),
  attachedPolicies: z.array(z.string()).default([]),
});

export const roleSchema = z.strictObject({
  roleName: z.string().min(1),
  roleId: z.string().regex(/^AROA[A-Z0-9]{8,}$/, 'must look like AROA…'),
  path: z.string().default('/'),
  createDate: isoDate,
  description: z.string().optional(),
  maxSessionDuration: z.number().int().min(3600).max(43200).default(3600),
  trustPolicy: policyDocumentSchema,
  inlinePolicies: z.array(inlinePolicySchema).default([]),
  attachedPolicies: z.array(z.string()).default([]),
  permissionsBoundary: z.string().nullable().default(null),
  tags: z.array(tagSchema).default([]),
});

const managedPolicySchema = z.strictObject({
  arn: z.string().regex(/^arn:aws:iam::(aws|\d{12}):policy\//, 'must be a managed policy ARN'),
  policyName: z.string().min(1),
  policyId: z.string().regex(/^ANPA[A-Z0-9]{8,}$/, 'must look like ANPA…'),
  path: z.string().default('/'),
  description: z.string().optional(),
  createDate: isoDate,
  updateDate: isoDate,
  defaultVersionId: z.string().regex(/^v\d+$/),
  versions: z
    .array(
      z.strictObject({
        versionId: z.string().regex(/^v\d+$/),
        createDate: isoDate,
        document: policyDocumentSchema,
      }),
    )
    .min(1),
});

/** Approval rule content in CodeCommit's own format (Version 2018-11-08). */
export const approvalRuleContentSchema = z
  .looseObject({
    Version: z.literal('2018-11-08'),
    DestinationReferences: z.array(z.string()).optional(),
    Statements: z.array(
      z.looseObject({
        Type: z.literal('Approvers'),
        NumberOfApprovalsNeeded: z.number().int().min(1),
        ApprovalPoolMembers: z.array(z.string()).optional(),
      }),
    ),
  })
  .meta({ id: 'ApprovalRuleContent' });

const repositorySchema = z.strictObject({
  repositoryName: z.string().regex(/^[\w.-]{1,100}$/, 'must be a valid repository name'),
  repositoryId: z.string().min(1),
  description: z.string().optional(),
  defaultBranch: z.string().nullable().default(null).describe('null for an empty repository'),
  creationDate: isoDate,
  lastModifiedDate: isoDate,
  kmsKeyId: z.string().optional(),
  branches: z
    .array(z.strictObject({ name: z.string().min(1), commitId: z.string().regex(/^[0-9a-f]{40}$/) }))
    .default([]),
});

const approvalRuleTemplateSchema = z.strictObject({
  name: z.string().min(1),
  id: z.string().min(1),
  description: z.string().default(''),
  content: approvalRuleContentSchema,
  creationDate: isoDate,
  lastModifiedDate: isoDate,
  lastModifiedUser: z.string(),
});

const pullRequestEventSchema = z.strictObject({
  type: z.enum([
    'PULL_REQUEST_CREATED',
    'PULL_REQUEST_STATUS_CHANGED',
    'PULL_REQUEST_SOURCE_REFERENCE_UPDATED',
    'PULL_REQUEST_MERGE_STATE_CHANGED',
    'PULL_REQUEST_APPROVAL_RULE_CREATED',
    'PULL_REQUEST_APPROVAL_RULE_UPDATED',
    'PULL_REQUEST_APPROVAL_RULE_DELETED',
    'PULL_REQUEST_APPROVAL_RULE_OVERRIDDEN',
    'PULL_REQUEST_APPROVAL_STATE_CHANGED',
  ]),
  date: isoDate,
  actorArn: z.string(),
  /** Event metadata in the API's own shape (e.g. `{ "revisionId": "…", "approvalStatus": "APPROVE" }`). */
  metadata: z.record(z.string(), z.unknown()).default({}),
});

const pullRequestSchema = z.strictObject({
  pullRequestId: z.string().regex(/^\d+$/, 'must be a numeric string'),
  title: z.string(),
  description: z.string().optional(),
  repositoryName: z.string(),
  authorArn: z.string(),
  status: z.enum(['OPEN', 'CLOSED']),
  creationDate: isoDate,
  lastActivityDate: isoDate,
  sourceReference: z.string().regex(/^refs\//, 'must start with refs/'),
  destinationReference: z.string().regex(/^refs\//, 'must start with refs/'),
  sourceCommit: z.string().regex(/^[0-9a-f]{40}$/),
  destinationCommit: z.string().regex(/^[0-9a-f]{40}$/),
  mergeBase: z
    .string()
    .regex(/^[0-9a-f]{40}$/)
    .optional(),
  isMerged: z.boolean().default(false),
  mergedBy: z.string().nullable().default(null),
  mergeCommitId: z.string().nullable().default(null),
  mergeOption: z.enum(['FAST_FORWARD_MERGE', 'SQUASH_MERGE', 'THREE_WAY_MERGE']).nullable().default(null),
  revisions: z
    .array(z.string().regex(/^[0-9a-f]{64}$/, 'must be a 64-hex revision id'))
    .min(1)
    .describe('ordered, oldest first; the last one is the current revision'),
  approvals: z
    .array(
      z.strictObject({ revisionId: z.string(), userArn: z.string(), state: z.enum(['APPROVE', 'REVOKE']) }),
    )
    .default([])
    .describe('in the order they happened; a later entry by the same user on the same revision wins'),
  approvalRules: z
    .array(
      z.strictObject({
        name: z.string().min(1),
        id: z.string().min(1),
        content: approvalRuleContentSchema,
        originTemplate: z.strictObject({ id: z.string(), name: z.string() }).nullable().default(null),
        creationDate: isoDate,
        lastModifiedDate: isoDate,
        lastModifiedUser: z.string(),
      }),
    )
    .default([]),
  override: z
    .strictObject({ revisionId: z.string(), overrider: z.string() })
    .nullable()
    .default(null)
    .describe('approval rules overridden on that revision'),
  events: z
    .array(pullRequestEventSchema)
    .optional()
    .describe('when absent, events are derived from the other fields'),
});

const regionSchema = z.strictObject({
  repositories: z.array(repositorySchema).default([]),
  approvalRuleTemplates: z.array(approvalRuleTemplateSchema).default([]),
  associations: z
    .record(z.string(), z.array(z.string()))
    .default({})
    .describe('approval rule template name -> repository names'),
  pullRequests: z.array(pullRequestSchema).default([]),
});

export const scenarioSchema = z.strictObject({
  $schema: z.string().optional(),
  name: z.string().optional(),
  description: z.string().optional(),
  referenceDate: isoDate
    .optional()
    .describe(
      'the "today" of the story; with shiftDates every date moves by the whole days from referenceDate to now',
    ),
  platform: z.strictObject({
    accountId,
    principalArn: z
      .string()
      .optional()
      .describe('defaults to arn:aws:iam::PLATFORM:user/codecommit-evidence'),
    credentials: credentialsSchema,
  }),
  account: z.strictObject({
    accountId,
    alias: z.string().optional(),
    createDate: isoDate.default('2020-01-01T00:00:00Z'),
    adminCredentials: credentialsSchema.extend({
      principalArn: z
        .string()
        .optional()
        .describe('who the admin is; defaults to the account root. Allowed everything in the account.'),
    }),
    root: z
      .strictObject({
        mfaActive: z.boolean().default(true),
        passwordLastUsed: isoDate.nullable().default(null),
        accessKeys: z
          .array(accessKeySchema.omit({ accessKeyId: true }))
          .max(2)
          .default([]),
      })
      .default({ mfaActive: true, passwordLastUsed: null, accessKeys: [] }),
    users: z.array(userSchema).default([]),
    groups: z.array(groupSchema).default([]),
    roles: z.array(roleSchema).default([]),
    policies: z
      .array(managedPolicySchema)
      .default([])
      .describe('customer managed policies, and AWS managed ones overriding the built-in catalog'),
    regions: z
      .record(z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'must be a region name'), regionSchema)
      .default({}),
  }),
  faults: z
    .array(faultRuleSchema.meta({ id: 'FaultRule' }))
    .max(1000)
    .optional()
    .describe(
      'per-operation faults in force once the scenario is loaded, as the fault knob takes them (see the README)',
    ),
});

/** A validated scenario (defaults applied). */
export type Scenario = z.output<typeof scenarioSchema>;
/** A scenario as written in a file (defaults optional). */
export type ScenarioInput = z.input<typeof scenarioSchema>;
export type ScenarioUser = Scenario['account']['users'][number];
export type ScenarioGroup = Scenario['account']['groups'][number];
export type ScenarioRole = Scenario['account']['roles'][number];
export type ScenarioManagedPolicy = Scenario['account']['policies'][number];
export type ScenarioRegion = Scenario['account']['regions'][string];
export type ScenarioRepository = ScenarioRegion['repositories'][number];
export type ScenarioPullRequest = ScenarioRegion['pullRequests'][number];
export type ScenarioApprovalRuleTemplate = ScenarioRegion['approvalRuleTemplates'][number];
export type PolicyDocument = z.output<typeof policyDocumentSchema>;
export type PolicyStatement = z.output<typeof policyStatementSchema>;
export type ApprovalRuleContent = z.output<typeof approvalRuleContentSchema>;
