// biome-ignore-all lint/suspicious/noTemplateCurlyInString: IAM policy variables such as ${aws:username} are literal policy text here.
/**
 * Differential test: random (seeded) policies and requests, evaluated by this evaluator and by
 * @cloud-copilot/iam-simulate (AGPL, a devDependency used only here as an oracle). Decisions must be
 * identical, except for the case classes in KNOWN_DIFFERENCES: each is selected by a predicate, and
 * instead of being skipped, the case is rewritten into an equivalent one outside the class, which the
 * oracle must then decide as this evaluator decided the original.
 *
 * `DIFFERENTIAL_DUMP=/tmp/mismatches.json` writes the mismatching cases, for debugging.
 */
import { writeFileSync } from 'node:fs';
import { runUnsafeSimulation } from '@cloud-copilot/iam-simulate';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { evaluatePolicies, evaluatePrincipal, principalRequestContext } from './evaluate.js';
import { actionMatchesPattern, resourceMatchesPattern } from './matching.js';
import { buildRequestValues } from './request-context.js';
import type { Decision, NamedPolicy, PolicyStatement, PrincipalPolicies, RequestContext } from './types.js';

// Fixed, so the run is deterministic; `DIFFERENTIAL_SEED` / `DIFFERENTIAL_CASES` explore other cases.
const CASE_COUNT = Number(process.env['DIFFERENTIAL_CASES'] ?? 3000);
const SEED = Number(process.env['DIFFERENTIAL_SEED'] ?? 0x5eed_2026);
const ACCOUNT = '111111111111';
const PRINCIPAL_ARN = `arn:aws:iam::${ACCOUNT}:user/alice`;

/**
 * The few draws the case generator makes, from fast-check's seeded source (so a mismatch shrinks to a
 * smallest case). Unbiased: fast-check's default bias towards bounds would skew the case mix the
 * assertions below rely on (every decision and every known difference well represented).
 */
const uniformInt = (min: number, max: number) => fc.noBias(fc.integer({ min, max }));
function randomFrom(g: fc.GeneratorValue) {
  return {
    chance: (probability: number) => g(uniformInt, 0, 999_999) < probability * 1_000_000,
    pick: <T>(items: readonly T[]): T => items[g(uniformInt, 0, items.length - 1)]!,
    int: (min: number, max: number) => g(uniformInt, min, max),
  };
}
type Random = ReturnType<typeof randomFrom>;

const REQUEST_ACTIONS = [
  'codecommit:GitPush',
  'codecommit:GitPull',
  'codecommit:GetRepository',
  'codecommit:PutFile',
  'codecommit:DeleteBranch',
  'codecommit:MergeBranchesBySquash',
  'codecommit:ListBranches',
  'codecommit:CreatePullRequest',
  'sqs:SendMessage',
];

const ACTION_PATTERNS = [
  'codecommit:GitPush',
  'codecommit:gitpush',
  'CodeCommit:GitPull',
  'codecommit:*',
  'codecommit:Get*',
  'codecommit:Git*',
  'codecommit:Git??sh',
  'codecommit:Put?ile',
  'codecommit:Merge*',
  'codecommit:*Branch*',
  'codecommit:List*',
  'codecommit:Create*',
  'sqs:*',
  'sqs:Send*',
  '*',
];

const REQUEST_RESOURCES = [
  `arn:aws:codecommit:us-east-1:${ACCOUNT}:MyRepo`,
  `arn:aws:codecommit:us-east-1:${ACCOUNT}:myrepo`,
  `arn:aws:codecommit:us-east-1:${ACCOUNT}:alice`,
  `arn:aws:codecommit:us-east-1:${ACCOUNT}:alice-tools`,
  `arn:aws:codecommit:eu-west-1:${ACCOUNT}:MyRepo`,
  `arn:aws:codecommit:us-east-1:222222222222:MyRepo`,
  `arn:aws:codecommit:us-east-1:${ACCOUNT}:team/alice`,
  `arn:aws:codecommit:us-east-1:${ACCOUNT}:team/alpha`,
  `arn:aws:codecommit:us-east-1:${ACCOUNT}:team/alice-x`,
  `arn:aws:sqs:us-east-1:${ACCOUNT}:queue1`,
];

