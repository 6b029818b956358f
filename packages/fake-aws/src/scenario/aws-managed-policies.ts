import type { ScenarioManagedPolicy } from './schema.js';

// biome-ignore lint/suspicious/noTemplateCurlyInString: an IAM policy variable, not a template literal
const SELF_USER = 'arn:aws:iam::*:user/${aws:username}';

/**
 * The AWS managed policies every account can attach, as AWS publishes them (the statements that
 * matter for CodeCommit and IAM; see docs.aws.amazon.com/aws-managed-policy/latest/reference/).
 * A scenario can override one by listing the same ARN under `account.policies`.
 */
const catalog: ScenarioManagedPolicy[] = [
  {
    arn: 'arn:aws:iam::aws:policy/AdministratorAccess',
    policyName: 'AdministratorAccess',
    policyId: 'ANPAIWMBCKSKIEE64ZLYK',
    path: '/',
    description: 'Provides full access to AWS services and resources.',
    createDate: '2015-02-06T18:39:46Z',
    updateDate: '2015-02-06T18:39:46Z',
    defaultVersionId: 'v1',
    versions: [
      {
        versionId: 'v1',
        createDate: '2015-02-06T18:39:46Z',
        document: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] },
      },
    ],
  },
  {
    arn: 'arn:aws:iam::aws:policy/AWSCodeCommitReadOnly',
    policyName: 'AWSCodeCommitReadOnly',
    policyId: 'ANPAJACNSXR7Z2VLJW3D6',
    path: '/',
    description: 'Provides read only access to AWS CodeCommit via the AWS Management Console.',
    createDate: '2015-07-09T17:05:15Z',
    updateDate: '2025-01-10T20:07:00Z',
    defaultVersionId: 'v12',
    versions: [
      {
        versionId: 'v12',
        createDate: '2025-01-10T20:07:00Z',
        document: {
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Action: [
                'codecommit:BatchGet*',
                'codecommit:BatchDescribe*',
                'codecommit:Describe*',
                'codecommit:EvaluatePullRequestApprovalRules',
                'codecommit:Get*',
                'codecommit:List*',
                'codecommit:GitPull',
              ],
              Resource: '*',
            },
            {
              Sid: 'CloudWatchEventsCodeCommitRulesReadOnlyAccess',
              Effect: 'Allow',
              Action: ['events:DescribeRule', 'events:ListTargetsByRule'],
              Resource: 'arn:aws:events:*:*:rule/codecommit*',
            },
            {
              Sid: 'SNSSubscriptionAccess',
              Effect: 'Allow',
              Action: ['sns:ListTopics', 'sns:ListSubscriptionsByTopic', 'sns:GetTopicAttributes'],
              Resource: '*',
            },
            {
              Sid: 'LambdaReadOnlyListAccess',
              Effect: 'Allow',
              Action: ['lambda:ListFunctions'],
              Resource: '*',
            },
            { Sid: 'IAMReadOnlyListAccess', Effect: 'Allow', Action: ['iam:ListUsers'], Resource: '*' },
            {
              Sid: 'IAMReadOnlyConsoleAccess',
              Effect: 'Allow',
              Action: [
                'iam:ListAccessKeys',
                'iam:ListSSHPublicKeys',
                'iam:ListServiceSpecificCredentials',
                'iam:GetSSHPublicKey',
              ],
              Resource: SELF_USER,
            },
          ],
        },
      },
    ],
  },
  {
    arn: 'arn:aws:iam::aws:policy/AWSCodeCommitPowerUser',
    policyName: 'AWSCodeCommitPowerUser',
    policyId: 'ANPAI4UIINUVGB5SEC57G',
    path: '/',
    description:
      'Provides full access to AWS CodeCommit repositories, but does not allow repository deletion.',
    createDate: '2015-07-09T17:06:49Z',
    updateDate: '2025-01-10T20:07:00Z',
    defaultVersionId: 'v16',
    versions: [
      {
        versionId: 'v16',
        createDate: '2025-01-10T20:07:00Z',
        document: {
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Action: [
                'codecommit:AssociateApprovalRuleTemplateWithRepository',
                'codecommit:BatchAssociateApprovalRuleTemplateWithRepositories',
                'codecommit:BatchDisassociateApprovalRuleTemplateFromRepositories',
                'codecommit:BatchGet*',
                'codecommit:BatchDescribe*',
                'codecommit:Create*',
                'codecommit:DeleteBranch',
                'codecommit:DeleteFile',
                'codecommit:Describe*',
                'codecommit:DisassociateApprovalRuleTemplateFromRepository',
                'codecommit:EvaluatePullRequestApprovalRules',
                'codecommit:Get*',
                'codecommit:List*',
                'codecommit:Merge*',
                'codecommit:OverridePullRequestApprovalRules',
                'codecommit:Put*',
                'codecommit:Post*',
                'codecommit:TagResource',
                'codecommit:Test*',
                'codecommit:UntagResource',
                'codecommit:Update*',
                'codecommit:GitPull',
                'codecommit:GitPush',
              ],
              Resource: '*',
            },
            {
              Sid: 'CloudWatchEventsCodeCommitRulesAccess',
              Effect: 'Allow',
              Action: [
                'events:DeleteRule',
                'events:DescribeRule',
                'events:DisableRule',
                'events:EnableRule',
                'events:PutRule',
                'events:PutTargets',
                'events:RemoveTargets',
                'events:ListTargetsByRule',
              ],
              Resource: 'arn:aws:events:*:*:rule/codecommit*',
            },
            {
              Sid: 'SNSTopicAndSubscriptionAccess',
              Effect: 'Allow',
              Action: ['sns:Subscribe', 'sns:Unsubscribe'],
              Resource: 'arn:aws:sns:*:*:codecommit*',
            },
            {
              Sid: 'SNSTopicAndSubscriptionReadAccess',
              Effect: 'Allow',
              Action: ['sns:ListTopics', 'sns:ListSubscriptionsByTopic', 'sns:GetTopicAttributes'],
              Resource: '*',
            },
            {
              Sid: 'LambdaReadOnlyListAccess',
              Effect: 'Allow',
              Action: ['lambda:ListFunctions'],
              Resource: '*',
            },
            { Sid: 'IAMReadOnlyListAccess', Effect: 'Allow', Action: ['iam:ListUsers'], Resource: '*' },
            {
              Sid: 'IAMReadOnlyConsoleAccess',
              Effect: 'Allow',
              Action: ['iam:ListAccessKeys', 'iam:ListSSHPublicKeys', 'iam:ListServiceSpecificCredentials'],
              Resource: SELF_USER,
            },
            {
              Sid: 'IAMUserSSHKeys',
              Effect: 'Allow',
              Action: [
                'iam:DeleteSSHPublicKey',
                'iam:GetSSHPublicKey',
                'iam:ListSSHPublicKeys',
                'iam:UpdateSSHPublicKey',
                'iam:UploadSSHPublicKey',
              ],
              Resource: SELF_USER,
            },
            {
              Sid: 'IAMSelfManageServiceSpecificCredentials',
              Effect: 'Allow',
              Action: [
                'iam:CreateServiceSpecificCredential',
                'iam:UpdateServiceSpecificCredential',
                'iam:DeleteServiceSpecificCredential',
                'iam:ResetServiceSpecificCredential',
              ],
              Resource: SELF_USER,
            },
          ],
        },
      },
    ],
  },
  {
    arn: 'arn:aws:iam::aws:policy/AWSCodeCommitFullAccess',
    policyName: 'AWSCodeCommitFullAccess',
    policyId: 'ANPAI4VCZ3XPIZLQ5NZV2',
    path: '/',
    description: 'Provides full access to AWS CodeCommit via the AWS Management Console.',
    createDate: '2015-07-09T17:02:19Z',
    updateDate: '2025-01-10T20:07:00Z',
    defaultVersionId: 'v6',
    versions: [
      {
        versionId: 'v6',
        createDate: '2025-01-10T20:07:00Z',
        document: {
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Action: ['codecommit:*'], Resource: '*' }],
        },
      },
    ],
  },
  {
    arn: 'arn:aws:iam::aws:policy/IAMReadOnlyAccess',
    policyName: 'IAMReadOnlyAccess',
    policyId: 'ANPAJKSO7NDY4T57MWDSQ',
    path: '/',
    description: 'Provides read only access to IAM via the AWS Management Console.',
    createDate: '2015-02-06T18:40:39Z',
    updateDate: '2018-01-25T19:11:27Z',
    defaultVersionId: 'v4',
    versions: [
      {
        versionId: 'v4',
        createDate: '2018-01-25T19:11:27Z',
        document: {
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Action: [
                'iam:GenerateCredentialReport',
                'iam:GenerateServiceLastAccessedDetails',
                'iam:Get*',
                'iam:List*',
                'iam:SimulateCustomPolicy',
                'iam:SimulatePrincipalPolicy',
              ],
              Resource: '*',
            },
          ],
        },
      },
    ],
  },
  {
    arn: 'arn:aws:iam::aws:policy/ReadOnlyAccess',
    policyName: 'ReadOnlyAccess',
    policyId: 'ANPAILL3HVNFSB6DCOWYQ',
    path: '/',
    description: 'Provides read-only access to AWS services and resources.',
    createDate: '2015-02-06T18:39:48Z',
    updateDate: '2025-01-10T20:07:00Z',
    defaultVersionId: 'v120',
    versions: [
      {
        versionId: 'v120',
        createDate: '2025-01-10T20:07:00Z',
        document: {
          Version: '2012-10-17',
          Statement: [
            {
              Sid: 'ReadOnlyActions',
              Effect: 'Allow',
              Action: [
                'codecommit:BatchGet*',
                'codecommit:BatchDescribe*',
                'codecommit:Describe*',
                'codecommit:Get*',
                'codecommit:List*',
                'codecommit:GitPull',
                'iam:Generate*',
                'iam:Get*',
                'iam:List*',
                's3:Get*',
                's3:List*',
                'sts:GetCallerIdentity',
              ],
              Resource: '*',
            },
          ],
        },
      },
    ],
  },
];

const byArn = new Map(catalog.map((p) => [p.arn, p]));

export function awsManagedPolicyArns(): string[] {
  return [...byArn.keys()];
}

/** The built-in AWS managed policies (deep copies, safe to mutate). */
export function awsManagedPolicies(): ScenarioManagedPolicy[] {
  return structuredClone(catalog);
}
