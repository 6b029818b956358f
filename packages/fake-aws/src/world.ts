import { awsManagedPolicies } from './scenario/aws-managed-policies.js';
import type {
  PolicyDocument,
  Scenario,
  ScenarioApprovalRuleTemplate,
  ScenarioGroup,
  ScenarioManagedPolicy,
  ScenarioPullRequest,
  ScenarioRepository,
  ScenarioRole,
  ScenarioUser,
} from './scenario/schema.js';

/** One pull request with what the handlers need precomputed. */
export interface PullRequestEntry {
  pr: ScenarioPullRequest;
  /** revisionId -> userArn -> latest approval state. */
  approvals: Map<string, Map<string, 'APPROVE' | 'REVOKE'>>;
  numericId: number;
}

export interface RegionIndex {
  name: string;
  repositories: Map<string, ScenarioRepository>;
  repositoryList: ScenarioRepository[];
  templates: Map<string, ScenarioApprovalRuleTemplate>;
  templateNames: string[];
  /** repository name -> associated template names (sorted). */
  templatesByRepository: Map<string, string[]>;
  /** template name -> associated repository names (sorted; only repositories that exist). */
  repositoriesByTemplate: Map<string, string[]>;
  pullRequests: Map<string, PullRequestEntry>;
  /** repository name -> pull requests, newest (highest id) first. */
  pullRequestsByRepository: Map<string, PullRequestEntry[]>;
}

/**
 * The scenario, indexed for fast lookups (pull requests by id and by repository). Built once per
 * scenario; IAM writes (CreateRole, …) mutate the scenario and the role index together.
 */
export class World {
  readonly scenario: Scenario;
  readonly users = new Map<string, ScenarioUser>();
  readonly groups = new Map<string, ScenarioGroup>();
  readonly roles = new Map<string, ScenarioRole>();
  readonly policies = new Map<string, ScenarioManagedPolicy>();
  readonly awsManagedArns = new Set<string>();
  readonly regions = new Map<string, RegionIndex>();

  constructor(scenario: Scenario) {
    this.scenario = scenario;
    const a = scenario.account;
    for (const p of awsManagedPolicies()) {
      this.policies.set(p.arn, p);
      this.awsManagedArns.add(p.arn);
    }
    for (const p of a.policies) this.policies.set(p.arn, p);
    for (const u of a.users) this.users.set(u.userName, u);
    for (const g of a.groups) this.groups.set(g.groupName, g);
    for (const r of a.roles) this.roles.set(r.roleName, r);
    for (const [name, region] of Object.entries(a.regions)) {
      const index: RegionIndex = {
        name,
        repositories: new Map(region.repositories.map((r) => [r.repositoryName, r])),
        repositoryList: region.repositories,
        templates: new Map(region.approvalRuleTemplates.map((t) => [t.name, t])),
        templateNames: region.approvalRuleTemplates.map((t) => t.name).sort(),
        templatesByRepository: new Map(),
        repositoriesByTemplate: new Map(),
        pullRequests: new Map(),
        pullRequestsByRepository: new Map(),
      };
      for (const [template, repos] of Object.entries(region.associations)) {
        for (const repo of repos) {
          const list = index.templatesByRepository.get(repo) ?? [];
          list.push(template);
          index.templatesByRepository.set(repo, list);
        }
      }
      for (const list of index.templatesByRepository.values()) list.sort();
      for (const [template, repos] of Object.entries(region.associations)) {
        index.repositoriesByTemplate.set(template, repos.filter((n) => index.repositories.has(n)).sort());
      }
      for (const pr of region.pullRequests) {
        const approvals = new Map<string, Map<string, 'APPROVE' | 'REVOKE'>>();
        for (const ap of pr.approvals) {
          let byUser = approvals.get(ap.revisionId);
          if (!byUser) {
            byUser = new Map();
            approvals.set(ap.revisionId, byUser);
          }
          byUser.set(ap.userArn, ap.state);
        }
        const entry: PullRequestEntry = { pr, approvals, numericId: Number(pr.pullRequestId) };
        index.pullRequests.set(pr.pullRequestId, entry);
        const list = index.pullRequestsByRepository.get(pr.repositoryName) ?? [];
        list.push(entry);
        index.pullRequestsByRepository.set(pr.repositoryName, list);
      }
      for (const list of index.pullRequestsByRepository.values())
        list.sort((x, y) => y.numericId - x.numericId);
      this.regions.set(name, index);
    }
  }

  get accountId(): string {
    return this.scenario.account.accountId;
  }

  region(name: string): RegionIndex | undefined {
    return this.regions.get(name);
  }

  defaultDocument(arn: string): PolicyDocument | undefined {
    const p = this.policies.get(arn);
    return p?.versions.find((v) => v.versionId === p.defaultVersionId)?.document;
  }

  /** The identity policies of a role (inline and attached managed). */
  rolePolicyDocuments(role: ScenarioRole): PolicyDocument[] {
    const docs = role.inlinePolicies.map((p) => p.document);
    for (const arn of role.attachedPolicies) {
      const d = this.defaultDocument(arn);
      if (d) docs.push(d);
    }
    return docs;
  }

  /** The identity policies of a user: inline, attached, and those of its groups. */
  userPolicyDocuments(user: ScenarioUser): PolicyDocument[] {
    const docs = user.inlinePolicies.map((p) => p.document);
    const attached = [...user.attachedPolicies];
    for (const g of user.groups) {
      const group = this.groups.get(g);
      if (!group) continue;
      docs.push(...group.inlinePolicies.map((p) => p.document));
      attached.push(...group.attachedPolicies);
    }
    for (const arn of attached) {
      const d = this.defaultDocument(arn);
      if (d) docs.push(d);
    }
    return docs;
  }

  /** How many users, groups and roles a managed policy is attached to. */
  attachmentCount(arn: string): number {
    const a = this.scenario.account;
    let n = 0;
    for (const u of a.users) if (u.attachedPolicies.includes(arn)) n++;
    for (const g of a.groups) if (g.attachedPolicies.includes(arn)) n++;
    for (const r of a.roles) if (r.attachedPolicies.includes(arn)) n++;
    return n;
  }

  addRole(role: ScenarioRole): void {
    this.scenario.account.roles.push(role);
    this.roles.set(role.roleName, role);
  }

  deleteRole(name: string): void {
    const roles = this.scenario.account.roles;
    const i = roles.findIndex((r) => r.roleName === name);
    if (i >= 0) roles.splice(i, 1);
    this.roles.delete(name);
  }
}