const RESOURCE_PATTERNS = [
  '*',
  `arn:aws:codecommit:us-east-1:${ACCOUNT}:MyRepo`,
  `arn:aws:codecommit:us-east-1:${ACCOUNT}:MYREPO`,
  `arn:aws:CodeCommit:US-EAST-1:${ACCOUNT}:MyRepo`,
  `arn:aws:codecommit:us-east-1:${ACCOUNT}:*`,
  `arn:aws:codecommit:*:${ACCOUNT}:My*`,
  'arn:aws:codecommit:us-east-?:*:*',
  `arn:aws:codecommit:us-east-1:${ACCOUNT}:my?epo`,
  `arn:aws:codecommit:us-east-1:${ACCOUNT}:alice*`,
  `arn:aws:codecommit:us-east-1:${ACCOUNT}:*/alice`,
  `arn:aws:codecommit:us-east-1:${ACCOUNT}:team/*`,
  `arn:aws:codecommit:us-east-1:${ACCOUNT}:team/al???`,
  `arn:aws:codecommit:us-east-1:${ACCOUNT}:te*/alice`,
  'arn:aws:codecommit:*',
  'arn:aws:sqs:*:*:queue?',
  `arn:aws:codecommit:us-east-1:${ACCOUNT}:team/\${aws:username}`,
  `arn:aws:codecommit:us-east-1:${ACCOUNT}:team/\${aws:username}-*`,
  `arn:aws:codecommit:us-east-1:${ACCOUNT}:team/\${aws:PrincipalTag/team}`,
  `arn:aws:codecommit:us-east-1:${ACCOUNT}:team/\${aws:PrincipalTag/missing}`,
  `arn:aws:codecommit:us-east-1:${ACCOUNT}:team/\${aws:PrincipalTag/missing, 'alice'}`,
];

/** Patterns in a known-difference class: drawn rarely, so most cases are compared. */
const RARE_RESOURCE_PATTERNS = [
  'arn:aws:codecommit:us-east-1',
  'arn:aws:sqs',
  `arn:aws:codecommit:us-east-1:${ACCOUNT}:\${aws:username}`,
  'arn:aws:codecommit:us-east-1:${aws:PrincipalAccount}:*',
];

function randomResourcePatterns(random: Random, max: number): string | string[] {
  const patterns = asList(someOf(random, RESOURCE_PATTERNS, max));
  if (random.chance(0.05)) patterns.push(random.pick(RARE_RESOURCE_PATTERNS));
  return patterns.length === 1 ? patterns[0]! : patterns;
}

type KeyKind = 'string' | 'multi' | 'bool' | 'numeric' | 'date' | 'epoch' | 'arn' | 'ip';

/** Context keys the generator uses: the key's kind and the values a request may carry. */
const KEYS: { key: string; spellings: string[]; kind: KeyKind; values: (string | string[])[] }[] = [
  {
    key: 'aws:username',
    spellings: ['aws:username', 'AWS:UserName'],
    kind: 'string',
    values: ['alice', 'bob', 'Alice'],
  },
  {
    key: 'aws:PrincipalTag/team',
    spellings: ['aws:PrincipalTag/team', 'aws:principaltag/TEAM'],
    kind: 'string',
    values: ['alpha', 'beta', 'alice'],
  },
  {
    key: 'codecommit:References',
    spellings: ['codecommit:References', 'CodeCommit:references'],
    kind: 'string',
    values: ['refs/heads/main', 'refs/heads/dev', 'refs/heads/Main'],
  },
  {
    key: 'aws:PrincipalAccount',
    spellings: ['aws:PrincipalAccount'],
    kind: 'string',
    values: [ACCOUNT, '222222222222'],
  },
  {
    key: 'aws:TagKeys',
    spellings: ['aws:TagKeys', 'aws:tagkeys'],
    kind: 'multi',
    values: [['env', 'team'], ['env'], [], ['owner'], ['Env', 'cost']],
  },
  { key: 'aws:SecureTransport', spellings: ['aws:SecureTransport'], kind: 'bool', values: ['true', 'false'] },
  {
    key: 'aws:MultiFactorAuthPresent',
    spellings: ['aws:MultiFactorAuthPresent'],
    kind: 'bool',
    values: ['true', 'false'],
  },
  {
    key: 'aws:MultiFactorAuthAge',
    spellings: ['aws:MultiFactorAuthAge'],
    kind: 'numeric',
    values: ['30', '3600', '0.5', '86400'],
  },
  {
    key: 'aws:CurrentTime',
    spellings: ['aws:CurrentTime'],
    kind: 'date',
    values: ['2026-01-01T00:00:00Z', '2026-06-15T12:30:00Z', '2025-12-31T23:59:59Z', '1767225600'],
  },
  { key: 'aws:EpochTime', spellings: ['aws:EpochTime'], kind: 'epoch', values: ['1767225600', '1700000000'] },
  {
    key: 'aws:SourceIp',
    spellings: ['aws:SourceIp', 'aws:sourceip'],
    kind: 'ip',
    values: ['10.1.2.3', '192.168.1.7', '2001:db8::5', '198.51.100.1'],
  },
  {
    key: 'aws:PrincipalArn',
    spellings: ['aws:PrincipalArn', 'aws:principalarn'],
    kind: 'arn',
    values: [PRINCIPAL_ARN, 'arn:aws:iam::222222222222:role/dev', `arn:aws:iam::${ACCOUNT}:role/admin/ops`],
  },
];

