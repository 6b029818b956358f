/**
 * CodeCommit readers for the repository sync. Paginated operations are async iterators over items;
 * the rest are thin typed wrappers. All throw `AwsError`.
 * API reference: https://docs.aws.amazon.com/codecommit/latest/APIReference/API_Operations.html
 */

import {
  type Approval,
  type ApprovalRuleTemplate,
  BatchGetRepositoriesCommand,
  type BatchGetRepositoriesError,
  type BranchInfo,
  type CodeCommitClient,
  DescribePullRequestEventsCommand,
  EvaluatePullRequestApprovalRulesCommand,
  type Evaluation,
  GetApprovalRuleTemplateCommand,
  GetBranchCommand,
  GetPullRequestApprovalStatesCommand,
  GetPullRequestCommand,
  GetPullRequestOverrideStateCommand,
  ListApprovalRuleTemplatesCommand,
  ListBranchesCommand,
  ListPullRequestsCommand,
  ListRepositoriesCommand,
  ListRepositoriesForApprovalRuleTemplateCommand,
  type PullRequest,
  type PullRequestEvent,
  type PullRequestEventType,
  type PullRequestStatusEnum,
  type RepositoryMetadata,
  type RepositoryNameIdPair,
} from '@aws-sdk/client-codecommit';
import { callAws, paginateItems } from './paginate.js';
import { repositoryMetadata } from './responses/codecommit.js';
import { fieldPath } from './responses/schema.js';

export type {
  Approval,
  ApprovalRuleTemplate,
  BranchInfo,
  Evaluation,
  PullRequest,
  PullRequestEvent,
  RepositoryMetadata,
  RepositoryNameIdPair,
};

export interface CodeCommitReaderOptions {
  /** maxResults per call, 1-1000 (default 100), where the operation has one. */
  pageSize?: number;
}

/** BatchGetRepositories accepts at most 25 names per call. */
export const BATCH_GET_REPOSITORIES_MAX = 25;

export function listRepositories(client: CodeCommitClient): AsyncGenerator<RepositoryNameIdPair> {
  const op = 'codecommit:ListRepositories';
  return paginateItems(
    op,
    (nextToken) =>
      callAws(client, op, () =>
        client.send(new ListRepositoriesCommand({ nextToken, sortBy: 'repositoryName', order: 'ascending' })),
      ),
    (page) => page.nextToken,
    (page) => page.repositories,
  );
}

export function listBranches(client: CodeCommitClient, repositoryName: string): AsyncGenerator<string> {
  const op = 'codecommit:ListBranches';
  return paginateItems(
    op,
    (nextToken) =>
      callAws(client, op, () => client.send(new ListBranchesCommand({ repositoryName, nextToken }))),
    (page) => page.nextToken,
    (page) => page.branches,
  );
}

/** Pull request ids of one status; without `status`, OPEN then CLOSED (AWS lists all statuses otherwise). */
export async function* listPullRequests(
  client: CodeCommitClient,
  repositoryName: string,
  options: CodeCommitReaderOptions & { status?: PullRequestStatusEnum; authorArn?: string } = {},
): AsyncGenerator<{ pullRequestId: string; status: PullRequestStatusEnum }> {
  const op = 'codecommit:ListPullRequests';
  const statuses: PullRequestStatusEnum[] = options.status ? [options.status] : ['OPEN', 'CLOSED'];
  for (const status of statuses) {
    const ids = paginateItems(
      op,
      (nextToken) =>
        callAws(client, op, () =>
          client.send(
            new ListPullRequestsCommand({
              repositoryName,
              pullRequestStatus: status,
              nextToken,
              maxResults: options.pageSize ?? 100,
              ...(options.authorArn ? { authorArn: options.authorArn } : {}),
            }),
          ),
        ),
      (page) => page.nextToken,
      (page) => page.pullRequestIds,
    );
    for await (const pullRequestId of ids) yield { pullRequestId, status };
  }
}

