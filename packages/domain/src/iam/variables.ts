/**
 * Policy strings: wildcards (`*`, `?`), policy variables (`${aws:username}`, `${aws:PrincipalTag/team,
 * 'default'}`) and the escapes `${*}`, `${?}`, `${$}`, parsed once and resolved against a request.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html
 */
import type { RequestValues } from './request-context.js';

export type PolicyStringToken =
  | { kind: 'literal'; text: string }
  /** `*`: any run of characters (or a literal `*` where the operator takes no wildcards). */
  | { kind: 'any' }
  /** `?`: exactly one character (or a literal `?`). */
  | { kind: 'one' }
  | { kind: 'variable'; name: string; defaultValue?: string };

/** A policy string after variables are replaced: literals and wildcards only. */
export type ResolvedToken = Exclude<PolicyStringToken, { kind: 'variable' }>;

export type Resolution =
  | { status: 'resolved'; tokens: ResolvedToken[] }
  /** A variable has no value and no default: per AWS, the value never matches. */
  | { status: 'missing'; variable: string }
  /** A variable names a key whose presence the request leaves open (analysis mode). */
  | { status: 'unknown'; variable: string };

// `${*}`, `${?}`, `${$}` stand for the literal character, so policies can say "a real asterisk".
const ESCAPES: Record<string, string> = { '*': '*', '?': '?', $: '$' };
// `name` or `name, 'default'`, as the AWS documentation writes it.
const VARIABLE_BODY = /^\s*([^,]+?)\s*(?:,\s*'([^']*)'\s*)?$/;

const parseCache = new Map<string, PolicyStringToken[]>();

/** Splits a policy string into literal, wildcard and variable tokens (cached: policies repeat). */
export function parsePolicyString(value: string): PolicyStringToken[] {
  const cached = parseCache.get(value);
  if (cached) return cached;
  const tokens: PolicyStringToken[] = [];
  let literal = '';
  const flush = () => {
    if (literal) tokens.push({ kind: 'literal', text: literal });
    literal = '';
  };
  let index = 0;
  while (index < value.length) {
    const character = value[index]!;
    if (character === '*' || character === '?') {
      flush();
      tokens.push({ kind: character === '*' ? 'any' : 'one' });
      index++;
      continue;
    }
    if (character === '$' && value[index + 1] === '{') {
      const end = value.indexOf('}', index + 2);
      if (end !== -1) {
        const body = value.slice(index + 2, end);
        const escaped = ESCAPES[body];
        if (escaped !== undefined) {
          literal += escaped;
        } else {
          const match = VARIABLE_BODY.exec(body);
          flush();
          if (match?.[1]) {
            const token: PolicyStringToken = { kind: 'variable', name: match[1] };
            if (match[2] !== undefined) token.defaultValue = match[2];
            tokens.push(token);
          } else {
            // `${}` or a malformed body: a variable that can never resolve.
            tokens.push({ kind: 'variable', name: body });
          }
        }
        index = end + 1;
        continue;
      }
    }
    literal += character;
    index++;
  }
  flush();
  if (parseCache.size > 10_000) parseCache.clear();
  parseCache.set(value, tokens);
  return tokens;
}

export function hasVariables(tokens: readonly PolicyStringToken[]): boolean {
  return tokens.some((token) => token.kind === 'variable');
}

/**
 * Replaces each variable by the request's value. A substituted value is literal text: a `*` in a user
 * name does not become a wildcard. Only single-valued keys can be variables (AWS: "You can't use
 * multivalued context keys as policy variables"), so a multi-valued one counts as missing.
 */
export function resolveTokens(tokens: readonly PolicyStringToken[], request: RequestValues): Resolution {
  if (!hasVariables(tokens)) return { status: 'resolved', tokens: tokens as ResolvedToken[] };
  const resolved: ResolvedToken[] = [];
  for (const token of tokens) {
    if (token.kind !== 'variable') {
      resolved.push(token);
      continue;
    }
    const lookup = request.lookup(token.name);
    if (lookup.status === 'present' && lookup.value.kind === 'single') {
      resolved.push({ kind: 'literal', text: lookup.value.value });
    } else if (lookup.status === 'unknown') {
      return { status: 'unknown', variable: token.name };
    } else if (token.defaultValue !== undefined) {
      resolved.push({ kind: 'literal', text: token.defaultValue });
    } else {
      return { status: 'missing', variable: token.name };
    }
  }
  return { status: 'resolved', tokens: resolved };
}

/** The text of resolved tokens, wildcards written as themselves. */
export function tokensToText(tokens: readonly ResolvedToken[]): string {
  return tokens
    .map((token) => (token.kind === 'literal' ? token.text : token.kind === 'any' ? '*' : '?'))
    .join('');
}

/**
 * Splits an ARN pattern into its six segments at the colons written in it (not those inside a
 * variable's name, such as `${aws:username}`): variables are resolved after the split.
 */
export function splitArnSegments(tokens: readonly PolicyStringToken[]): PolicyStringToken[][] {
  const segments: PolicyStringToken[][] = [[]];
  for (const token of tokens) {
    const current = () => segments[segments.length - 1]!;
    if (token.kind !== 'literal' || segments.length === 6) {
      current().push(token);
      continue;
    }
    const parts = token.text.split(':');
    parts.forEach((part, index) => {
      if (index > 0) {
        // The sixth segment (the resource) keeps any further colons: `arn:…:function:name:alias`.
        if (segments.length === 6) current().push({ kind: 'literal', text: ':' });
        else segments.push([]);
      }
      if (part) current().push({ kind: 'literal', text: part });
    });
  }
  return segments;
}

export interface PatternOptions {
  /** `*` and `?` are wildcards (`StringLike`, `ArnLike`, Resource); otherwise literal (`StringEquals`). */
  wildcards: boolean;
  ignoreCase: boolean;
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/** Whole-string matchers per token list (parsed lists are cached, so variable-free strings hit this). */
const compiledByTokens = new WeakMap<readonly ResolvedToken[], Map<string, RegExp>>();

/** A whole-string matcher for resolved tokens. */
export function tokensToRegex(tokens: readonly ResolvedToken[], options: PatternOptions): RegExp {
  const optionsKey = `${options.wildcards ? 'w' : ''}${options.ignoreCase ? 'i' : ''}`;
  let byOptions = compiledByTokens.get(tokens);
  const cached = byOptions?.get(optionsKey);
  if (cached) return cached;
  let source = '';
  for (const token of tokens) {
    if (token.kind === 'literal') source += escapeRegex(token.text);
    else if (!options.wildcards) source += token.kind === 'any' ? '\\*' : '\\?';
    else source += token.kind === 'any' ? '.*' : '.';
  }
  const regex = new RegExp(`^${source}$`, options.ignoreCase ? 'isu' : 'su');
  if (!byOptions) {
    byOptions = new Map();
    compiledByTokens.set(tokens, byOptions);
  }
  byOptions.set(optionsKey, regex);
  return regex;
}