const STRING_VALUES = [
  'alice',
  'ALICE',
  'al?ce',
  'ali*',
  'alpha',
  'refs/heads/main',
  'refs/heads/*',
  'refs/heads/ma??',
  ACCOUNT,
  '${aws:username}',
  'x${aws:username}',
  '${aws:PrincipalTag/team}',
  '${aws:PrincipalTag/missing}',
  "${aws:PrincipalTag/missing, 'alice'}",
  '${aws:TagKeys}',
  '${*}',
  'ali${?}e',
  '${$}x',
  'env',
  'team',
  'e*',
];
const BOOL_VALUES: unknown[] = ['true', 'false', 'TRUE', true, false];
const NUMERIC_VALUES: unknown[] = ['30', '100', 3600, '0.5', '86400'];
const DATE_VALUES = ['2026-01-01T00:00:00Z', '2026-03-01', '2025-12-31T23:59:59Z', '1767225600'];
const EPOCH_VALUES = ['1767225600', '1700000000', '1800000000'];
const ARN_VALUES = [
  PRINCIPAL_ARN,
  `arn:aws:iam::${ACCOUNT}:user/*`,
  'arn:aws:iam::*:role/dev',
  'arn:aws:iam::*:role/*',
  `arn:aws:iam::${ACCOUNT}:user/\${aws:username}`,
  'arn:aws:iam::?22222222222:role/dev',
  'not-an-arn',
];

const STRING_OPERATORS = [
  'StringEquals',
  'StringNotEquals',
  'StringEqualsIgnoreCase',
  'StringNotEqualsIgnoreCase',
  'StringLike',
  'StringNotLike',
];
const NUMERIC_OPERATORS = [
  'NumericEquals',
  'NumericNotEquals',
  'NumericLessThan',
  'NumericLessThanEquals',
  'NumericGreaterThan',
  'NumericGreaterThanEquals',
];
const DATE_OPERATORS = [
  'DateEquals',
  'DateNotEquals',
  'DateLessThan',
  'DateLessThanEquals',
  'DateGreaterThan',
  'DateGreaterThanEquals',
];
const ARN_OPERATORS = ['ArnEquals', 'ArnLike', 'ArnNotEquals', 'ArnNotLike'];
const IP_VALUES = [
  '10.0.0.0/8',
  '192.168.0.0/16',
  '192.168.1.7',
  '2001:db8::/32',
  '203.0.113.0/24',
  '2001:db8::5',
];

function someOf<T>(random: Random, items: readonly T[], max: number): T | T[] {
  const count = random.int(1, max);
  const chosen = Array.from({ length: count }, () => random.pick(items));
  return count === 1 && random.chance(0.5) ? chosen[0]! : chosen;
}

