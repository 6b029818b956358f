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
  if (typeof statement !== 'object' || statement === null) return { unknown: 'statement is not an object' };
  if (statement.Effect !== 'Allow' && statement.Effect !== 'Deny') {
    return { unknown: `unsupported Effect ${String(statement.Effect)}` };
  }
  const actions = asList(statement.Action);
  const notActions = asList(statement.NotAction);
  if ((actions === undefined) === (notActions === undefined)) {
    return { unknown: 'statement needs exactly one of Action and NotAction' };
  }
  if (!actionElementMatches(actions ?? notActions ?? [], actions === undefined, request.action)) return false;
  return resourceAndConditionsApply(statement, request, values);
}

/** The rest of `statementApplies`, for statements already known to cover the action. */
function resourceAndConditionsApply(
  statement: PolicyStatement,
  request: RequestContext,
  values: RequestValues,
): Outcome {
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
  // IAM stores only valid documents; a document without statements (a bad fixture) grants nothing.
  const statements = policy.document?.Statement;
  if (statements === undefined || statements === null) return [];
  return Array.isArray(statements) ? statements : [statements];
}

function refOf(source: PolicySource, index: number, statement: PolicyStatement): StatementRef {
  const ref: StatementRef = { source, index, statement };
  if (statement?.Sid !== undefined) ref.sid = statement.Sid;
  return ref;
}

/**
 * Policies prepared for many requests: statements are indexed by the actions they cover, so a request
 * only looks at statements that can apply to its action (the access analysis asks ~90 actions per
 * repository).
 */
class PolicySet {
  private readonly refs: StatementRef[];
  private readonly byAction = new Map<string, { ref: StatementRef; wellFormedAction: boolean }[]>();

  constructor(policies: NamedPolicy[]) {
    this.refs = policies.flatMap((policy) =>
      statementsOf(policy).map((statement, index) => refOf(policy.source, index, statement)),
    );
  }

  statementsFor(action: string): { ref: StatementRef; wellFormedAction: boolean }[] {
    const key = action.toLowerCase();
    let entries = this.byAction.get(key);
    if (!entries) {
      entries = [];
      for (const ref of this.refs) {
        const { statement } = ref;
        if (typeof statement !== 'object' || statement === null) {
          entries.push({ ref, wellFormedAction: false });
          continue;
        }
        const actions = asList(statement.Action);
        const notActions = asList(statement.NotAction);
        const wellFormedAction =
          (actions === undefined) !== (notActions === undefined) &&
          (statement.Effect === 'Allow' || statement.Effect === 'Deny');
        // Malformed statements stay in, so that they are reported as undecided.
        if (
          !wellFormedAction ||
          actionElementMatches(actions ?? notActions ?? [], actions === undefined, action)
        ) {
          entries.push({ ref, wellFormedAction });
        }
      }
      this.byAction.set(key, entries);
    }
    return entries;
  }
}

function evaluatePolicySet(
  policySet: PolicySet,
  request: RequestContext,
  values: RequestValues,
): EvaluationResult {
  const result: EvaluationResult = { decision: 'implicit_deny', allowedBy: [], deniedBy: [], undecided: [] };
  for (const { ref, wellFormedAction } of policySet.statementsFor(request.action)) {
    // Statements are indexed by action: only a malformed one needs the full check (to report it).
    const outcome = wellFormedAction
      ? resourceAndConditionsApply(ref.statement, request, values)
      : statementApplies(ref.statement, request, values);
    if (outcome === false) continue;
    if (isUnknown(outcome))
      result.undecided.push({
        ref,
        reason: outcome.unknown,
        ...(outcome.keys ? { keys: outcome.keys } : {}),
      });
    else if (ref.statement.Effect === 'Deny') result.deniedBy.push(ref);
    else result.allowedBy.push(ref);
  }
  result.decision = decide(denyPresence(result), allowPresence(result));
  return result;
}

type Presence = 'yes' | 'maybe' | 'no';

function denyPresence(result: EvaluationResult): Presence {
  if (result.deniedBy.length > 0) return 'yes';
  return result.undecided.some(({ ref }) => ref.statement?.Effect !== 'Allow') ? 'maybe' : 'no';
}

function allowPresence(result: EvaluationResult): Presence {
  if (result.allowedBy.length > 0) return 'yes';
  return result.undecided.some(({ ref }) => ref.statement?.Effect === 'Allow') ? 'maybe' : 'no';
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
  return evaluatePolicySet(new PolicySet(policies), request, buildRequestValues(request));
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
  return principalDefaults(principal).apply(request);
}

