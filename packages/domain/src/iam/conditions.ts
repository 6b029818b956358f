/**
 * The Condition element: string, ARN, boolean, numeric, date and IP address operators, `…IfExists`,
 * `Null`, and the `ForAnyValue:`/`ForAllValues:` set operators. (Not `BinaryEquals`: it is undecided.)
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html
 */
import { ipInRange, parseIpAddress, parseIpRange } from './ip-addresses.js';
import { isUnknown, type Outcome } from './matching.js';
import type { RequestValues } from './request-context.js';
import { type UnknownOutcome, unknownKey, unknownVariable } from './unknown-keys.js';
import {
  parsePolicyString,
  type ResolvedToken,
  resolveTokens,
  splitArnSegments,
  tokensToRegex,
  tokensToText,
} from './variables.js';

/** How one policy value compares with one request value: `missing` when a variable has no value. */
type ValueTest = boolean | 'missing' | UnknownOutcome;

interface BaseOperator {
  /** Negated operators (`StringNotEquals`, …) hold when the request value matches none of the policy values. */
  negated: boolean;
  /** Whether the request value satisfies the positive form for this policy value. */
  test(requestValue: string, policyValue: string, request: RequestValues): ValueTest;
}

function resolveValue(
  policyValue: string,
  request: RequestValues,
): ResolvedToken[] | 'missing' | UnknownOutcome {
  const resolution = resolveTokens(parsePolicyString(policyValue), request);
  if (resolution.status === 'missing') return 'missing';
  if (resolution.status === 'unknown') return unknownVariable(resolution.variable);
  return resolution.tokens;
}

function stringOperator(options: {
  wildcards: boolean;
  ignoreCase: boolean;
  negated: boolean;
}): BaseOperator {
  return {
    negated: options.negated,
    test(requestValue, policyValue, request) {
      const tokens = resolveValue(policyValue, request);
      if (!Array.isArray(tokens)) return tokens;
      return tokensToRegex(tokens, options).test(requestValue);
    },
  };
}

/**
 * `ArnLike`/`ArnEquals` (the AWS docs describe them together): each of the six colon-delimited ARN
 * components is matched on its own with `*` and `?`, case-sensitively. A value that is not an ARN matches neither the
 * operator nor its negation.
 */
function arnTest(requestValue: string, policyValue: string, request: RequestValues): ValueTest | 'invalid' {
  const policySegments = splitArnSegments(parsePolicyString(policyValue));
  const requestParts = requestValue.split(':');
  if (policySegments.length < 5 || requestParts.length < 5) return 'invalid';
  const requestSegments = [...requestParts.slice(0, 5), requestParts.slice(5).join(':')];
  // A segment that cannot match decides, whatever variables other segments lack.
  let missing = false;
  let unknown: UnknownOutcome | undefined;
  for (let index = 0; index < 6; index++) {
    const resolved = resolveTokens(policySegments[index] ?? [], request);
    if (resolved.status === 'missing') missing = true;
    else if (resolved.status === 'unknown') {
      unknown ??= unknownVariable(resolved.variable);
    } else {
      const regex = tokensToRegex(resolved.tokens, { wildcards: true, ignoreCase: false });
      if (!regex.test(requestSegments[index] ?? '')) return false;
    }
  }
  if (missing) return 'missing';
  return unknown ?? true;
}

function arnOperator(negated: boolean): BaseOperator {
  return {
    negated,
    test(requestValue, policyValue, request) {
      const result = arnTest(requestValue, policyValue, request);
      // An invalid ARN satisfies neither ArnLike nor ArnNotLike: report it like a missing variable.
      return result === 'invalid' ? 'missing' : result;
    },
  };
}

const NUMBER = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)$/;

function parseNumber(value: string): number | undefined {
  return NUMBER.test(value.trim()) ? Number(value) : undefined;
}

function numericOperator(
  compare: (request: number, policy: number) => boolean,
  negated: boolean,
): BaseOperator {
  return {
    negated,
    test(requestValue, policyValue) {
      const requestNumber = parseNumber(requestValue);
      const policyNumber = parseNumber(policyValue);
      // Not a number on either side: the comparison holds neither way.
      if (requestNumber === undefined || policyNumber === undefined) return 'missing';
      return compare(requestNumber, policyNumber);
    },
  };
}