function randomCondition(random: Random): Record<string, Record<string, unknown>> {
  const condition: Record<string, Record<string, unknown>> = {};
  const count = random.int(1, 2);
  for (let index = 0; index < count; index++) {
    const key = random.pick(KEYS);
    const spelling = random.pick(key.spellings);
    let operator: string;
    let values: unknown;
    if (random.chance(0.12)) {
      operator = 'Null';
      values = random.pick(['true', 'false', true, false]);
    } else {
      switch (key.kind) {
        case 'string':
        case 'multi':
          operator = random.pick(STRING_OPERATORS);
          values = someOf(random, STRING_VALUES, 3);
          break;
        case 'bool':
          operator = 'Bool';
          values = someOf(random, BOOL_VALUES, 2);
          break;
        case 'numeric':
          operator = random.pick(NUMERIC_OPERATORS);
          values = someOf(random, NUMERIC_VALUES, 2);
          break;
        case 'date':
          operator = random.pick(DATE_OPERATORS);
          values = someOf(random, DATE_VALUES, 2);
          break;
        case 'epoch':
          operator = random.pick(DATE_OPERATORS);
          values = someOf(random, EPOCH_VALUES, 2);
          break;
        case 'ip':
          operator = random.pick(['IpAddress', 'NotIpAddress']);
          values = someOf(random, IP_VALUES, 2);
          break;
        case 'arn':
          operator = random.pick(ARN_OPERATORS);
          values = random.chance(0.05)
            ? 'arn:aws:iam::${aws:PrincipalAccount}:role/*'
            : someOf(random, ARN_VALUES, 2);
          break;
      }
      if (random.chance(0.3)) operator += 'IfExists';
      // Set operators belong on multi-valued keys; sometimes put them on single-valued keys, too.
      if (key.kind === 'multi' ? random.chance(0.8) : random.chance(0.1)) {
        operator = `${random.pick(['ForAnyValue', 'ForAllValues'])}:${operator}`;
      }
    }
    condition[operator] = { ...condition[operator], [spelling]: values };
  }
  return condition;
}

function randomStatement(random: Random): PolicyStatement {
  const statement: PolicyStatement = { Effect: random.chance(0.6) ? 'Allow' : 'Deny' };
  if (random.chance(0.2)) statement.NotAction = someOf(random, ACTION_PATTERNS, 2);
  else statement.Action = someOf(random, ACTION_PATTERNS, 3);
  if (random.chance(0.2)) statement.NotResource = randomResourcePatterns(random, 2);
  else statement.Resource = randomResourcePatterns(random, 3);
  if (random.chance(0.55)) statement.Condition = randomCondition(random);
  if (random.chance(0.3)) statement.Sid = `S${random.int(0, 99)}`;
  return statement;
}

function randomPolicy(random: Random, name: string): NamedPolicy {
  const statements = Array.from({ length: random.int(1, 3) }, () => randomStatement(random));
  return {
    source: { kind: 'managed', policyArn: `arn:aws:iam::${ACCOUNT}:policy/${name}` },
    document: {
      Version: '2012-10-17',
      Statement: statements.length === 1 && random.chance(0.3) ? statements[0]! : statements,
    },
  };
}

interface GeneratedCase {
  id: number;
  policies: NamedPolicy[];
  boundary: NamedPolicy | undefined;
  request: RequestContext;
}

function generateCase(random: Random, id: number): GeneratedCase {
  const policies = Array.from({ length: random.int(1, 2) }, (_, index) => randomPolicy(random, `p${index}`));
  const boundary = random.chance(0.2) ? randomPolicy(random, 'boundary') : undefined;
  const context: Record<string, string | string[]> = {};
  for (const key of KEYS) {
    if (random.chance(0.55)) context[random.pick(key.spellings)] = random.pick(key.values);
  }
  return {
    id,
    policies,
    boundary,
    request: { action: random.pick(REQUEST_ACTIONS), resource: random.pick(REQUEST_RESOURCES), context },
  };
}

// ---------------------------------------------------------------------------------------------------
// Known differences: where this evaluator deliberately differs from iam-simulate 0.1.173, and why.

function statementsOf(policy: NamedPolicy): PolicyStatement[] {
  const statements = policy.document.Statement;
  return Array.isArray(statements) ? statements : [statements];
}

