import { createHash } from 'node:crypto';
import { AwsError } from '../errors.js';
import { paginate } from '../pagination.js';
import { wildcardMatch } from '../policy/evaluate.js';
import { epochSeconds } from '../protocols/json.js';
import type { ApprovalRuleContent, ScenarioPullRequest, ScenarioRepository } from '../scenario/schema.js';
import type { PullRequestEntry, RegionIndex } from '../world.js';
import { type CallContext, type JsonInput, type JsonOperation, RawJson } from './context.js';

/**
 * CodeCommit over JSON 1.1. Page sizes where the API has no `maxResults`: ListRepositories 1,000
 * (as AWS documents), ListBranches 100. Where it has one, the default is 100 and the maximum 1,000.
 */
export const LIST_REPOSITORIES_PAGE_SIZE = 1000;
export const LIST_BRANCHES_PAGE_SIZE = 100;
export const DEFAULT_MAX_RESULTS = 100;
export const BATCH_GET_REPOSITORIES_MAX = 25;

const err = (code: string, message: string) => new AwsError(code, message, 400);
const badToken = () =>
  err('InvalidContinuationTokenException', 'The specified continuation token is not valid.');

function str(input: JsonInput, name: string): string | undefined {
  const v = input[name];
  return typeof v === 'string' && v !== '' ? v : undefined;
}

function region(ctx: CallContext): RegionIndex | undefined {
  return ctx.world.region(ctx.region);
}

function repoArn(ctx: CallContext, name: string) {
  return `arn:aws:codecommit:${ctx.region}:${ctx.world.accountId}:${name}`;
}

function requireRepository(ctx: CallContext, input: JsonInput): ScenarioRepository {
  const name = str(input, 'repositoryName');
  if (!name)
    throw err('RepositoryNameRequiredException', 'A repository name is required, but was not specified.');
  const repo = region(ctx)?.repositories.get(name);
  if (!repo) throw err('RepositoryDoesNotExistException', `${name} does not exist`);
  return repo;
}

function requireTemplateName(input: JsonInput): string {
  const name = str(input, 'approvalRuleTemplateName');
  if (!name)
    throw err(
      'ApprovalRuleTemplateNameRequiredException',
      'An approval rule template name is required, but was not specified.',
    );
  return name;
}

function maxResults(input: JsonInput): number {
  const v = input.maxResults;
  if (v === undefined || v === null) return DEFAULT_MAX_RESULTS;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > 1000) {
    throw err('InvalidMaxResultsException', 'The specified number of maximum results is not valid.');
  }
  return v;
}

function requirePullRequest(ctx: CallContext, input: JsonInput): PullRequestEntry {
  const id = str(input, 'pullRequestId');
  if (!id)
    throw err('PullRequestIdRequiredException', 'A pull request ID is required, but none was provided.');
  if (!/^\d+$/.test(id)) throw err('InvalidPullRequestIdException', 'The pull request ID is not valid.');
  const entry = region(ctx)?.pullRequests.get(id);
  if (!entry) throw err('PullRequestDoesNotExistException', `Could not find pull request with ID ${id}`);
  return entry;
}

