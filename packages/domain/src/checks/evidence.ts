import { z } from 'zod';
import type { CodeCommitAccessSummary, RoleAccessPath, StatementRef } from '../iam/types.js';
import { SCOPES } from './scopes.js';

/**
 * The input of every check: the evidence of one sync run, as the checks-evaluator assembles it from the
 * evidence store. `null` always means "not collected in this run" (a missing permission or a failed
 * sync step, recorded in `run.completeness`), never "none".
 */
export interface CheckEvidence {
  run: SyncRunEvidence;
  users: IamUserEvidence[];
  roles: IamRoleEvidence[];
  /** The root user's credential-report row; null when the credential report was not collected. */
  root: RootEvidence | null;
  /** The tenant's roster. */
  people: PersonEvidence[];
  /** Links set explicitly through the API; they win over tags and user names. */
  identityLinks: IdentityLinkEvidence[];
  repositories: RepositoryEvidence[];
}

/** Default audit window of the peer-review check, in days (per connection). */
export const DEFAULT_AUDIT_WINDOW_DAYS = 90;

/** The scopes the checks read gaps on, by their older name (one definition: {@link SCOPES}). */
export const SYNC_STEPS = SCOPES;

export interface MissingPermission {
  /** The IAM action that was denied, e.g. `iam:GetCredentialReport`. */
  action: string;
  /** The sync step that needed it, e.g. `iam:credential-report`. */
  step: string;
}

export interface FailedStep {
  step: string;
  reason: string;
}

export interface SyncRunEvidence {
  syncRunId: string;
  accountId: string;
  region: string;
  /** The instant the checks judge: the end of the audit window. */
  evaluatedAt: Date;
  /** Peer-review audit window in days; defaults to {@link DEFAULT_AUDIT_WINDOW_DAYS}. */
  auditWindowDays?: number;
  completeness: {
    missingPermissions: MissingPermission[];
    failedSteps: FailedStep[];
  };
}

export interface AccessKeyEvidence {
  id?: string;
  active: boolean;
  lastUsed: Date | null;
}

export interface UserCredentialsEvidence {
  /** Console password (credential report `password_enabled`); null = unknown. */
  passwordEnabled: boolean | null;
  passwordLastUsed: Date | null;
  /** Credential report `mfa_active`; null = unknown. */
  mfaActive: boolean | null;
  /** From the credential report; null = not collected. */
  accessKeys: AccessKeyEvidence[] | null;
  /** `iam:ListSSHPublicKeys`; null = not collected. */
  sshPublicKeys: { id: string; active: boolean }[] | null;
  /** HTTPS Git credentials (`iam:ListServiceSpecificCredentials` for codecommit); null = not collected. */
  gitCredentials: { id: string; active: boolean }[] | null;
  /** The raw credential-report row, shown as evidence. */
  credentialReportRow: Record<string, string> | null;
}

export interface IamUserEvidence {
  arn: string;
  userName: string;
  userId: string;
  tags: Record<string, string>;
  credentials: UserCredentialsEvidence;
  access: CodeCommitAccessSummary;
}

export interface IamRoleEvidence {
  arn: string;
  roleName: string;
  access: CodeCommitAccessSummary;
}

export interface RootEvidence {
  mfaActive: boolean | null;
  credentialReportRow: Record<string, string> | null;
}

export interface PersonEvidence {
  email: string;
  name: string;
  status: 'active' | 'offboarded';
  offboardedAt: Date | null;
}

export interface IdentityLinkEvidence {
  iamUserArn: string;
  personEmail: string;
}

export interface ApprovalRuleTemplateEvidence {
  name: string;
  id: string;
  /** Full references (`refs/heads/main`); empty means every branch. */
  destinationReferences: string[];
  requiredApprovals: number;
  approvalPoolMembers: string[];
}

export interface RepositoryEvidence {
  name: string;
  arn: string;
  id: string;
  /** null for an empty repository. */
  defaultBranch: string | null;
  /** Templates associated with the repository; null = not collected. */
  approvalRuleTemplates: ApprovalRuleTemplateEvidence[] | null;
  /** Pull requests; null = not collected. */
  pullRequests: PullRequestEvidence[] | null;
}

export interface PullRequestApprovalEvidence {
  revisionId: string;
  userArn: string;
  state: 'APPROVE' | 'REVOKE';
}

export interface PullRequestEvidence {
  id: string;
  title: string;
  authorArn: string;
  status: 'OPEN' | 'CLOSED';
  isMerged: boolean;
  mergedBy: string | null;
  /** When it was merged; null when unknown, in which case the checks use `lastActivityDate`. */
  mergedAt: Date | null;
  creationDate: Date;
  lastActivityDate: Date;
  sourceReference: string;
  /** e.g. `refs/heads/main`. */
  destinationReference: string;
  /** The final revision. */
  revisionId: string;
  /** Approval events in chronological order: a later REVOKE cancels an earlier APPROVE. */
  approvals: PullRequestApprovalEvidence[];
  /** `EvaluatePullRequestApprovalRules` on the final revision. */
  evaluation: {
    approved: boolean;
    overridden: boolean;
    approvalRulesSatisfied: string[];
    approvalRulesNotSatisfied: string[];
  } | null;
  /** `GetPullRequestOverrideState`. */
  override: { overridden: boolean; overrider: string | null } | null;
}

// ---------------------------------------------------------------------------------------------------
// Run-time validation. The access summaries come from our own evaluator, so their policy statements
// are only checked to be objects.