function asList(value: string | string[] | undefined): string[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

/** Statements (all policies, boundary included) whose Action/NotAction covers the request's action. */
function statementsForAction(testCase: GeneratedCase): PolicyStatement[] {
  const all = [...testCase.policies, ...(testCase.boundary ? [testCase.boundary] : [])].flatMap(statementsOf);
  return all.filter((statement) => {
    if (statement.Action)
      return asList(statement.Action).some((p) => actionMatchesPattern(p, testCase.request.action));
    return !asList(statement.NotAction).some((p) => actionMatchesPattern(p, testCase.request.action));
  });
}

/**
 * True when a `${…:…}` variable sits where iam-simulate splits the raw ARN text at colons: in the first
 * five segments, or in the resource segment before its first `/`.
 */
function hasColonVariableInArnPrefix(pattern: string): boolean {
  const variable = /\$\{[^}]*:[^}]*\}/.exec(pattern);
  if (!variable) return false;
  let colons = 0;
  let resourceStart = -1;
  for (let index = 0; index < pattern.length; index++) {
    if (pattern[index] === ':' && ++colons === 5) {
      resourceStart = index + 1;
      break;
    }
  }
  if (resourceStart === -1 || variable.index < resourceStart) return true;
  const slash = pattern.indexOf('/', resourceStart);
  return slash === -1 || variable.index < slash;
}

const NO_VALUES = buildRequestValues({ action: '', resource: '' });

function conditionEntries(statement: PolicyStatement): { operator: string; key: string; values: unknown }[] {
  return Object.entries(statement.Condition ?? {}).flatMap(([operator, entries]) =>
    Object.entries(entries).map(([key, values]) => ({ operator, key, values })),
  );
}

function requestValue(testCase: GeneratedCase, key: string): string | string[] | undefined {
  const entry = Object.entries(testCase.request.context ?? {}).find(
    ([name]) => name.toLowerCase() === key.toLowerCase(),
  );
  return entry?.[1] as string | string[] | undefined;
}

/** Applies `rewrite` to every statement of the case (policies and boundary), on a copy. */
function rewriteStatements(
  testCase: GeneratedCase,
  rewrite: (statement: PolicyStatement) => PolicyStatement | undefined,
): GeneratedCase | undefined {
  let failed = false;
  const rewritePolicy = (policy: NamedPolicy): NamedPolicy => {
    const statements = statementsOf(policy).map((statement) => {
      const rewritten = rewrite(structuredClone(statement));
      if (!rewritten) failed = true;
      return rewritten ?? statement;
    });
    return { ...policy, document: { ...policy.document, Statement: statements } };
  };
  const rewritten: GeneratedCase = {
    ...testCase,
    policies: testCase.policies.map(rewritePolicy),
    boundary: testCase.boundary ? rewritePolicy(testCase.boundary) : undefined,
  };
  return failed ? undefined : rewritten;
}

/** Replaces `${…:…}` variables by the request's value (or their default); undefined when one has none. */
function substituteColonVariables(text: string, request: RequestContext): string | undefined {
  let unresolved = false;
  const result = text.replace(/\$\{([^}]*:[^}]*)\}/g, (_, body: string) => {
    const [name, quotedDefault] = body.split(/\s*,\s*/);
    const value = Object.entries(request.context ?? {}).find(
      ([key]) => key.toLowerCase() === name!.trim().toLowerCase(),
    )?.[1];
    if (typeof value === 'string') return value;
    if (quotedDefault) return quotedDefault.replace(/^'|'$/g, '');
    unresolved = true;
    return '';
  });
  return unresolved ? undefined : result;
}

function mapValues(
  values: string | string[] | undefined,
  map: (value: string) => string | undefined,
): string | string[] | undefined | null {
  if (values === undefined) return undefined;
  const mapped = asList(values).map(map);
  if (mapped.some((value) => value === undefined)) return null;
  return Array.isArray(values) ? (mapped as string[]) : mapped[0];
}

function epochToIso(value: string): string {
  return /^-?\d+$/.test(value) ? new Date(Number(value) * 1000).toISOString() : value;
}

