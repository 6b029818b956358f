/**
 * Identity-policy evaluation: explicit Deny wins, then Allow, else implicit deny; a permissions boundary
 * caps what identity policies allow. Statements this evaluator cannot decide are reported, never guessed.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
 */
import { evaluateConditionBlock } from './conditions.js';
import { actionElementMatches, isUnknown, type Outcome, resourceElementMatches } from './matching.js';
import { buildRequestValues, type RequestValues } from './request-context.js';
import type {
  ContextValue,
  Decision,
  DecisionExplanation,
  EvaluationResult,
  NamedPolicy,
  PolicySource,
  PolicyStatement,
  PrincipalPolicies,
  RequestContext,
  StatementRef,
} from './types.js';

function asList(value: string | string[] | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  return Array.isArray(value) ? value : [value];
}

/** Whether a statement applies to the request: action, then resource, then conditions. */
export function statementApplies(
  statement: PolicyStatement,
  request: RequestContext,
  values: RequestValues,
): Outcome {
  if (statement.Effect !== 'Allow' && statement.Effect !== 'Deny') {
    return { unknown: `unsupported Effect ${String(statement.Effect)}` };
  }
  const actions = asList(statement.Action);
  const notActions = asList(statement.NotAction);
  if ((actions === undefined) === (notActions === undefined)) {
    return { unknown: 'statement needs exactly one of Action and NotAction' };
  }
  if (!actionElementMatches(actions ?? notActions ?? [], actions === undefined, request.action)) return false;

  const resources = asList(statement.Resource);
  const notResources = asList(statement.NotResource);
  if ((resources === undefined) === (notResources === undefined)) {
    return { unknown: 'statement needs exactly one of Resource and NotResource' };
  }
  const resourceMatch = resourceElementMatches(
    resources ?? notResources ?? [],
    resources === undefined,
    request.resource,
    values,
  );
  if (resourceMatch === false) return false;

  const conditionMatch = evaluateConditionBlock(statement.Condition, values);
  if (conditionMatch === false) return false;
  if (isUnknown(resourceMatch)) return resourceMatch;
  return conditionMatch;
}

function statementsOf(policy: NamedPolicy): PolicyStatement[] {
  const statements = policy.document.Statement;
  return Array.isArray(statements) ? statements : [statements];
}

function refOf(source: PolicySource, index: number, statement: PolicyStatement): StatementRef {
  const ref: StatementRef = { source, index, statement };
  if (statement.Sid !== undefined) ref.sid = statement.Sid;
  return ref;
}

type Presence = 'yes' | 'maybe' | 'no';

function denyPresence(result: EvaluationResult): Presence {
  if (result.deniedBy.length > 0) return 'yes';
  return result.undecided.some(({ ref }) => ref.statement.Effect !== 'Allow') ? 'maybe' : 'no';
}

function allowPresence(result: EvaluationResult): Presence {
  if (result.allowedBy.length > 0) return 'yes';
  return result.undecided.some(({ ref }) => ref.statement.Effect === 'Allow') ? 'maybe' : 'no';
}

function decide(deny: Presence, allow: Presence): Decision {
  if (deny === 'yes') return 'explicit_deny';
  if (deny === 'maybe') return 'unknown';
  if (allow === 'yes') return 'allow';
  if (allow === 'maybe') return 'unknown';
  return 'implicit_deny';
}

/**
 * Evaluates policies for one request: a matching Deny gives `explicit_deny`; else an undecided Deny gives
 * `unknown`; else a matching Allow gives `allow`; else an undecided Allow gives `unknown`; else
 * `implicit_deny`.
 */
export function evaluatePolicies(policies: NamedPolicy[], request: RequestContext): EvaluationResult {
  const values = buildRequestValues(request);
  const result: EvaluationResult = { decision: 'implicit_deny', allowedBy: [], deniedBy: [], undecided: [] };
  for (const policy of policies) {
    statementsOf(policy).forEach((statement, index) => {
      const outcome = statementApplies(statement, request, values);
      if (outcome === false) return;
      const ref = refOf(policy.source, index, statement);
      if (isUnknown(outcome)) result.undecided.push({ ref, reason: outcome.unknown });
      else if (statement.Effect === 'Deny') result.deniedBy.push(ref);
      else result.allowedBy.push(ref);
    });
  }
  result.decision = decide(denyPresence(result), allowPresence(result));
  return result;
}

const PRESENCE_ORDER: Presence[] = ['no', 'maybe', 'yes'];
const strongest = (a: Presence, b: Presence) =>
  PRESENCE_ORDER.indexOf(a) >= PRESENCE_ORDER.indexOf(b) ? a : b;
const weakest = (a: Presence, b: Presence) =>
  PRESENCE_ORDER.indexOf(a) <= PRESENCE_ORDER.indexOf(b) ? a : b;

function accountOf(arn: string): string | undefined {
  const account = arn.split(':')[4];
  return account ? account : undefined;
}

