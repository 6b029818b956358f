import type { PolicyDocument, PolicyStatement } from '../scenario/schema.js';

/**
 * A small IAM policy evaluator, enough for fake-aws to answer AccessDenied like AWS: Allow/Deny,
 * Action/NotAction (case-insensitive wildcards), Resource/NotResource, Principal for trust policies
 * and the common condition operators. The product's own evaluator lives in packages/domain.
 */

export type ContextValue = string | string[] | boolean | undefined;

export interface RequestContext {
  /** `service:Action`. */
  action: string;
  /** The resource ARN (or `*`). */
  resource: string;
  /** Condition keys (matched case-insensitively) and policy variables. */
  keys?: Record<string, ContextValue>;
  /** For trust policies: the calling principal. */
  principal?: { arn: string; accountId: string; roleArn?: string };
}

export type Decision = 'allow' | 'explicit-deny' | 'implicit-deny';

const regexCache = new Map<string, RegExp>();

/** Matches an IAM wildcard pattern (`*`, `?`) against a value. */
export function wildcardMatch(pattern: string, value: string, ignoreCase = false): boolean {
  if (pattern === '*') return true;
  if (!pattern.includes('*') && !pattern.includes('?')) {
    return ignoreCase ? pattern.toLowerCase() === value.toLowerCase() : pattern === value;
  }
  const cacheKey = (ignoreCase ? 'i:' : 's:') + pattern;
  let re = regexCache.get(cacheKey);
  if (!re) {
    const body = pattern
      .split('')
      .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
      .join('');
    re = new RegExp(`^${body}$`, ignoreCase ? 'is' : 's');
    if (regexCache.size > 10_000) regexCache.clear();
    regexCache.set(cacheKey, re);
  }
  return re.test(value);
}

const list = (v: string | string[] | undefined): string[] =>
  v === undefined ? [] : Array.isArray(v) ? v : [v];

function lookup(keys: Record<string, ContextValue> | undefined, name: string): ContextValue {
  if (!keys) return undefined;
  if (name in keys) return keys[name];
  const lower = name.toLowerCase();
  for (const [k, v] of Object.entries(keys)) if (k.toLowerCase() === lower) return v;
  return undefined;
}

/** Substitutes `${aws:username}`-style policy variables; undefined when a variable is missing. */
function substitute(pattern: string, ctx: RequestContext): string | undefined {
  if (!pattern.includes('${')) return pattern;
  let missing = false;
  const out = pattern.replace(/\$\{([^}]+)\}/g, (_, name: string) => {
    if (name === '*' || name === '?' || name === '$') return name;
    const v = lookup(ctx.keys, name);
    if (typeof v !== 'string') {
      missing = true;
      return '';
    }
    return v;
  });
  return missing ? undefined : out;
}

function matchesAny(patterns: string[], value: string, ctx: RequestContext, ignoreCase: boolean): boolean {
  return patterns.some((p) => {
    const s = substitute(p, ctx);
    return s !== undefined && wildcardMatch(s, value, ignoreCase);
  });
}

function principalMatches(principal: PolicyStatement['Principal'], ctx: RequestContext): boolean {
  if (principal === undefined) return true; // identity policies have no Principal
  const caller = ctx.principal;
  if (!caller) return false;
  if (principal === '*') return true;
  const entries = list(principal.AWS as string | string[] | undefined);
  return entries.some(
    (e) =>
      e === '*' ||
      e === caller.accountId ||
      e === `arn:aws:iam::${caller.accountId}:root` ||
      e === caller.arn ||
      (caller.roleArn !== undefined && e === caller.roleArn),
  );
}

function valuesOf(v: ContextValue): string[] | undefined {
  if (v === undefined) return undefined;
  if (typeof v === 'boolean') return [String(v)];
  return Array.isArray(v) ? v : [v];
}