function requireRevision(entry: PullRequestEntry, input: JsonInput): string {
  const revisionId = str(input, 'revisionId');
  if (!revisionId)
    throw err('RevisionIdRequiredException', 'A revision ID is required, but was not provided.');
  if (!entry.pr.revisions.includes(revisionId)) {
    throw err(
      'InvalidRevisionIdException',
      'The revision ID is not valid. Use GetPullRequest to determine the value.',
    );
  }
  return revisionId;
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
const currentRevision = (pr: ScenarioPullRequest) => pr.revisions[pr.revisions.length - 1]!;

function pullRequestShape(pr: ScenarioPullRequest) {
  return {
    pullRequestId: pr.pullRequestId,
    title: pr.title,
    description: pr.description,
    lastActivityDate: epochSeconds(pr.lastActivityDate),
    creationDate: epochSeconds(pr.creationDate),
    pullRequestStatus: pr.status,
    authorArn: pr.authorArn,
    pullRequestTargets: [
      {
        repositoryName: pr.repositoryName,
        sourceReference: pr.sourceReference,
        destinationReference: pr.destinationReference,
        destinationCommit: pr.destinationCommit,
        sourceCommit: pr.sourceCommit,
        mergeBase: pr.mergeBase,
        mergeMetadata: {
          isMerged: pr.isMerged,
          ...(pr.isMerged
            ? {
                mergedBy: pr.mergedBy ?? undefined,
                mergeCommitId: pr.mergeCommitId ?? undefined,
                mergeOption: pr.mergeOption ?? undefined,
              }
            : {}),
        },
      },
    ],
    revisionId: currentRevision(pr),
    approvalRules: pr.approvalRules.map((rule) => {
      const content = JSON.stringify(rule.content);
      return {
        approvalRuleId: rule.id,
        approvalRuleName: rule.name,
        approvalRuleContent: content,
        ruleContentSha256: sha256(content),
        lastModifiedDate: epochSeconds(rule.lastModifiedDate),
        creationDate: epochSeconds(rule.creationDate),
        lastModifiedUser: rule.lastModifiedUser,
        originApprovalRuleTemplate: rule.originTemplate
          ? {
              approvalRuleTemplateId: rule.originTemplate.id,
              approvalRuleTemplateName: rule.originTemplate.name,
            }
          : undefined,
      };
    }),
  };
}

/** Users whose latest state on the revision is APPROVE. */
function approversOn(entry: PullRequestEntry, revisionId: string): string[] {
  const byUser = entry.approvals.get(revisionId);
  if (!byUser) return [];
  return [...byUser].filter(([, state]) => state === 'APPROVE').map(([user]) => user);
}

/**
 * Whether an approver is in an approval pool. Members are ARNs with wildcards
 * (`arn:aws:sts::123456789012:assumed-role/Reviewers/*`) or `CodeCommitApprovers:ACCOUNT:NAME`,
 * which names an IAM user or a role session.
 */
export function inApprovalPool(member: string, approverArn: string): boolean {
  if (member.startsWith('arn:')) return wildcardMatch(member, approverArn);
  const m = /^CodeCommitApprovers:(\d{12}):(.+)$/.exec(member);
  if (!m) return false;
  const [, account, name] = m;
  if (!approverArn.includes(`::${account}:`)) return false;
  const last = approverArn.slice(approverArn.lastIndexOf('/') + 1);
  return wildcardMatch(name!, last);
}

/** Evaluates a rule as CodeCommit does: approvals on the revision, by pool members, not the author. */
export function ruleSatisfied(content: ApprovalRuleContent, approvers: string[], authorArn: string): boolean {
  const eligible = approvers.filter((a) => a !== authorArn);
  return content.Statements.every((st) => {
    const pool = st.ApprovalPoolMembers;
    const count = eligible.filter(
      (a) => !pool || pool.length === 0 || pool.some((m) => inApprovalPool(m, a)),
    ).length;
    return count >= st.NumberOfApprovalsNeeded;
  });
}

type EventShape = Record<string, unknown> & {
  eventDate: number;
  pullRequestEventType: string;
  actorArn: string;
};
const eventCache = new WeakMap<ScenarioPullRequest, EventShape[]>();
/**
 * A pull request's GetPullRequest body, built once: scenario objects are replaced, never mutated in
 * place, when the scenario changes (setScenario/updateScenario build a new world).
 */
const responseCache = new WeakMap<ScenarioPullRequest, RawJson>();

const metadataField: Record<string, string> = {
  PULL_REQUEST_CREATED: 'pullRequestCreatedEventMetadata',
  PULL_REQUEST_STATUS_CHANGED: 'pullRequestStatusChangedEventMetadata',
  PULL_REQUEST_SOURCE_REFERENCE_UPDATED: 'pullRequestSourceReferenceUpdatedEventMetadata',
  PULL_REQUEST_MERGE_STATE_CHANGED: 'pullRequestMergedStateChangedEventMetadata',
  PULL_REQUEST_APPROVAL_RULE_CREATED: 'approvalRuleEventMetadata',
  PULL_REQUEST_APPROVAL_RULE_UPDATED: 'approvalRuleEventMetadata',
  PULL_REQUEST_APPROVAL_RULE_DELETED: 'approvalRuleEventMetadata',
  PULL_REQUEST_APPROVAL_RULE_OVERRIDDEN: 'approvalRuleOverriddenEventMetadata',
  PULL_REQUEST_APPROVAL_STATE_CHANGED: 'approvalStateChangedEventMetadata',
};

/** The scenario's events, or events derived from the pull request's facts, oldest first. */
function pullRequestEvents(pr: ScenarioPullRequest): EventShape[] {
  const cached = eventCache.get(pr);
  if (cached) return cached;
  const shape = (
    type: string,
    date: number,
    actorArn: string,
    metadata: Record<string, unknown>,
  ): EventShape => ({
    pullRequestId: pr.pullRequestId,
    eventDate: date,
    pullRequestEventType: type,
    actorArn,
    [metadataField[type]!]: metadata,
  });
  let events: EventShape[];
  if (pr.events) {
    events = pr.events.map((e) => shape(e.type, epochSeconds(e.date), e.actorArn, e.metadata));
  } else {
    const start = epochSeconds(pr.creationDate);
    const end = epochSeconds(pr.lastActivityDate);
    const steps = pr.revisions.length + pr.approvals.length + (pr.override ? 1 : 0) + 1;
    let step = 0;
    const at = () => Math.round(start + ((end - start) * ++step) / (steps + 1));
    events = [
      shape('PULL_REQUEST_CREATED', start, pr.authorArn, {
        repositoryName: pr.repositoryName,
        sourceCommitId: pr.sourceCommit,
        destinationCommitId: pr.destinationCommit,
        mergeBase: pr.mergeBase,
      }),
    ];
    pr.revisions.forEach((revisionId, i) => {
      if (i > 0) {
        events.push(
          shape('PULL_REQUEST_SOURCE_REFERENCE_UPDATED', at(), pr.authorArn, {
            repositoryName: pr.repositoryName,
            afterCommitId: i === pr.revisions.length - 1 ? pr.sourceCommit : undefined,
            mergeBase: pr.mergeBase,
          }),
        );
      }
      for (const ap of pr.approvals) {
        if (ap.revisionId !== revisionId) continue;
        events.push(
          shape('PULL_REQUEST_APPROVAL_STATE_CHANGED', at(), ap.userArn, {
            revisionId,
            approvalStatus: ap.state,
          }),
        );
      }
    });
    if (pr.override) {
      events.push(
        shape('PULL_REQUEST_APPROVAL_RULE_OVERRIDDEN', at(), pr.override.overrider, {
          revisionId: pr.override.revisionId,
          overrideStatus: 'OVERRIDE',
        }),
      );
    }
    if (pr.isMerged) {
      events.push(
        shape('PULL_REQUEST_MERGE_STATE_CHANGED', end, pr.mergedBy ?? pr.authorArn, {
          repositoryName: pr.repositoryName,
          destinationReference: pr.destinationReference,
          mergeMetadata: {
            isMerged: true,
            mergedBy: pr.mergedBy ?? undefined,
            mergeCommitId: pr.mergeCommitId ?? undefined,
          },
        }),
      );
    }
    if (pr.status === 'CLOSED') {
      events.push(
        shape('PULL_REQUEST_STATUS_CHANGED', end, pr.mergedBy ?? pr.authorArn, {
          pullRequestStatus: 'CLOSED',
        }),
      );
    }
  }
  eventCache.set(pr, events);
  return events;
}

const EVENT_TYPES = new Set(Object.keys(metadataField));

function prResource(ctx: CallContext, input: JsonInput): string {
  const id = str(input, 'pullRequestId');
  const entry = id ? region(ctx)?.pullRequests.get(id) : undefined;
  return entry ? repoArn(ctx, entry.pr.repositoryName) : '*';
}
const repoResource = (ctx: CallContext, input: JsonInput) => repoArn(ctx, str(input, 'repositoryName') ?? '');

export const codecommitOperations: Record<string, JsonOperation> = {
  ListRepositories: {
    run: (ctx, input) => {
      const sortBy = input.sortBy ?? 'repositoryName';
      const order = input.order ?? 'ascending';
      if (sortBy !== 'repositoryName' && sortBy !== 'lastModifiedDate') {
        throw err('InvalidSortByException', 'The specified sort by value is not valid.');
      }
      if (order !== 'ascending' && order !== 'descending') {
        throw err('InvalidOrderException', 'The specified sort order is not valid.');
      }
      const repos = [...(region(ctx)?.repositoryList ?? [])];
      if (sortBy === 'repositoryName') repos.sort((a, b) => (a.repositoryName < b.repositoryName ? -1 : 1));
      else repos.sort((a, b) => Date.parse(a.lastModifiedDate) - Date.parse(b.lastModifiedDate));
      if (order === 'descending') repos.reverse();
      const page = paginate(
        repos,
        str(input, 'nextToken'),
        LIST_REPOSITORIES_PAGE_SIZE,
        `ListRepositories:${sortBy}:${order}`,
        badToken,
      );
      return {
        repositories: page.items.map((r) => ({
          repositoryName: r.repositoryName,
          repositoryId: r.repositoryId,
        })),
        nextToken: page.next,
      };
    },
  },
  BatchGetRepositories: {
    resource: (ctx, input) => {
      const names = Array.isArray(input.repositoryNames)
        ? input.repositoryNames.slice(0, BATCH_GET_REPOSITORIES_MAX)
        : [];
      return names.length > 0 ? names.map((name) => repoArn(ctx, String(name))) : '*';
    },
    run: (ctx, input) => {
      const names = input.repositoryNames;
      if (!Array.isArray(names) || names.length === 0) {
        throw err(
          'RepositoryNamesRequiredException',
          'At least one repository name is required, but was not specified.',
        );
      }
      if (names.length > BATCH_GET_REPOSITORIES_MAX) {
        throw err(
          'MaximumRepositoryNamesExceededException',
          `The maximum number of allowed repository names was exceeded. Currently, this number is ${BATCH_GET_REPOSITORIES_MAX}.`,
        );
      }
      const index = region(ctx);
      const repositories = [];
      const repositoriesNotFound: string[] = [];
      for (const name of names) {
        const repo = typeof name === 'string' ? index?.repositories.get(name) : undefined;
        if (!repo) {
          repositoriesNotFound.push(String(name));
          continue;
        }
        repositories.push({
          accountId: ctx.world.accountId,
          repositoryId: repo.repositoryId,
          repositoryName: repo.repositoryName,
          repositoryDescription: repo.description,
          defaultBranch: repo.defaultBranch ?? undefined,
          lastModifiedDate: epochSeconds(repo.lastModifiedDate),
          creationDate: epochSeconds(repo.creationDate),
          cloneUrlHttp: `https://git-codecommit.${ctx.region}.amazonaws.com/v1/repos/${repo.repositoryName}`,
          cloneUrlSsh: `ssh://git-codecommit.${ctx.region}.amazonaws.com/v1/repos/${repo.repositoryName}`,
          Arn: repoArn(ctx, repo.repositoryName),
          kmsKeyId: repo.kmsKeyId,
        });
      }
      return { repositories, repositoriesNotFound, errors: [] };
    },
  },
  ListBranches: {
    resource: repoResource,
    run: (ctx, input) => {
      const repo = requireRepository(ctx, input);
      const names = repo.branches.map((b) => b.name);
      const page = paginate(
        names,
        str(input, 'nextToken'),
        LIST_BRANCHES_PAGE_SIZE,
        `ListBranches:${repo.repositoryName}`,
        badToken,
      );
      return { branches: page.items, nextToken: page.next };
    },
  },
  GetBranch: {
    resource: repoResource,
    run: (ctx, input) => {
      const repo = requireRepository(ctx, input);
      const branchName = str(input, 'branchName');
      if (!branchName)
        throw err('BranchNameRequiredException', 'A branch name is required, but was not specified.');
      const branch = repo.branches.find((b) => b.name === branchName);
      if (!branch) throw err('BranchDoesNotExistException', `Could not find branch ${branchName}`);
      return { branch: { branchName: branch.name, commitId: branch.commitId } };
    },
  },
  ListPullRequests: {
    resource: repoResource,
    run: (ctx, input) => {
      const repo = requireRepository(ctx, input);
      const status = input.pullRequestStatus;
      if (status !== undefined && status !== 'OPEN' && status !== 'CLOSED') {
        throw err(
          'InvalidPullRequestStatusException',
          'The pull request status is not valid. The only valid values are OPEN and CLOSED.',
        );
      }
      const author = str(input, 'authorArn');
      if (author !== undefined && !author.startsWith('arn:')) {
        throw err(
          'InvalidAuthorArnException',
          'The Amazon Resource Name (ARN) is not valid. Make sure that you have provided the full ARN for the author of the pull request, and then try again.',
        );
      }
      let entries = region(ctx)?.pullRequestsByRepository.get(repo.repositoryName) ?? [];
      if (status !== undefined || author !== undefined) {
        entries = entries.filter(
          (e) =>
            (status === undefined || e.pr.status === status) &&
            (author === undefined || e.pr.authorArn === author),
        );
      }
      const page = paginate(
        entries,
        str(input, 'nextToken'),
        maxResults(input),
        `ListPullRequests:${repo.repositoryName}:${status ?? ''}:${author ?? ''}`,
        badToken,
      );
      return { pullRequestIds: page.items.map((e) => e.pr.pullRequestId), nextToken: page.next };
    },
  },
  GetPullRequest: {
    resource: prResource,
    run: (ctx, input) => {
      const pr = requirePullRequest(ctx, input).pr;
      let cached = responseCache.get(pr);
      if (!cached) {
        cached = new RawJson(JSON.stringify({ pullRequest: pullRequestShape(pr) }));
        responseCache.set(pr, cached);
      }
      return cached;
    },
  },
  GetPullRequestApprovalStates: {
    resource: prResource,
    run: (ctx, input) => {
      const entry = requirePullRequest(ctx, input);
      const revisionId = requireRevision(entry, input);
      return {
        approvals: approversOn(entry, revisionId).map((userArn) => ({ userArn, approvalState: 'APPROVE' })),
      };
    },
  },
  EvaluatePullRequestApprovalRules: {
    resource: prResource,
    run: (ctx, input) => {
      const entry = requirePullRequest(ctx, input);
      const revisionId = requireRevision(entry, input);
      const pr = entry.pr;
      if (revisionId !== currentRevision(pr)) {
        throw err(
          'RevisionNotCurrentException',
          'The revision ID provided in the request does not match the current revision ID. Use GetPullRequest to retrieve the current revision ID.',
        );
      }
      const approvers = approversOn(entry, revisionId);
      const satisfied: string[] = [];
      const notSatisfied: string[] = [];
      for (const rule of pr.approvalRules) {
        (ruleSatisfied(rule.content, approvers, pr.authorArn) ? satisfied : notSatisfied).push(rule.name);
      }
      return {
        evaluation: {
          approved: notSatisfied.length === 0,
          overridden: pr.override?.revisionId === revisionId,
          approvalRulesSatisfied: satisfied,
          approvalRulesNotSatisfied: notSatisfied,
        },
      };
    },
  },
  GetPullRequestOverrideState: {
    resource: prResource,
    run: (ctx, input) => {
      const entry = requirePullRequest(ctx, input);
      const revisionId = requireRevision(entry, input);
      const o = entry.pr.override;
      return o && o.revisionId === revisionId
        ? { overridden: true, overrider: o.overrider }
        : { overridden: false };
    },
  },
  DescribePullRequestEvents: {
    resource: prResource,
    run: (ctx, input) => {
      const entry = requirePullRequest(ctx, input);
      const type = input.pullRequestEventType;
      if (type !== undefined && (typeof type !== 'string' || !EVENT_TYPES.has(type))) {
        throw err('InvalidPullRequestEventTypeException', 'The pull request event type is not valid.');
      }
      const actor = str(input, 'actorArn');
      if (actor !== undefined && !actor.startsWith('arn:')) {
        throw err(
          'InvalidActorArnException',
          'The Amazon Resource Name (ARN) is not valid. Make sure that you have provided the full ARN for the user who initiated the change for the pull request, and then try again.',
        );
      }
      let events = pullRequestEvents(entry.pr);
      if (type !== undefined || actor !== undefined) {
        events = events.filter(
          (e) =>
            (type === undefined || e.pullRequestEventType === type) &&
            (actor === undefined || e.actorArn === actor),
        );
      }
      const page = paginate(
        events,
        str(input, 'nextToken'),
        maxResults(input),
        `DescribePullRequestEvents:${entry.pr.pullRequestId}:${String(type ?? '')}:${actor ?? ''}`,
        badToken,
      );
      return { pullRequestEvents: page.items, nextToken: page.next };
    },
  },
  ListApprovalRuleTemplates: {
    run: (ctx, input) => {
      const names = region(ctx)?.templateNames ?? [];
      const page = paginate(
        names,
        str(input, 'nextToken'),
        maxResults(input),
        'ListApprovalRuleTemplates',
        badToken,
      );
      return { approvalRuleTemplateNames: page.items, nextToken: page.next };
    },
  },
  GetApprovalRuleTemplate: {
    run: (ctx, input) => {
      const name = requireTemplateName(input);
      const t = region(ctx)?.templates.get(name);
      if (!t) {
        throw err(
          'ApprovalRuleTemplateDoesNotExistException',
          `The specified approval rule template does not exist. Verify that the template name is correct.`,
        );
      }
      const content = JSON.stringify(t.content);
      return {
        approvalRuleTemplate: {
          approvalRuleTemplateId: t.id,
          approvalRuleTemplateName: t.name,
          approvalRuleTemplateDescription: t.description,
          approvalRuleTemplateContent: content,
          ruleContentSha256: sha256(content),
          lastModifiedDate: epochSeconds(t.lastModifiedDate),
          creationDate: epochSeconds(t.creationDate),
          lastModifiedUser: t.lastModifiedUser,
        },
      };
    },
  },
  ListRepositoriesForApprovalRuleTemplate: {
    run: (ctx, input) => {
      const name = requireTemplateName(input);
      if (name.length > 100) {
        throw err(
          'InvalidApprovalRuleTemplateNameException',
          'The name of the approval rule template is not valid. Template names must be between 1 and 100 valid characters in length.',
        );
      }
      const reg = region(ctx);
      if (!reg?.templates.has(name)) {
        throw err(
          'ApprovalRuleTemplateDoesNotExistException',
          'The specified approval rule template does not exist. Verify that the name is correct and that you are signed in to the AWS Region where the template was created, and then try again.',
        );
      }
      const page = paginate(
        reg.repositoriesByTemplate.get(name) ?? [],
        str(input, 'nextToken'),
        maxResults(input),
        `ListRepositoriesForApprovalRuleTemplate:${name}`,
        badToken,
      );
      return { repositoryNames: page.items, nextToken: page.next };
    },
  },
  ListAssociatedApprovalRuleTemplatesForRepository: {
    resource: repoResource,
    run: (ctx, input) => {
      const repo = requireRepository(ctx, input);
      const names = region(ctx)?.templatesByRepository.get(repo.repositoryName) ?? [];
      const page = paginate(
        names,
        str(input, 'nextToken'),
        maxResults(input),
        `ListAssociatedApprovalRuleTemplatesForRepository:${repo.repositoryName}`,
        badToken,
      );
      return { approvalRuleTemplateNames: page.items, nextToken: page.next };
    },
  },
};