/**
 * Where this evaluator deliberately differs from iam-simulate 0.1.173. Each class has a predicate that
 * selects the cases it could affect, and a rewrite into an equivalent case outside the class: the oracle
 * must decide the rewritten case as this evaluator decided the original, which shows the class is the
 * only difference.
 */
const KNOWN_DIFFERENCES: {
  id: string;
  reason: string;
  applies: (testCase: GeneratedCase) => boolean;
  rewrite: (testCase: GeneratedCase, request: RequestContext) => GeneratedCase | undefined;
}[] = [
  {
    id: 'colon-variable-in-resource-arn',
    reason:
      'iam-simulate splits a Resource ARN at every colon before resolving variables, so `${aws:username}` as ' +
      'the whole resource segment, or `${aws:PrincipalAccount}` as the account, never matches. AWS resolves ' +
      'variables in Resource (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html); ' +
      'this evaluator splits only at colons written in the policy.',
    applies: (testCase) =>
      statementsForAction(testCase).some((statement) =>
        [...asList(statement.Resource), ...asList(statement.NotResource)].some(hasColonVariableInArnPrefix),
      ),
    rewrite: (testCase, request) =>
      rewriteStatements(testCase, (statement) => {
        const substitute = (pattern: string) =>
          hasColonVariableInArnPrefix(pattern) ? substituteColonVariables(pattern, request) : pattern;
        const resources = mapValues(statement.Resource, substitute);
        const notResources = mapValues(statement.NotResource, substitute);
        if (resources === null || notResources === null) return undefined;
        if (resources !== undefined) statement.Resource = resources;
        if (notResources !== undefined) statement.NotResource = notResources;
        return statement;
      }),
  },
  {
    id: 'colon-variable-in-arn-condition',
    reason:
      'Same split in iam-simulate for ArnLike/ArnEquals values such as `arn:aws:iam::${aws:PrincipalAccount}:role/*`.',
    applies: (testCase) =>
      statementsForAction(testCase).some((statement) =>
        conditionEntries(statement).some(
          ({ operator, values }) =>
            /arn/i.test(operator) && asList(values as string | string[]).some(hasColonVariableInArnPrefix),
        ),
      ),
    rewrite: (testCase, request) =>
      rewriteStatements(testCase, (statement) => {
        for (const [operator, entries] of Object.entries(statement.Condition ?? {})) {
          if (!/arn/i.test(operator)) continue;
          for (const [key, values] of Object.entries(entries)) {
            const substituted = mapValues(values as string | string[], (value) =>
              hasColonVariableInArnPrefix(value) ? substituteColonVariables(value, request) : value,
            );
            if (substituted === null) return undefined;
            entries[key] = substituted;
          }
        }
        return statement;
      }),
  },
  {
    id: 'short-arn-in-not-resource',
    reason:
      'For a NotResource ARN with fewer than six segments (`arn:aws:sqs`) that does not match, iam-simulate ' +
      'keeps the statement from applying ("conservative"); this evaluator pads it with `*` as IAM does for ' +
      'identity policies and inverts the result like any other NotResource entry.',
    applies: (testCase) =>
      statementsForAction(testCase).some((statement) =>
        asList(statement.NotResource).some(
          (pattern) =>
            pattern.split(':').length < 6 &&
            resourceMatchesPattern(pattern, testCase.request.resource, NO_VALUES) !== true,
        ),
      ),
    rewrite: (testCase) =>
      rewriteStatements(testCase, (statement) => {
        const padded = mapValues(statement.NotResource, (pattern) => {
          if (pattern === '*') return pattern;
          const segments = pattern.split(':');
          while (segments.length < 6) segments.push('*');
          return segments.join(':');
        });
        if (padded) statement.NotResource = padded;
        return statement;
      }),
  },
  {
    id: 'single-ip-of-other-family',
    reason:
      'For a single address without a prefix (`192.168.1.7`) and a request address of the other family, ' +
      'iam-simulate makes NotIpAddress fail; this evaluator reads the address as a /32 (or /128) range, ' +
      'which an address of the other family is outside of, as iam-simulate itself does for a CIDR range.',
    applies: (testCase) =>
      statementsForAction(testCase).some((statement) =>
        conditionEntries(statement).some(({ operator, key, values }) => {
          if ((operator.split(':').pop() ?? '').toLowerCase().replace(/ifexists$/, '') !== 'notipaddress')
            return false;
          const family = (address: string) => (address.includes(':') ? 6 : 4);
          const requestValues = asList(requestValue(testCase, key));
          return asList(values as string | string[]).some(
            (policyValue) =>
              !policyValue.includes('/') && requestValues.some((r) => family(r) !== family(policyValue)),
          );
        }),
      ),
    rewrite: (testCase) =>
      rewriteStatements(testCase, (statement) => {
        for (const [operator, entries] of Object.entries(statement.Condition ?? {})) {
          if (!/ipaddress/i.test(operator)) continue;
          for (const [key, values] of Object.entries(entries)) {
            entries[key] =
              mapValues(values as string | string[], (value) =>
                value.includes('/') ? value : `${value}/${value.includes(':') ? 128 : 32}`,
              ) ?? values;
          }
        }
        return statement;
      }),
  },
  {
    id: 'date-epoch-against-iso',
    reason:
      'iam-simulate compares an epoch value (seconds) with an ISO date (milliseconds) without converting; ' +
      'AWS accepts both forms for the same instant, so this evaluator converts epoch seconds.',
    applies: (testCase) =>
      statementsForAction(testCase).some((statement) =>
        conditionEntries(statement).some(({ operator, key, values }) => {
          if (!/date/i.test(operator.split(':').pop() ?? '')) return false;
          const requestValues = asList(requestValue(testCase, key));
          const policyValues = asList(values as string | string[]).map(String);
          const isEpoch = (value: string) => /^-?\d+$/.test(value);
          return requestValues.some((r) => policyValues.some((p) => isEpoch(r) !== isEpoch(p)));
        }),
      ),
    rewrite: (testCase) => {
      const rewritten = rewriteStatements(testCase, (statement) => {
        for (const [operator, entries] of Object.entries(statement.Condition ?? {})) {
          if (!/date/i.test(operator.split(':').pop() ?? '')) continue;
          for (const [key, values] of Object.entries(entries)) {
            entries[key] = mapValues(values as string | string[], epochToIso) ?? values;
          }
        }
        return statement;
      });
      if (!rewritten) return undefined;
      const context = Object.fromEntries(
        Object.entries(testCase.request.context ?? {}).map(([key, value]) => [
          key,
          /^aws:(currenttime|epochtime)$/i.test(key) && typeof value === 'string' ? epochToIso(value) : value,
        ]),
      );
      return { ...rewritten, request: { ...testCase.request, context } };
    },
  },
];