function compare(op: string, policyValue: string, actual: string): boolean {
  switch (op) {
    case 'stringequals':
    case 'arnequals':
      return policyValue === actual;
    case 'stringequalsignorecase':
      return policyValue.toLowerCase() === actual.toLowerCase();
    case 'stringlike':
    case 'arnlike':
      return wildcardMatch(policyValue, actual);
    case 'bool':
      return policyValue.toLowerCase() === actual.toLowerCase();
    default:
      return false;
  }
}

const negated: Record<string, string> = {
  stringnotequals: 'stringequals',
  stringnotequalsignorecase: 'stringequalsignorecase',
  stringnotlike: 'stringlike',
  arnnotequals: 'arnequals',
  arnnotlike: 'arnlike',
};

/** Evaluates one condition operator block (`{"StringEquals": {"sts:ExternalId": "x"}}`). */
function conditionHolds(operator: string, block: Record<string, unknown>, ctx: RequestContext): boolean {
  let op = operator.toLowerCase();
  let setMode: 'any' | 'all' | undefined;
  if (op.startsWith('foranyvalue:')) {
    setMode = 'any';
    op = op.slice('foranyvalue:'.length);
  } else if (op.startsWith('forallvalues:')) {
    setMode = 'all';
    op = op.slice('forallvalues:'.length);
  }
  const ifExists = op.endsWith('ifexists');
  if (ifExists) op = op.slice(0, -'ifexists'.length);

  for (const [key, raw] of Object.entries(block)) {
    const policyValues = (Array.isArray(raw) ? raw : [raw]).map((v) => String(v));
    const actual = valuesOf(lookup(ctx.keys, key));
    if (op === 'null') {
      const wantsAbsent = policyValues.some((v) => v.toLowerCase() === 'true');
      if (wantsAbsent !== (actual === undefined)) return false;
      continue;
    }
    const positive = negated[op] ?? op;
    const isNegated = op in negated;
    if (actual === undefined) {
      if (ifExists || isNegated || setMode === 'all') continue;
      return false;
    }
    const valueMatches = (a: string) =>
      policyValues.some((p) => compare(positive, substitute(p, ctx) ?? '\u0000', a));
    let ok: boolean;
    if (setMode === 'all') ok = actual.every((a) => (isNegated ? !valueMatches(a) : valueMatches(a)));
    else if (isNegated) ok = !actual.some(valueMatches);
    else ok = actual.some(valueMatches);
    if (!ok) return false;
  }
  return true;
}

function statementApplies(st: PolicyStatement, ctx: RequestContext): boolean {
  if (!principalMatches(st.Principal, ctx)) return false;
  if (st.NotPrincipal !== undefined && principalMatches(st.NotPrincipal, ctx)) return false;
  if (st.Action !== undefined && !matchesAny(list(st.Action), ctx.action, ctx, true)) return false;
  if (st.NotAction !== undefined && matchesAny(list(st.NotAction), ctx.action, ctx, true)) return false;
  if (st.Resource !== undefined && !matchesAny(list(st.Resource), ctx.resource, ctx, false)) return false;
  if (st.NotResource !== undefined && matchesAny(list(st.NotResource), ctx.resource, ctx, false))
    return false;
  if (st.Condition) {
    for (const [op, block] of Object.entries(st.Condition)) if (!conditionHolds(op, block, ctx)) return false;
  }
  return true;
}

export function statementsOf(doc: PolicyDocument): PolicyStatement[] {
  return Array.isArray(doc.Statement) ? doc.Statement : [doc.Statement];
}

/** Explicit Deny wins; otherwise any Allow allows; otherwise implicitly denied. */
export function evaluatePolicies(docs: readonly PolicyDocument[], ctx: RequestContext): Decision {
  let allowed = false;
  for (const doc of docs) {
    for (const st of statementsOf(doc)) {
      if (!statementApplies(st, ctx)) continue;
      if (st.Effect === 'Deny') return 'explicit-deny';
      allowed = true;
    }
  }
  return allowed ? 'allow' : 'implicit-deny';
}