/**
 * The request with the keys AWS sets from the principal: `aws:PrincipalArn`, `aws:PrincipalType`
 * (`User`, or `AssumedRole` for a role's sessions), `aws:PrincipalAccount`, `aws:username` (users only),
 * `aws:userid` and `aws:PrincipalTag/*` when known. Keys the caller set win.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html
 */
export function principalRequestContext(
  principal: PrincipalPolicies,
  request: RequestContext,
): RequestContext {
  const defaults: Record<string, ContextValue> = {
    'aws:PrincipalArn': principal.arn,
    'aws:PrincipalType': principal.type === 'user' ? 'User' : 'AssumedRole',
  };
  const account = accountOf(principal.arn);
  if (account) defaults['aws:PrincipalAccount'] = account;
  if (principal.type === 'user') defaults['aws:username'] = principal.name;
  if (principal.userId) defaults['aws:userid'] = principal.userId;
  for (const [key, value] of Object.entries(principal.tags ?? {}))
    defaults[`aws:PrincipalTag/${key}`] = value;

  // Caller keys override defaults whatever their case: key names are case-insensitive.
  const callerKeys = new Set(Object.keys(request.context ?? {}).map((key) => key.toLowerCase()));
  const context: Record<string, ContextValue | undefined> = {};
  for (const [key, value] of Object.entries(defaults))
    if (!callerKeys.has(key.toLowerCase())) context[key] = value;
  Object.assign(context, request.context);

  const knownAbsentKeys = [...(request.knownAbsentKeys ?? [])];
  if (principal.type === 'role') knownAbsentKeys.push('aws:username');
  if (principal.tags) knownAbsentKeys.push('aws:PrincipalTag/*');
  const effective: RequestContext = { ...request, context };
  if (knownAbsentKeys.length > 0) effective.knownAbsentKeys = knownAbsentKeys;
  return effective;
}

/**
 * Evaluates a principal's identity policies and, when set, its permissions boundary: a Deny in either
 * denies; an Allow needs both ("the effective permissions are the intersection").
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html
 */
export function evaluatePrincipal(principal: PrincipalPolicies, request: RequestContext): EvaluationResult {
  const effective = principalRequestContext(principal, request);
  const identity = evaluatePolicies(principal.policies, effective);
  const boundaryPolicy = principal.permissionsBoundary;
  if (!boundaryPolicy) return identity;
  const boundary = evaluatePolicies([boundaryPolicy], effective);
  const decision = decide(
    strongest(denyPresence(identity), denyPresence(boundary)),
    weakest(allowPresence(identity), allowPresence(boundary)),
  );
  return {
    decision,
    allowedBy: [...identity.allowedBy, ...boundary.allowedBy],
    deniedBy: [...identity.deniedBy, ...boundary.deniedBy],
    undecided: [...identity.undecided, ...boundary.undecided],
    permissionsBoundaryDecision: boundary.decision,
  };
}

/** `managed policy arn:…:policy/X, statement 2 (Sid "DenyMain")`: how findings name a statement. */
export function describeStatementRef(ref: StatementRef): string {
  const source = ref.source;
  const policy =
    source.kind === 'inline'
      ? `inline policy ${source.policyName} of ${source.ownerArn}`
      : source.kind === 'managed'
        ? `managed policy ${source.policyArn}`
        : `permissions boundary ${source.policyArn}`;
  const via = source.kind !== 'boundary' && source.viaGroup ? ` via group ${source.viaGroup}` : '';
  const sid = ref.sid ? ` (Sid "${ref.sid}")` : '';
  return `${policy}${via}, statement ${ref.index}${sid}`;
}

/**
 * `evaluatePrincipal` plus the request as evaluated and a sentence saying what decided, for findings.
 */
export function explainDecision(principal: PrincipalPolicies, request: RequestContext): DecisionExplanation {
  const result = evaluatePrincipal(principal, request);
  const subject = `${request.action} on ${request.resource} by ${principal.arn}`;
  const list = (refs: StatementRef[]) => refs.map(describeStatementRef).join('; ');
  let summary: string;
  switch (result.decision) {
    case 'explicit_deny':
      summary = `${subject} is explicitly denied by ${list(result.deniedBy)}`;
      break;
    case 'allow':
      summary = `${subject} is allowed by ${list(result.allowedBy)}`;
      break;
    case 'unknown':
      summary = `${subject} cannot be decided: ${result.undecided
        .map(({ ref, reason }) => `${describeStatementRef(ref)}: ${reason}`)
        .join('; ')}`;
      break;
    default:
      summary =
        result.permissionsBoundaryDecision &&
        result.permissionsBoundaryDecision !== 'allow' &&
        result.allowedBy.length > 0
          ? `${subject} is allowed by identity policies but not by the permissions boundary`
          : `${subject} is not allowed by any statement (implicit deny)`;
  }
  return { ...result, request: principalRequestContext(principal, request), summary };
}