export function listApprovalRuleTemplates(
  client: CodeCommitClient,
  options: CodeCommitReaderOptions = {},
): AsyncGenerator<string> {
  const op = 'codecommit:ListApprovalRuleTemplates';
  return paginateItems(
    op,
    (nextToken) =>
      callAws(client, op, () =>
        client.send(new ListApprovalRuleTemplatesCommand({ nextToken, maxResults: options.pageSize ?? 100 })),
      ),
    (page) => page.nextToken,
    (page) => page.approvalRuleTemplateNames,
  );
}

/**
 * The repositories associated with one approval rule template. Read per template rather than per
 * repository (ListAssociatedApprovalRuleTemplatesForRepository): an account has few templates and many
 * repositories, so the associations of the whole Region cost about one call per template.
 */
export function listRepositoriesForApprovalRuleTemplate(
  client: CodeCommitClient,
  approvalRuleTemplateName: string,
  options: CodeCommitReaderOptions = {},
): AsyncGenerator<string> {
  const op = 'codecommit:ListRepositoriesForApprovalRuleTemplate';
  return paginateItems(
    op,
    (nextToken) =>
      callAws(client, op, () =>
        client.send(
          new ListRepositoriesForApprovalRuleTemplateCommand({
            approvalRuleTemplateName,
            nextToken,
            maxResults: options.pageSize ?? 100,
          }),
        ),
      ),
    (page) => page.nextToken,
    (page) => page.repositoryNames,
  );
}

export function describePullRequestEvents(
  client: CodeCommitClient,
  pullRequestId: string,
  options: CodeCommitReaderOptions & { eventType?: PullRequestEventType; actorArn?: string } = {},
): AsyncGenerator<PullRequestEvent> {
  const op = 'codecommit:DescribePullRequestEvents';
  return paginateItems(
    op,
    (nextToken) =>
      callAws(client, op, () =>
        client.send(
          new DescribePullRequestEventsCommand({
            pullRequestId,
            nextToken,
            maxResults: options.pageSize ?? 100,
            ...(options.eventType ? { pullRequestEventType: options.eventType } : {}),
            ...(options.actorArn ? { actorArn: options.actorArn } : {}),
          }),
        ),
      ),
    (page) => page.nextToken,
    (page) => page.pullRequestEvents,
  );
}

export interface InvalidRepositoryItem {
  /** `repositories[3].repositoryDescription`, counted over all the chunks. */
  field: string;
  message: string;
  /** The item's id and name where those members themselves are valid. */
  repositoryId?: string;
  repositoryName?: string;
}

export interface BatchGetRepositoriesResult {
  repositories: RepositoryMetadata[];
  /** Names AWS reports as missing (deleted between list and get). */
  notFound: string[];
  errors: BatchGetRepositoriesError[];
  /**
   * Items that fail their schema (a name of the wrong type, a description beyond 1,000 characters, a
   * NUL byte): left out of `repositories`. Such a repository is not known to be gone, only undescribed.
   */
  invalid: InvalidRepositoryItem[];
}

/** Any number of names, fetched 25 at a time; the results are merged. */
export async function batchGetRepositories(
  client: CodeCommitClient,
  repositoryNames: readonly string[],
): Promise<BatchGetRepositoriesResult> {
  const op = 'codecommit:BatchGetRepositories';
  const result: BatchGetRepositoriesResult = { repositories: [], notFound: [], errors: [], invalid: [] };
  let index = 0;
  for (let i = 0; i < repositoryNames.length; i += BATCH_GET_REPOSITORIES_MAX) {
    const chunk = repositoryNames.slice(i, i + BATCH_GET_REPOSITORIES_MAX);
    const out = await callAws(client, op, () =>
      client.send(new BatchGetRepositoriesCommand({ repositoryNames: chunk })),
    );
    for (const item of out.repositories ?? []) {
      const checked = repositoryMetadata.safeParse(item);
      if (checked.success) result.repositories.push(item);
      else {
        const issue = checked.error.issues[0]!;
        const raw = item as Record<string, unknown>;
        const id = repositoryMetadata.shape.repositoryId.safeParse(raw.repositoryId);
        const name = repositoryMetadata.shape.repositoryName.safeParse(raw.repositoryName);
        result.invalid.push({
          field: `repositories[${index}].${fieldPath(issue.path)}`,
          message: issue.message,
          ...(id.success ? { repositoryId: id.data } : {}),
          ...(name.success ? { repositoryName: name.data } : {}),
        });
      }
      index++;
    }
    result.notFound.push(...(out.repositoriesNotFound ?? []));
    result.errors.push(...(out.errors ?? []));
  }
  return result;
}

