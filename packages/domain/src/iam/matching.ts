/**
 * Matching of a statement's Action/NotAction and Resource/NotResource against a request.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_action.html
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html
 */
import type { RequestValues } from './request-context.js';
import { type UnknownOutcome, unknownVariable } from './unknown-keys.js';
import {
  type PolicyStringToken,
  parsePolicyString,
  resolveTokens,
  splitArnSegments,
  tokensToRegex,
} from './variables.js';

/** A three-valued answer: `unknown` carries why it could not be decided. */
export type Outcome = true | false | UnknownOutcome;

export function isUnknown(outcome: Outcome): outcome is UnknownOutcome {
  return typeof outcome === 'object';
}

const ALL_WILDCARDS = /^\*+$/;
const WHITESPACE = /\s/;

/**
 * `service:Action` patterns: the service prefix is compared literally, the action name with `*` and `?`,
 * both case-insensitively ("Action names are not case-sensitive"). `*` alone matches every action.
 */
export function actionMatchesPattern(pattern: string, action: string): boolean {
  const compiled = compileActionPattern(pattern);
  if (compiled === 'all') return true;
  if (compiled === 'none') return false;
  const actionColon = action.indexOf(':');
  if (actionColon === -1) return false;
  if (action.slice(0, actionColon).toLowerCase() !== compiled.service) return false;
  return compiled.name.test(action.slice(actionColon + 1));
}

type CompiledActionPattern = 'all' | 'none' | { service: string; name: RegExp };
const actionPatterns = new Map<string, CompiledActionPattern>();

function compileActionPattern(pattern: string): CompiledActionPattern {
  const cached = actionPatterns.get(pattern);
  if (cached) return cached;
  let compiled: CompiledActionPattern;
  const colon = pattern.indexOf(':');
  const name = pattern.slice(colon + 1);
  if (ALL_WILDCARDS.test(pattern)) compiled = 'all';
  else if (colon === -1 || name.length === 0 || WHITESPACE.test(name)) compiled = 'none';
  else {
    const tokens = parsePolicyString(name).map((token) =>
      // Actions have no variables: a `${...}` in an action is plain text.
      token.kind === 'variable' ? { kind: 'literal' as const, text: `\${${token.name}}` } : token,
    );
    compiled = {
      service: pattern.slice(0, colon).toLowerCase(),
      name: tokensToRegex(tokens, { wildcards: true, ignoreCase: true }),
    };
  }
  if (actionPatterns.size > 10_000) actionPatterns.clear();
  actionPatterns.set(pattern, compiled);
  return compiled;
}

/** Statement-level Action/NotAction: `NotAction` matches every action none of its patterns match. */
export function actionElementMatches(patterns: string[], negated: boolean, action: string): boolean {
  const matchesAny = patterns.some((pattern) => actionMatchesPattern(pattern, action));
  return negated ? !matchesAny : matchesAny;
}

type ResourceMatch = Outcome | 'missing_variable';

/**
 * The resource type: the part of the resource segment up to its first `/` or `:`, when no variable comes
 * before it. iam-simulate (after AWS's "Incorrect wildcard usage" note in
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html) takes it literally, so a wildcard
 * there matches only itself, and it decides a mismatch before any variable is looked up.
 */
function splitResourceType(
  tokens: PolicyStringToken[],
): { type: string; rest: PolicyStringToken[] } | undefined {
  let type = '';
  for (let index = 0; index < tokens.length; index++) {
    const token = tokens[index]!;
    if (token.kind === 'variable') return undefined;
    if (token.kind !== 'literal') {
      type += token.kind === 'any' ? '*' : '?';
      continue;
    }
    const separator = token.text.search(/[/:]/);
    if (separator === -1) {
      type += token.text;
      continue;
    }
    type += token.text.slice(0, separator + 1);
    const remainder = token.text.slice(separator + 1);
    const rest = tokens.slice(index + 1);
    return { type, rest: remainder ? [{ kind: 'literal', text: remainder }, ...rest] : rest };
  }
  return undefined;
}

function segmentMatches(
  tokens: readonly PolicyStringToken[],
  value: string,
  ignoreCase: boolean,
  request: RequestValues,
): ResourceMatch {
  const resolution = resolveTokens(tokens, request);
  if (resolution.status === 'missing') return 'missing_variable';
  if (resolution.status === 'unknown') return unknownVariable(resolution.variable);
  return tokensToRegex(resolution.tokens, { wildcards: true, ignoreCase }).test(value);
}