const EPOCH_SECONDS = /^-?\d+$/;
// W3C date/time profile of ISO 8601 (https://www.w3.org/TR/NOTE-datetime), which the IAM docs cite.
const W3C_DATE = /^\d{4}(?:-\d{2}(?:-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2}))?)?)?$/;

/** Epoch milliseconds of an IAM date: ISO 8601 text, or an integer of epoch seconds. */
export function parseIamDate(value: string): number | undefined {
  const trimmed = value.trim();
  if (EPOCH_SECONDS.test(trimmed)) return Number(trimmed) * 1000;
  if (!W3C_DATE.test(trimmed)) return undefined;
  const millis = Date.parse(trimmed);
  return Number.isNaN(millis) ? undefined : millis;
}

function dateOperator(compare: (request: number, policy: number) => boolean, negated: boolean): BaseOperator {
  return {
    negated,
    test(requestValue, policyValue) {
      const requestDate = parseIamDate(requestValue);
      const policyDate = parseIamDate(policyValue);
      if (requestDate === undefined || policyDate === undefined) return 'missing';
      return compare(requestDate, policyDate);
    },
  };
}

function ipOperator(negated: boolean): BaseOperator {
  return {
    negated,
    test(requestValue, policyValue) {
      const address = parseIpAddress(requestValue);
      const range = parseIpRange(policyValue);
      // Not an address or range: neither IpAddress nor NotIpAddress holds.
      if (!address || !range) return 'missing';
      return ipInRange(address, range);
    },
  };
}

const BOOLEAN = /^(?:true|false)$/i;

const boolOperator: BaseOperator = {
  negated: false,
  test(requestValue, policyValue, request) {
    const tokens = resolveValue(policyValue, request);
    if (!Array.isArray(tokens)) return tokens;
    const text = tokensToText(tokens);
    if (!BOOLEAN.test(text) || !BOOLEAN.test(requestValue)) return 'missing';
    return text.toLowerCase() === requestValue.toLowerCase();
  },
};

/** Operators by lower-cased name; operator names are matched case-insensitively, as iam-simulate does. */
const BASE_OPERATORS: Record<string, BaseOperator> = {
  stringequals: stringOperator({ wildcards: false, ignoreCase: false, negated: false }),
  stringnotequals: stringOperator({ wildcards: false, ignoreCase: false, negated: true }),
  stringequalsignorecase: stringOperator({ wildcards: false, ignoreCase: true, negated: false }),
  stringnotequalsignorecase: stringOperator({ wildcards: false, ignoreCase: true, negated: true }),
  stringlike: stringOperator({ wildcards: true, ignoreCase: false, negated: false }),
  stringnotlike: stringOperator({ wildcards: true, ignoreCase: false, negated: true }),
  arnequals: arnOperator(false),
  arnlike: arnOperator(false),
  arnnotequals: arnOperator(true),
  arnnotlike: arnOperator(true),
  bool: boolOperator,
  ipaddress: ipOperator(false),
  notipaddress: ipOperator(true),
  numericequals: numericOperator((r, p) => r === p, false),
  numericnotequals: numericOperator((r, p) => r === p, true),
  numericlessthan: numericOperator((r, p) => r < p, false),
  numericlessthanequals: numericOperator((r, p) => r <= p, false),
  numericgreaterthan: numericOperator((r, p) => r > p, false),
  numericgreaterthanequals: numericOperator((r, p) => r >= p, false),
  dateequals: dateOperator((r, p) => r === p, false),
  datenotequals: dateOperator((r, p) => r === p, true),
  datelessthan: dateOperator((r, p) => r < p, false),
  datelessthanequals: dateOperator((r, p) => r <= p, false),
  dategreaterthan: dateOperator((r, p) => r > p, false),
  dategreaterthanequals: dateOperator((r, p) => r >= p, false),
};

/** Whether this evaluator knows the operator (with any `ForAnyValue:`/`ForAllValues:` and `IfExists`). */
export function isSupportedOperator(operator: string): boolean {
  return parseOperator(operator) !== undefined;
}

interface ParsedOperator {
  setOperator: 'ForAllValues' | 'ForAnyValue' | undefined;
  ifExists: boolean;
  isNull: boolean;
  base: BaseOperator | undefined;
}