// ---------------------------------------------------------------------------------------------------

const ORACLE_DECISIONS: Record<string, Decision> = {
  Allowed: 'allow',
  ExplicitlyDenied: 'explicit_deny',
  ImplicitlyDenied: 'implicit_deny',
};

function oracleDecision(
  policies: NamedPolicy[],
  boundary: NamedPolicy | undefined,
  request: RequestContext,
): Decision | string {
  const result = runUnsafeSimulation(
    {
      request: {
        principal: PRINCIPAL_ARN,
        action: request.action,
        // The account must be the principal's: a cross-account request would need a resource policy.
        resource: { resource: request.resource, accountId: ACCOUNT },
        contextVariables: Object.fromEntries(
          Object.entries(request.context ?? {}).map(([key, value]) => [
            key,
            Array.isArray(value) ? value : String(value),
          ]),
        ),
      },
      identityPolicies: policies.map((policy, index) => ({ name: `p${index}`, policy: policy.document })),
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      ...(boundary ? { permissionBoundaryPolicies: [{ name: 'boundary', policy: boundary.document }] } : {}),
    },
    {},
  ) as unknown;
  const name = typeof result === 'string' ? result : (result as { result?: string }).result;
  return ORACLE_DECISIONS[name ?? ''] ?? `oracle:${String(name)}`;
}

