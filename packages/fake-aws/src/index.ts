/**
 * fake-aws: an AWS emulator (STS, IAM, CodeCommit) that the unchanged SDK v3 clients talk to, seeded
 * from a scenario file. See README.md for the scenario format, the knobs and the control plane.
 */
export { AwsError } from './errors.js';
export {
  type ActiveFault,
  DEFAULT_OVERSIZED_LENGTH,
  FAULT_KINDS,
  type FaultKind,
  type FaultRule,
  type FaultRuleInput,
  faultRuleSchema,
  parseFaultSpec,
} from './faults.js';
export { awsManagedPolicies } from './scenario/aws-managed-policies.js';
export {
  applyPullRequestChanges,
  PULL_REQUEST_CHANGE_KINDS,
  type PullRequestChange,
  pullRequestChangeSchema,
} from './scenario/changes.js';
export {
  addProductRole,
  GENERATED_DEFAULTS,
  type GenerateOptions,
  generateScenario,
  platformTrustPolicy,
} from './scenario/generate.js';
export {
  loadScenarioFile,
  parseScenario,
  type ScenarioIssue,
  ScenarioValidationError,
  shiftCalendarDate,
  shiftCalendarDates,
  shiftScenarioDates,
  storyShiftMs,
} from './scenario/load.js';
export {
  type ApprovalRuleContent,
  type PolicyDocument,
  type PolicyStatement,
  type Scenario,
  type ScenarioApprovalRuleTemplate,
  type ScenarioGroup,
  type ScenarioInput,
  type ScenarioManagedPolicy,
  type ScenarioPullRequest,
  type ScenarioRepository,
  type ScenarioRole,
  type ScenarioUser,
  scenarioSchema,
} from './scenario/schema.js';
export {
  type AccessKeyPair,
  type FakeAws,
  FakeAwsCore,
  type FakeAwsLogger,
  type FakeAwsOptions,
  type FakeAwsTunables,
  type FakeStats,
  type ServiceName,
  startFakeAws,
} from './server.js';
export { inApprovalPool, ruleSatisfied } from './services/codecommit.js';
export { CREDENTIAL_REPORT_COLUMNS, renderCredentialReport } from './services/credential-report.js';
export { encodePolicyDocument } from './services/iam.js';