function parseOperator(operator: string): ParsedOperator | undefined {
  let name = operator;
  let setOperator: ParsedOperator['setOperator'];
  const colon = operator.indexOf(':');
  if (colon !== -1) {
    const prefix = operator.slice(0, colon).toLowerCase();
    if (prefix === 'forallvalues') setOperator = 'ForAllValues';
    else if (prefix === 'foranyvalue') setOperator = 'ForAnyValue';
    else return undefined;
    name = operator.slice(colon + 1);
  }
  let lower = name.toLowerCase();
  const ifExists = lower.endsWith('ifexists');
  if (ifExists) lower = lower.slice(0, -'ifexists'.length);
  if (lower === 'null') return { setOperator, ifExists, isNull: true, base: undefined };
  const base = BASE_OPERATORS[lower];
  if (!base) return undefined;
  return { setOperator, ifExists, isNull: false, base };
}

/** One request value against all policy values of a condition: OR for positive, NOR for negated operators. */
function requestValueSatisfies(
  base: BaseOperator,
  requestValue: string,
  policyValues: string[],
  request: RequestValues,
): Outcome {
  let unknown: UnknownOutcome | undefined;
  for (const policyValue of policyValues) {
    const result = base.test(requestValue, policyValue, request);
    if (typeof result === 'object') {
      unknown ??= result;
      continue;
    }
    if (base.negated) {
      // A value that cannot be compared (missing variable, not a number) makes the negation fail, too.
      if (result === true || result === 'missing') return false;
    } else if (result === true) {
      return true;
    }
  }
  if (unknown) return unknown;
  return base.negated;
}

function policyValuesOf(raw: unknown): string[] {
  return (Array.isArray(raw) ? raw : [raw]).map((value) => String(value));
}

/**
 * Evaluates one `operator: { key: values }` pair. Missing keys follow AWS: `…IfExists` and negated
 * operators hold, positive operators do not; `ForAllValues` holds, `ForAnyValue` does not. A
 * single-valued operator on a multi-valued key does not match (AWS: "Multivalued context keys require a
 * condition set operator").
 */
export function evaluateCondition(
  operator: string,
  key: string,
  rawValues: unknown,
  request: RequestValues,
): Outcome {
  const parsed = parseOperator(operator);
  if (!parsed) return { unknown: `unsupported condition operator ${operator}` };
  const policyValues = policyValuesOf(rawValues);
  const lookup = request.lookup(key);
  if (lookup.status === 'unknown') return unknownKey(key);
  if (parsed.isNull) {
    const goal = lookup.status === 'present' ? 'false' : 'true';
    return policyValues.some((value) => value.toLowerCase() === goal);
  }
  const base = parsed.base!;
  if (parsed.setOperator) {
    if (lookup.status === 'absent') return parsed.setOperator === 'ForAllValues';
    const requestValues = lookup.value.kind === 'single' ? [lookup.value.value] : lookup.value.values;
    let unknown: UnknownOutcome | undefined;
    for (const requestValue of requestValues) {
      const result = requestValueSatisfies(base, requestValue, policyValues, request);
      if (isUnknown(result)) unknown ??= result;
      else if (parsed.setOperator === 'ForAllValues' && !result) return false;
      else if (parsed.setOperator === 'ForAnyValue' && result) return true;
    }
    if (unknown) return unknown;
    return parsed.setOperator === 'ForAllValues';
  }
  if (lookup.status === 'absent') return parsed.ifExists || base.negated;
  if (lookup.value.kind === 'multi') return false;
  return requestValueSatisfies(base, lookup.value.value, policyValues, request);
}

/** All conditions of a statement, ANDed: one that fails decides; otherwise an undecided one leaves it open. */
export function evaluateConditionBlock(
  condition: Record<string, Record<string, unknown>> | undefined,
  request: RequestValues,
): Outcome {
  if (!condition) return true;
  let unknown: UnknownOutcome | undefined;
  for (const [operator, entries] of Object.entries(condition)) {
    if (typeof entries !== 'object' || entries === null || Array.isArray(entries)) {
      unknown ??= { unknown: `malformed condition block for ${operator}` };
      continue;
    }
    for (const [key, values] of Object.entries(entries)) {
      const result = evaluateCondition(operator, key, values, request);
      if (result === false) return false;
      if (isUnknown(result)) unknown ??= result;
    }
  }
  return unknown ?? true;
}