interface PrincipalDefaults {
  apply(request: RequestContext): RequestContext;
}

function principalDefaults(principal: PrincipalPolicies): PrincipalDefaults {
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
  const defaultEntries = Object.entries(defaults).map(
    ([key, value]) => [key, key.toLowerCase(), value] as const,
  );
  const absent: string[] = [];
  if (principal.type === 'role') absent.push('aws:username');
  if (principal.tags) absent.push('aws:PrincipalTag/*');

  return {
    apply(request) {
      // Caller keys override defaults whatever their case: key names are case-insensitive.
      const callerContext = request.context ?? {};
      const callerKeys = new Set(Object.keys(callerContext).map((key) => key.toLowerCase()));
      const context: Record<string, ContextValue | undefined> = {};
      for (const [key, lower, value] of defaultEntries) if (!callerKeys.has(lower)) context[key] = value;
      Object.assign(context, callerContext);
      const effective: RequestContext = { ...request, context };
      if (absent.length > 0) effective.knownAbsentKeys = [...(request.knownAbsentKeys ?? []), ...absent];
      return effective;
    },
  };
}

/** A principal prepared for many requests: policies indexed once, context defaults computed once. */
export interface PrincipalEvaluator {
  evaluate(request: RequestContext): EvaluationResult;
  /** The same request for several actions: the request context is prepared once for all of them. */
  evaluateActions(request: Omit<RequestContext, 'action'>, actions: readonly string[]): EvaluationResult[];
  /** The same request on several resources (`sts:AssumeRole` on every role): context prepared once. */
  evaluateResources(
    request: Omit<RequestContext, 'resource'>,
    resources: readonly string[],
  ): EvaluationResult[];
}

/** For the access analysis, which asks ~90 actions per repository. */
export function createPrincipalEvaluator(principal: PrincipalPolicies): PrincipalEvaluator {
  const defaults = principalDefaults(principal);
  const identity = new PolicySet(principal.policies);
  const boundary = principal.permissionsBoundary ? new PolicySet([principal.permissionsBoundary]) : undefined;
  const evaluateEffective = (request: RequestContext, values: RequestValues): EvaluationResult => {
    const identityResult = evaluatePolicySet(identity, request, values);
    if (!boundary) return identityResult;
    const boundaryResult = evaluatePolicySet(boundary, request, values);
    return {
      decision: decide(
        strongest(denyPresence(identityResult), denyPresence(boundaryResult)),
        weakest(allowPresence(identityResult), allowPresence(boundaryResult)),
      ),
      allowedBy: [...identityResult.allowedBy, ...boundaryResult.allowedBy],
      deniedBy: [...identityResult.deniedBy, ...boundaryResult.deniedBy],
      undecided: [...identityResult.undecided, ...boundaryResult.undecided],
      permissionsBoundaryDecision: boundaryResult.decision,
    };
  };
  return {
    evaluate(request) {
      const effective = defaults.apply(request);
      return evaluateEffective(effective, buildRequestValues(effective));
    },
    evaluateActions(request, actions) {
      const effective = defaults.apply({ ...request, action: '' });
      const values = buildRequestValues(effective);
      return actions.map((action) => evaluateEffective({ ...effective, action }, values));
    },
    evaluateResources(request, resources) {
      // The request values come from the context alone, never from the resource.
      const effective = defaults.apply({ ...request, resource: '' });
      const values = buildRequestValues(effective);
      return resources.map((resource) => evaluateEffective({ ...effective, resource }, values));
    },
  };
}

/**
 * Evaluates a principal's identity policies and, when set, its permissions boundary: a Deny in either
 * denies; an Allow needs both ("the effective permissions are the intersection").
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html
 */
export function evaluatePrincipal(principal: PrincipalPolicies, request: RequestContext): EvaluationResult {
  return createPrincipalEvaluator(principal).evaluate(request);
}

/** `managed policy arn:…:policy/X, statement 2 (Sid "DenyMain")`: how findings name a statement. */
export function describeStatementRef(ref: StatementRef): string {
  const source = ref.source;
  const policy =
    source.kind === 'inline'
      ? `inline policy ${source.policyName} of ${source.ownerArn}`
      : source.kind === 'managed'
        ? `managed policy ${source.policyArn}`
        : source.kind === 'boundary'
          ? `permissions boundary ${source.policyArn}`
          : `trust policy of ${source.roleArn}`;
  const via =
    (source.kind === 'inline' || source.kind === 'managed') && source.viaGroup
      ? ` via group ${source.viaGroup}`
      : '';
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
