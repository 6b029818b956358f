import { z } from 'zod';
import { accountId, arn, branchName, commitId, reference, text, timestamp, token } from './schema.js';

/**
 * CodeCommit answers as the product reads them. Bounds from the API reference: repository name 1-100
 * `[\w.-]+`, description 0-1,000, approval rule / template name 1-100 and content 1-3,000, template
 * description 0-1,000, pull request title 1-150 and description 0-10,240, branch names as Git allows
 * (CodeCommit: 1-256). https://docs.aws.amazon.com/codecommit/latest/APIReference/API_Types.html
 */

export const repositoryName = text(100, 1).regex(/^[\w.-]+$/, 'is not a repository name');
const repositoryId = text(128, 1);
const userArn = arn;

const repositoryNameIdPair = z.looseObject({ repositoryName, repositoryId });

export const listRepositoriesOutput = z.looseObject({
  repositories: z.array(repositoryNameIdPair).optional(),
  nextToken: token.optional(),
});

export const repositoryMetadata = z.looseObject({
  repositoryName,
  repositoryId,
  accountId: accountId.optional(),
  Arn: arn.optional(),
  repositoryDescription: text(1000).optional(),
  defaultBranch: branchName.optional(),
  cloneUrlHttp: text(2048).optional(),
  cloneUrlSsh: text(2048).optional(),
  creationDate: timestamp.optional(),
  lastModifiedDate: timestamp.optional(),
});

/** Items are checked one by one by `batchGetRepositories` (`repositoryMetadata`): one bad item is not a bad page. */
export const batchGetRepositoriesOutput = z.looseObject({
  repositories: z.array(z.unknown()).optional(),
  repositoriesNotFound: z.array(repositoryName).optional(),
  errors: z
    .array(
      z.looseObject({
        repositoryId: repositoryId.optional(),
        repositoryName: repositoryName.optional(),
        errorCode: text(256).optional(),
        errorMessage: text(4096).optional(),
      }),
    )
    .optional(),
});

export const listBranchesOutput = z.looseObject({
  branches: z.array(branchName).optional(),
  nextToken: token.optional(),
});

export const getBranchOutput = z.looseObject({
  branch: z.looseObject({ branchName: branchName.optional(), commitId: commitId.optional() }).optional(),
});

const pullRequestStatus = z.enum(['OPEN', 'CLOSED']);

export const listPullRequestsOutput = z.looseObject({
  pullRequestIds: z.array(text(64, 1)).optional(),
  nextToken: token.optional(),
});

const approvalRuleName = text(100, 1);
const approvalRuleContent = text(3000, 1);

const pullRequestTarget = z.looseObject({
  repositoryName: repositoryName.optional(),
  sourceReference: reference.optional(),
  destinationReference: reference.optional(),
  sourceCommit: commitId.optional(),
  destinationCommit: commitId.optional(),
  mergeBase: commitId.optional(),
  mergeMetadata: z
    .looseObject({
      isMerged: z.boolean().optional(),
      mergedBy: userArn.optional(),
      mergeCommitId: commitId.optional(),
      mergeOption: text(64).optional(),
    })
    .optional(),
});

export const getPullRequestOutput = z.looseObject({
  pullRequest: z.looseObject({
    pullRequestId: text(64, 1),
    title: text(150).optional(),
    description: text(10_240).optional(),
    lastActivityDate: timestamp.optional(),
    creationDate: timestamp.optional(),
    pullRequestStatus,
    authorArn: userArn.optional(),
    pullRequestTargets: z.array(pullRequestTarget).optional(),
    revisionId: text(128).optional(),
    approvalRules: z
      .array(
        z.looseObject({
          approvalRuleId: text(128).optional(),
          approvalRuleName: approvalRuleName.optional(),
          approvalRuleContent: approvalRuleContent.optional(),
          ruleContentSha256: text(64).optional(),
          lastModifiedDate: timestamp.optional(),
          creationDate: timestamp.optional(),
          lastModifiedUser: userArn.optional(),
          originApprovalRuleTemplate: z
            .looseObject({
              approvalRuleTemplateId: text(128).optional(),
              approvalRuleTemplateName: approvalRuleName.optional(),
            })
            .optional(),
        }),
      )
      .optional(),
  }),
});

const approvalState = z.enum(['APPROVE', 'REVOKE']);

export const getPullRequestApprovalStatesOutput = z.looseObject({
  approvals: z
    .array(z.looseObject({ userArn: userArn.optional(), approvalState: approvalState.optional() }))
    .optional(),
});

export const evaluatePullRequestApprovalRulesOutput = z.looseObject({
  evaluation: z
    .looseObject({
      approved: z.boolean().optional(),
      overridden: z.boolean().optional(),
      approvalRulesSatisfied: z.array(approvalRuleName).optional(),
      approvalRulesNotSatisfied: z.array(approvalRuleName).optional(),
    })
    .optional(),
});

export const getPullRequestOverrideStateOutput = z.looseObject({
  overridden: z.boolean().optional(),
  overrider: userArn.optional(),
});

export const describePullRequestEventsOutput = z.looseObject({
  pullRequestEvents: z
    .array(
      z.looseObject({
        pullRequestId: text(64).optional(),
        eventDate: timestamp.optional(),
        pullRequestEventType: text(128).optional(),
        actorArn: userArn.optional(),
        approvalStateChangedEventMetadata: z
          .looseObject({ revisionId: text(128).optional(), approvalStatus: approvalState.optional() })
          .optional(),
        pullRequestMergedStateChangedEventMetadata: z
          .looseObject({
            repositoryName: repositoryName.optional(),
            destinationReference: reference.optional(),
          })
          .optional(),
      }),
    )
    .optional(),
  nextToken: token.optional(),
});

const templateName = text(100, 1);

export const listApprovalRuleTemplatesOutput = z.looseObject({
  approvalRuleTemplateNames: z.array(templateName).optional(),
  nextToken: token.optional(),
});

export const listRepositoriesForApprovalRuleTemplateOutput = z.looseObject({
  repositoryNames: z.array(repositoryName).optional(),
  nextToken: token.optional(),
});

export const getApprovalRuleTemplateOutput = z.looseObject({
  approvalRuleTemplate: z
    .looseObject({
      approvalRuleTemplateId: text(128).optional(),
      approvalRuleTemplateName: templateName.optional(),
      approvalRuleTemplateDescription: text(1000).optional(),
      approvalRuleTemplateContent: approvalRuleContent.optional(),
      ruleContentSha256: text(64).optional(),
      lastModifiedDate: timestamp.optional(),
      creationDate: timestamp.optional(),
      lastModifiedUser: userArn.optional(),
    })
    .optional(),
});