export async function getBranch(
  client: CodeCommitClient,
  repositoryName: string,
  branchName: string,
): Promise<BranchInfo> {
  const op = 'codecommit:GetBranch';
  const out = await callAws(client, op, () =>
    client.send(new GetBranchCommand({ repositoryName, branchName })),
  );
  return out.branch ?? { branchName };
}

export async function getPullRequest(client: CodeCommitClient, pullRequestId: string): Promise<PullRequest> {
  const op = 'codecommit:GetPullRequest';
  const out = await callAws(client, op, () => client.send(new GetPullRequestCommand({ pullRequestId })));
  if (!out.pullRequest) throw new Error(`${op}: no pullRequest in the response for ${pullRequestId}`);
  return out.pullRequest;
}

export async function getPullRequestApprovalStates(
  client: CodeCommitClient,
  pullRequestId: string,
  revisionId: string,
): Promise<Approval[]> {
  const op = 'codecommit:GetPullRequestApprovalStates';
  const out = await callAws(client, op, () =>
    client.send(new GetPullRequestApprovalStatesCommand({ pullRequestId, revisionId })),
  );
  return out.approvals ?? [];
}

export async function evaluatePullRequestApprovalRules(
  client: CodeCommitClient,
  pullRequestId: string,
  revisionId: string,
): Promise<Evaluation> {
  const op = 'codecommit:EvaluatePullRequestApprovalRules';
  const out = await callAws(client, op, () =>
    client.send(new EvaluatePullRequestApprovalRulesCommand({ pullRequestId, revisionId })),
  );
  return out.evaluation ?? {};
}

export async function getPullRequestOverrideState(
  client: CodeCommitClient,
  pullRequestId: string,
  revisionId: string,
): Promise<{ overridden: boolean; overrider: string | undefined }> {
  const op = 'codecommit:GetPullRequestOverrideState';
  const out = await callAws(client, op, () =>
    client.send(new GetPullRequestOverrideStateCommand({ pullRequestId, revisionId })),
  );
  return { overridden: out.overridden === true, overrider: out.overrider };
}

export interface ApprovalRuleTemplateWithContent extends ApprovalRuleTemplate {
  /** `approvalRuleTemplateContent` parsed (a JSON document: Version, DestinationReferences, Statements). */
  content: unknown;
}

export async function getApprovalRuleTemplate(
  client: CodeCommitClient,
  approvalRuleTemplateName: string,
): Promise<ApprovalRuleTemplateWithContent> {
  const op = 'codecommit:GetApprovalRuleTemplate';
  const out = await callAws(client, op, () =>
    client.send(new GetApprovalRuleTemplateCommand({ approvalRuleTemplateName })),
  );
  const template = out.approvalRuleTemplate ?? { approvalRuleTemplateName };
  let content: unknown = null;
  if (template.approvalRuleTemplateContent) {
    try {
      content = JSON.parse(template.approvalRuleTemplateContent);
    } catch {
      // Kept as null: the raw text stays in approvalRuleTemplateContent for the evidence.
      content = null;
    }
  }
  return { ...template, content };
}