const date = z.coerce.date();
const statementRef = z.custom<StatementRef>((v) => typeof v === 'object' && v !== null);
const actionGrant = z.object({
  action: z.string(),
  decision: z.enum(['allow', 'unknown']),
  statements: z.array(statementRef),
  reason: z.string().optional(),
  conditionKeys: z.array(z.string()).optional(),
});
const accessLevel = z.enum(['none', 'read', 'write', 'admin']);
const accessSummary = z.object({
  principalArn: z.string(),
  principalType: z.enum(['user', 'role']),
  hasAccess: z.union([z.boolean(), z.literal('unknown')]),
  level: accessLevel,
  repositories: z.array(
    z.object({
      repositoryName: z.string(),
      repositoryArn: z.string(),
      level: accessLevel,
      grants: z.array(actionGrant),
      defaultBranchBypass: z.array(actionGrant),
      overrideApprovalRules: actionGrant.nullable(),
    }),
  ),
  ownAccess: z.union([z.boolean(), z.literal('unknown')]).optional(),
  regions: z
    .array(
      z.object({
        region: z.string(),
        resourcePattern: z.string(),
        level: accessLevel,
        grants: z.array(actionGrant),
      }),
    )
    .optional(),
  viaRoles: z.array(z.custom<RoleAccessPath>((v) => typeof v === 'object' && v !== null)).optional(),
  viaRoleCount: z.number().int().optional(),
  otherAccountRoles: z
    .array(
      z.object({
        why: z.enum(['other_account', 'roles_not_collected']),
        resourcePattern: z.string(),
        statements: z.array(statementRef),
      }),
    )
    .optional(),
  considered: z.object({ repositories: z.number(), regions: z.number(), roles: z.number() }).optional(),
});
const active = z.object({ id: z.string(), active: z.boolean() });
const row = z.record(z.string(), z.string()).nullable();

/** zod schema of {@link CheckEvidence}; accepts ISO strings for dates (JSON fixtures, exports). */
export const checkEvidenceSchema = z.object({
  run: z.object({
    syncRunId: z.string(),
    accountId: z.string(),
    region: z.string(),
    evaluatedAt: date,
    auditWindowDays: z.number().int().positive().default(DEFAULT_AUDIT_WINDOW_DAYS),
    completeness: z.object({
      missingPermissions: z.array(z.object({ action: z.string(), step: z.string() })),
      failedSteps: z.array(z.object({ step: z.string(), reason: z.string() })),
    }),
  }),
  users: z.array(
    z.object({
      arn: z.string(),
      userName: z.string(),
      userId: z.string(),
      tags: z.record(z.string(), z.string()),
      credentials: z.object({
        passwordEnabled: z.boolean().nullable(),
        passwordLastUsed: date.nullable(),
        mfaActive: z.boolean().nullable(),
        accessKeys: z
          .array(z.object({ id: z.string().optional(), active: z.boolean(), lastUsed: date.nullable() }))
          .nullable(),
        sshPublicKeys: z.array(active).nullable(),
        gitCredentials: z.array(active).nullable(),
        credentialReportRow: row,
      }),
      access: accessSummary,
    }),
  ),
  roles: z.array(z.object({ arn: z.string(), roleName: z.string(), access: accessSummary })),
  root: z.object({ mfaActive: z.boolean().nullable(), credentialReportRow: row }).nullable(),
  people: z.array(
    z.object({
      email: z.string(),
      name: z.string(),
      status: z.enum(['active', 'offboarded']),
      offboardedAt: date.nullable(),
    }),
  ),
  identityLinks: z.array(z.object({ iamUserArn: z.string(), personEmail: z.string() })),
  repositories: z.array(
    z.object({
      name: z.string(),
      arn: z.string(),
      id: z.string(),
      defaultBranch: z.string().nullable(),
      approvalRuleTemplates: z
        .array(
          z.object({
            name: z.string(),
            id: z.string(),
            destinationReferences: z.array(z.string()),
            requiredApprovals: z.number().int(),
            approvalPoolMembers: z.array(z.string()),
          }),
        )
        .nullable(),
      pullRequests: z
        .array(
          z.object({
            id: z.string(),
            title: z.string(),
            authorArn: z.string(),
            status: z.enum(['OPEN', 'CLOSED']),
            isMerged: z.boolean(),
            mergedBy: z.string().nullable(),
            mergedAt: date.nullable(),
            creationDate: date,
            lastActivityDate: date,
            sourceReference: z.string(),
            destinationReference: z.string(),
            revisionId: z.string(),
            approvals: z.array(
              z.object({
                revisionId: z.string(),
                userArn: z.string(),
                state: z.enum(['APPROVE', 'REVOKE']),
              }),
            ),
            evaluation: z
              .object({
                approved: z.boolean(),
                overridden: z.boolean(),
                approvalRulesSatisfied: z.array(z.string()),
                approvalRulesNotSatisfied: z.array(z.string()),
              })
              .nullable(),
            override: z.object({ overridden: z.boolean(), overrider: z.string().nullable() }).nullable(),
          }),
        )
        .nullable(),
    }),
  ),
}) satisfies z.ZodType<CheckEvidence>;

/** Validates untrusted evidence (e.g. JSON) into {@link CheckEvidence}; throws a ZodError when invalid. */
export function parseCheckEvidence(input: unknown): CheckEvidence {
  return checkEvidenceSchema.parse(input);
}