/**
 * One Resource pattern against the request's resource. ARNs are matched segment by segment (a wildcard
 * does not cross the colons between partition, service, region and account); a pattern with fewer than
 * six segments is padded with `*`, as IAM does for identity policies. Partition, service, region and
 * account compare case-insensitively (AWS-defined identifiers); the resource segment case-sensitively
 * ("In the Resource element, the IAM user name is case sensitive").
 */
export function resourceMatchesPattern(
  pattern: string,
  resource: string,
  request: RequestValues,
): ResourceMatch {
  const compiled = compileResourcePattern(pattern);
  if (compiled === 'all') return true;
  if (!Array.isArray(compiled)) return segmentMatches(compiled.tokens, resource, false, request);
  const requestSegments = splitRequestArn(resource);
  if (!requestSegments) return false;
  // A segment that cannot match decides, whatever variables other segments lack.
  let missing = false;
  let unknown: UnknownOutcome | undefined;
  for (let index = 0; index < 6; index++) {
    const { tokens, resourceType } = compiled[index]!;
    let value = requestSegments[index]!;
    if (resourceType !== undefined) {
      if (!value.startsWith(resourceType)) return false;
      value = value.slice(resourceType.length);
    }
    const result = segmentMatches(tokens, value, index < 5, request);
    if (result === false) return false;
    if (result === 'missing_variable') missing = true;
    else if (isUnknownMatch(result)) unknown ??= result;
  }
  if (missing) return 'missing_variable';
  return unknown ?? true;
}

type CompiledResourcePattern =
  | 'all'
  /** Not an ARN: matched as one string. */
  | { tokens: PolicyStringToken[] }
  /** Six ARN segments; the last may start with a literal resource type. */
  | { tokens: PolicyStringToken[]; resourceType?: string }[];

const resourcePatterns = new Map<string, CompiledResourcePattern>();

function compileResourcePattern(pattern: string): CompiledResourcePattern {
  const cached = resourcePatterns.get(pattern);
  if (cached) return cached;
  let compiled: CompiledResourcePattern;
  if (ALL_WILDCARDS.test(pattern)) compiled = 'all';
  else if (!pattern.startsWith('arn:')) compiled = { tokens: parsePolicyString(pattern) };
  else {
    const segments = splitArnSegments(parsePolicyString(pattern));
    while (segments.length < 6) segments.push([{ kind: 'any' }]);
    const resourceType = isS3BucketPattern(segments) ? undefined : splitResourceType(segments[5]!);
    compiled = segments.map((tokens) => ({ tokens }));
    if (resourceType) compiled[5] = { tokens: resourceType.rest, resourceType: resourceType.type };
  }
  if (resourcePatterns.size > 10_000) resourcePatterns.clear();
  resourcePatterns.set(pattern, compiled);
  return compiled;
}

const requestArns = new Map<string, string[] | null>();

/** The six segments of a request ARN (the resource keeps its colons), or null if it is not an ARN. */
function splitRequestArn(resource: string): string[] | null {
  const cached = requestArns.get(resource);
  if (cached !== undefined) return cached;
  const parts = resource.split(':');
  const segments = parts.length < 6 ? null : [...parts.slice(0, 5), parts.slice(5).join(':')];
  if (requestArns.size > 10_000) requestArns.clear();
  requestArns.set(resource, segments);
  return segments;
}

function isUnknownMatch(result: ResourceMatch): result is UnknownOutcome {
  return typeof result === 'object';
}

// S3 bucket and object ARNs (`arn:aws:s3:::bucket/key`) have no resource type before the first `/`.
function isS3BucketPattern(segments: PolicyStringToken[][]): boolean {
  const text = (segment: PolicyStringToken[] | undefined) =>
    segment?.map((token) => (token.kind === 'literal' ? token.text : '\u0000')).join('');
  return text(segments[2]) === 's3' && text(segments[3]) === '' && text(segments[4]) === '';
}

/**
 * Statement-level Resource/NotResource. A pattern whose variable has no value never matches; for
 * NotResource such a pattern still counts as possibly naming the resource, so the statement does not
 * apply, as iam-simulate does. AWS: "If AWS cannot resolve a variable this might cause the entire
 * statement to be invalid" (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html#policy-vars-no-value).
 */
export function resourceElementMatches(
  patterns: string[],
  negated: boolean,
  resource: string,
  request: RequestValues,
): Outcome {
  let unknown: UnknownOutcome | undefined;
  for (const pattern of patterns) {
    const result = resourceMatchesPattern(pattern, resource, request);
    if (result === true) return !negated;
    if (result === 'missing_variable') {
      if (negated) return false;
      continue;
    }
    if (isUnknownMatch(result)) unknown ??= result;
  }
  if (unknown) return unknown;
  return negated;
}