function ourDecision(testCase: GeneratedCase): { decision: Decision; request: RequestContext } {
  if (!testCase.boundary) {
    return {
      decision: evaluatePolicies(testCase.policies, testCase.request).decision,
      request: testCase.request,
    };
  }
  const principal: PrincipalPolicies = {
    arn: PRINCIPAL_ARN,
    type: 'user',
    name: 'alice',
    policies: testCase.policies,
    permissionsBoundary: testCase.boundary,
  };
  // The oracle sees the same context, including the keys evaluatePrincipal fills in from the principal.
  return {
    decision: evaluatePrincipal(principal, testCase.request).decision,
    request: principalRequestContext(principal, testCase.request),
  };
}

describe('differential against @cloud-copilot/iam-simulate', () => {
  it(`decides ${CASE_COUNT} random cases as the oracle does`, () => {
    const mismatches: unknown[] = [];
    const knownByClass = new Map<string, { cases: number; differing: number }>();
    let unverified = 0;
    let identical = 0;
    let known = 0;
    const decisions = new Map<Decision, number>();
    let nextId = 0;
    // One fast-check run per case, from a fixed seed: a mismatch fails the property and is shrunk to a
    // smallest case (fast-check prints it with the seed and path that replay it).
    const decide = (random: Random): boolean => {
      const id = nextId++;
      const before = mismatches.length;
      const testCase = generateCase(random, id);
      const knownDifferences = KNOWN_DIFFERENCES.filter((difference) => difference.applies(testCase));
      const ours = ourDecision(testCase);
      const oracle = oracleDecision(testCase.policies, testCase.boundary, ours.request);
      if (knownDifferences.length > 0) {
        // Excluded from the direct comparison; instead the oracle decides an equivalent rewritten case.
        known++;
        for (const difference of knownDifferences) {
          const counts = knownByClass.get(difference.id) ?? { cases: 0, differing: 0 };
          counts.cases++;
          if (ours.decision !== oracle) counts.differing++;
          knownByClass.set(difference.id, counts);
        }
        let rewritten: GeneratedCase | undefined = testCase;
        for (const difference of knownDifferences) {
          rewritten = rewritten && difference.rewrite(rewritten, ours.request);
        }
        if (!rewritten) {
          unverified++;
          return true;
        }
        const rewrittenOurs = ourDecision(rewritten);
        const rewrittenOracle = oracleDecision(rewritten.policies, rewritten.boundary, rewrittenOurs.request);
        if (rewrittenOurs.decision !== ours.decision || rewrittenOracle !== ours.decision) {
          mismatches.push({
            id,
            ours: ours.decision,
            oracle,
            rewrittenOurs: rewrittenOurs.decision,
            rewrittenOracle,
            rewritten,
          });
        }
        return mismatches.length === before;
      }
      decisions.set(ours.decision, (decisions.get(ours.decision) ?? 0) + 1);
      if (ours.decision === oracle) identical++;
      else mismatches.push({ id, ours: ours.decision, oracle, testCase });
      return mismatches.length === before;
    };
    try {
      fc.assert(
        fc.property(fc.gen(), (g) => decide(randomFrom(g))),
        { seed: SEED, numRuns: CASE_COUNT },
      );
    } finally {
      if (process.env['DIFFERENTIAL_DUMP']) {
        writeFileSync(process.env['DIFFERENTIAL_DUMP'], JSON.stringify(mismatches, null, 1));
      }
    }
    console.log(
      `differential: ${CASE_COUNT} cases, ${identical} identical, ${known} known differences ` +
        `(${[...knownByClass].map(([id, { cases, differing }]) => `${id}: ${cases}, ${differing} differing`).join('; ')}; ` +
        `${known - unverified} of them confirmed on a rewritten equivalent case); ` +
        'decisions compared: ' +
        [...decisions].map(([decision, count]) => `${decision} ${count}`).join(', '),
    );
    expect(mismatches.length, JSON.stringify(mismatches[0])).toBe(0);
    expect(identical + known).toBe(CASE_COUNT);
    // Every known difference must be real in this run, or its predicate is too broad to keep.
    for (const difference of KNOWN_DIFFERENCES)
      expect(knownByClass.get(difference.id)?.differing).toBeGreaterThan(0);
    // The generator must exercise every outcome, or the comparison proves little.
    for (const decision of ['allow', 'explicit_deny', 'implicit_deny'] as const) {
      expect(decisions.get(decision) ?? 0).toBeGreaterThan(CASE_COUNT / 20);
    }
  });
});
