import { z } from 'zod';
import { AwsError } from './errors.js';

/**
 * The per-operation fault knob: make one operation (optionally only for one resource) answer with an
 * error or a corrupted body, so tests can prove what the product does with each kind of bad answer.
 * Error kinds answer before the operation runs; body kinds corrupt the answer the operation produced.
 */

export const FAULT_KINDS = [
  'server-error',
  'throttle',
  'access-denied',
  'truncated',
  'wrong-type',
  'oversized',
  'nul',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

const ERROR_KINDS = new Set<FaultKind>(['server-error', 'throttle', 'access-denied']);

/** The size of an `oversized` string when a rule gives none: AWS's 1,000-character bounds, many times over. */
export const DEFAULT_OVERSIZED_LENGTH = 2_000_000;
const MAX_OVERSIZED_LENGTH = 64 * 1024 * 1024;

export const faultRuleSchema = z.strictObject({
  /** `service:Operation`, as the stats name it (`codecommit:ListRepositories`, `iam:GetAccountAuthorizationDetails`). */
  operation: z.string().regex(/^(codecommit|iam|sts):[A-Za-z]+$/, 'expected service:Operation'),
  kind: z.enum(FAULT_KINDS),
  /**
   * Only requests that name this resource (a repository name, user name, role name…: any request
   * member equal to it), or, for body kinds, answers holding it: then only the list elements that
   * hold it are corrupted.
   */
  resource: z.string().min(1).max(1024).optional(),
  /**
   * Body kinds: the member to corrupt, a dot path in the answer (`repositories`,
   * `repositories.*.repositoryName`, `UserDetailList.0.UserName`; `*` is every element). Default: the
   * first member (wrong-type) or the first string member (oversized, nul).
   */
  member: z
    .string()
    .min(1)
    .max(512)
    .regex(/^[^.]+(\.[^.]+)*$/, 'expected a dot path such as repositories.*.repositoryName')
    .optional(),
  /** wrong-type: the value put in place of the member (default `"none"`, or `42` where a string was). */
  value: z.json().optional(),
  /** oversized: the string's length in characters (default 2,000,000). */
  size: z.int().min(1).max(MAX_OVERSIZED_LENGTH).optional(),
  /** How many answers the rule affects before it removes itself; absent = until cleared. */
  times: z.int().min(1).optional(),
});
export type FaultRule = z.infer<typeof faultRuleSchema>;
export type FaultRuleInput = z.input<typeof faultRuleSchema>;

/** A rule as the control plane reports it: `remaining` answers left, null = until cleared. */
export interface ActiveFault extends FaultRule {
  remaining: number | null;
}

/** The JSON-safe form of a value taken from an answer (query answers hold Dates). */
type Answer = unknown;

function mentions(value: unknown, resource: string, depth = 0): boolean {
  if (typeof value === 'string') return value === resource;
  if (depth > 2 || value === null || typeof value !== 'object' || value instanceof Date) return false;
  const items = Array.isArray(value) ? value : Object.values(value);
  return items.some((item) => mentions(item, resource, depth + 1));
}

function deepMentions(value: unknown, resource: string): boolean {
  if (typeof value === 'string') return value === resource;
  if (value === null || typeof value !== 'object' || value instanceof Date) return false;
  const items = Array.isArray(value) ? value : Object.values(value);
  return items.some((item) => deepMentions(item, resource));
}

/** The containers and keys a dot path designates; `*` fans out over an array's elements. */
function locate(root: Answer, path: string[], resource: string | undefined): [object, string][] {
  let current: [object, string][] = [[{ root }, 'root']];
  for (const segment of path) {
    const next: [object, string][] = [];
    for (const [holder, key] of current) {
      const value = (holder as Record<string, unknown>)[key];
      if (value === null || typeof value !== 'object') continue;
      if (segment === '*' && Array.isArray(value)) {
        value.forEach((item, i) => {
          if (resource === undefined || deepMentions(item, resource)) next.push([value, String(i)]);
        });
      } else if (Object.hasOwn(value, segment)) next.push([value, segment]);
    }
    current = next;
  }
  return current;
}

/** The first member of the answer (depth first) satisfying `want`, as a path. */
function firstPath(value: Answer, want: (v: unknown) => boolean, path: string[] = []): string[] | undefined {
  if (path.length > 0 && want(value)) return path;
  if (value === null || typeof value !== 'object' || value instanceof Date) return undefined;
  const entries = Array.isArray(value) ? value.map((v, i) => [String(i), v] as const) : Object.entries(value);
  for (const [k, v] of entries) {
    const found = firstPath(v, want, [...path, k]);
    if (found) return found;
  }
  return undefined;
}

function corrupt(rule: FaultRule, value: unknown): unknown {
  switch (rule.kind) {
    case 'wrong-type':
      if (rule.value !== undefined) return rule.value;
      return typeof value === 'string' ? 42 : 'none';
    case 'oversized': {
      const base = typeof value === 'string' ? value : String(value ?? '');
      const size = rule.size ?? DEFAULT_OVERSIZED_LENGTH;
      return base.length >= size ? base.slice(0, size) : base + 'x'.repeat(size - base.length);
    }
    case 'nul': {
      const base = typeof value === 'string' ? value : String(value ?? '');
      const middle = Math.floor(base.length / 2);
      return `${base.slice(0, middle)}\u0000${base.slice(middle)}`;
    }
    default:
      return value;
  }
}

/**
 * What the schema cannot see in a rule: an operation fake-aws does not answer, or body-only options on
 * an error kind. Shared by the knob (a 400 / exit 2) and scenario files (an error at `$.faults[i]`).
 */
export function faultRuleProblem(
  rule: FaultRule,
  known: (operation: string) => boolean,
): { field: 'operation' | 'member'; message: string } | undefined {
  if (!known(rule.operation)) {
    return { field: 'operation', message: `fake-aws has no operation ${rule.operation}` };
  }
  if (ERROR_KINDS.has(rule.kind) && (rule.member !== undefined || rule.value !== undefined)) {
    return { field: 'member', message: `member/value apply to body kinds only, not ${rule.kind}` };
  }
  return undefined;
}

export class FaultPlan {
  private rules: ActiveFault[] = [];

  /** Validates and replaces every rule. */
  set(input: unknown, knownOperation: (operation: string) => boolean): ActiveFault[] {
    const rules = z.array(faultRuleSchema).max(1000).parse(input);
    this.rules = rules.map((rule, i) => this.activate(rule, knownOperation, i));
    return this.list();
  }

  /** Validates and appends one rule. */
  add(input: unknown, knownOperation: (operation: string) => boolean): ActiveFault[] {
    const rule = faultRuleSchema.parse(input);
    this.rules.push(this.activate(rule, knownOperation));
    return this.list();
  }

  clear(): void {
    this.rules = [];
  }

  list(): ActiveFault[] {
    return structuredClone(this.rules);
  }

  get empty(): boolean {
    return this.rules.length === 0;
  }

  private activate(rule: FaultRule, known: (operation: string) => boolean, index?: number): ActiveFault {
    const problem = faultRuleProblem(rule, known);
    if (problem) {
      const where = index === undefined ? '' : `[${index}]`;
      throw new z.ZodError([
        {
          code: 'custom',
          path: index === undefined ? [problem.field] : [index, problem.field],
          message: `fault${where}: ${problem.message}`,
          input: rule[problem.field],
        },
      ]);
    }
    return { ...rule, remaining: rule.times ?? null };
  }

  private take(rule: ActiveFault): void {
    if (rule.remaining === null) return;
    rule.remaining -= 1;
    if (rule.remaining <= 0) this.rules = this.rules.filter((r) => r !== rule);
  }

  /**
   * Throws the error an error-kind rule prescribes for this request, if any. `request` is the parsed
   * input (JSON members or query parameters as an object).
   */
  beforeRun(operation: string, request: unknown, json: boolean): FaultKind | undefined {
    const rule = this.rules.find(
      (r) =>
        r.operation === operation &&
        ERROR_KINDS.has(r.kind) &&
        (r.resource === undefined || mentions(request, r.resource)),
    );
    if (!rule) return undefined;
    this.take(rule);
    switch (rule.kind) {
      case 'server-error':
        throw new AwsError('InternalFailure', 'We encountered an internal error. Please try again.', 500);
      case 'throttle':
        throw json
          ? new AwsError('ThrottlingException', 'Rate exceeded', 400)
          : new AwsError('Throttling', 'Rate exceeded', 400);
      default: {
        const message = `not authorized to perform: ${operation} (fake-aws fault knob)`;
        throw json
          ? new AwsError('AccessDeniedException', message, 400)
          : new AwsError('AccessDenied', message, 403);
      }
    }
  }

  /**
   * The body-kind rule for this answer, if any: `corrupt` changes the answer object (a copy);
   * `truncate` says the serialized body is to be cut short.
   */
  afterRun(
    operation: string,
    request: unknown,
    answer: () => Answer,
  ): { kind: FaultKind; answer?: Answer; truncate: boolean } | undefined {
    const candidates = this.rules.filter((r) => r.operation === operation && !ERROR_KINDS.has(r.kind));
    if (candidates.length === 0) return undefined;
    let copy: Answer | undefined;
    for (const rule of candidates) {
      if (rule.kind === 'truncated') {
        if (rule.resource !== undefined && !mentions(request, rule.resource)) {
          copy ??= answer();
          if (!deepMentions(copy, rule.resource)) continue;
        }
        this.take(rule);
        return { kind: rule.kind, truncate: true };
      }
      copy ??= answer();
      const named = rule.resource === undefined || mentions(request, rule.resource);
      if (!named && !deepMentions(copy, rule.resource!)) continue;
      const path =
        rule.member?.split('.') ??
        firstPath(copy, rule.kind === 'wrong-type' ? () => true : (v) => typeof v === 'string', []);
      if (!path) continue;
      // With a resource, only the list elements that hold it; an answer about the named resource whose
      // elements do not repeat its name (a branch list of that repository) is corrupted whole.
      let targets = rule.resource === undefined ? [] : locate(copy, path, rule.resource);
      if (targets.length === 0 && named) targets = locate(copy, path, undefined);
      if (targets.length === 0) continue;
      for (const [holder, key] of targets) {
        const h = holder as Record<string, unknown>;
        h[key] = corrupt(rule, h[key]);
      }
      this.take(rule);
      return { kind: rule.kind, answer: copy, truncate: false };
    }
    return undefined;
  }
}

/** Cuts a serialized body short: half of it, at least one character gone. */
export function truncateBody(body: string): string {
  return body.slice(0, Math.max(0, Math.min(body.length - 1, Math.floor(body.length / 2))));
}

/**
 * Parses the CLI's `--fault` spec: `OPERATION=KIND[,key=value…]` with keys resource, member, value
 * (JSON, or a bare string), size, times. E.g. `codecommit:ListRepositories=wrong-type,member=repositories`.
 */
export function parseFaultSpec(spec: string): FaultRuleInput {
  const [head = '', ...options] = spec.split(',');
  const eq = head.indexOf('=');
  if (eq <= 0) throw new Error(`--fault: expected OPERATION=KIND[,key=value…], got "${spec}"`);
  const rule: Record<string, unknown> = { operation: head.slice(0, eq), kind: head.slice(eq + 1) };
  for (const option of options) {
    const i = option.indexOf('=');
    const key = i > 0 ? option.slice(0, i) : option;
    const raw = i > 0 ? option.slice(i + 1) : '';
    if (key === 'size' || key === 'times') {
      if (!/^\d+$/.test(raw)) throw new Error(`--fault: ${key} must be a positive integer, got "${raw}"`);
      rule[key] = Number(raw);
    } else if (key === 'value') {
      try {
        rule.value = JSON.parse(raw);
      } catch {
        rule.value = raw;
      }
    } else if (key === 'resource' || key === 'member') rule[key] = raw;
    else throw new Error(`--fault: unknown option "${key}" (expected resource, member, value, size, times)`);
  }
  return rule as FaultRuleInput;
}
