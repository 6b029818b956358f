import { readFileSync } from 'node:fs';
import type { z } from 'zod';
import { awsManagedPolicyArns } from './aws-managed-policies.js';
import { type Scenario, scenarioSchema } from './schema.js';

/** One problem found in a scenario, with the JSON path of the field (`$.account.users[2].userName`). */
export interface ScenarioIssue {
  path: string;
  message: string;
}

/** Thrown for a scenario that does not match the schema or refers to something that does not exist. */
export class ScenarioValidationError extends Error {
  readonly issues: ScenarioIssue[];
  /** JSON path of the first bad field. */
  readonly path: string;
  constructor(issues: ScenarioIssue[], source?: string) {
    const first = issues[0] ?? { path: '$', message: 'invalid scenario' };
    const more = issues.length > 1 ? ` (and ${issues.length - 1} more)` : '';
    super(`${source ? `${source}: ` : ''}invalid scenario at ${first.path}: ${first.message}${more}`);
    this.name = 'ScenarioValidationError';
    this.issues = issues;
    this.path = first.path;
  }
}

export function jsonPath(path: readonly PropertyKey[]): string {
  let out = '$';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else if (typeof key === 'string' && /^[A-Za-z_$][\w$]*$/.test(key)) out += `.${key}`;
    else out += `[${JSON.stringify(String(key))}]`;
  }
  return out;
}

function zodIssues(error: z.ZodError): ScenarioIssue[] {
  return error.issues.map((issue) => {
    // An unknown key is reported on its parent object; name the key itself in the path.
    if (issue.code === 'unrecognized_keys') {
      return {
        path: jsonPath([...issue.path, issue.keys[0] ?? '']),
        message: `unknown field(s) ${issue.keys.join(', ')}`,
      };
    }
    return { path: jsonPath(issue.path), message: issue.message };
  });
}

/** Validates a scenario (schema, then references between its parts) and applies defaults. */
export function parseScenario(input: unknown, source?: string): Scenario {
  const result = scenarioSchema.safeParse(input);
  if (!result.success) throw new ScenarioValidationError(zodIssues(result.error), source);
  const issues = checkReferences(result.data);
  if (issues.length > 0) throw new ScenarioValidationError(issues, source);
  return result.data;
}

/** Reads and validates a scenario file; the error message names the bad field's JSON path. */
export function loadScenarioFile(path: string): Scenario {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new ScenarioValidationError(
      [{ path: '$', message: `cannot read JSON: ${(error as Error).message}` }],
      path,
    );
  }
  return parseScenario(raw, path);
}

function duplicates<T>(
  items: readonly T[],
  key: (item: T) => string,
  at: (index: number) => string,
  what: string,
) {
  const seen = new Set<string>();
  const issues: ScenarioIssue[] = [];
  items.forEach((item, index) => {
    const k = key(item);
    if (seen.has(k)) issues.push({ path: at(index), message: `duplicate ${what} ${JSON.stringify(k)}` });
    seen.add(k);
  });
  return issues;
}

/** Cross-references the schema cannot express: names that must exist, ids that must be unique. */
export function checkReferences(s: Scenario): ScenarioIssue[] {
  const a = s.account;
  const issues: ScenarioIssue[] = [];
  const policyArns = new Set([...awsManagedPolicyArns(), ...a.policies.map((p) => p.arn)]);
  const groupNames = new Set(a.groups.map((g) => g.groupName));
  const checkAttached = (arns: string[], base: string) =>
    arns.forEach((arn, i) => {
      if (!policyArns.has(arn))
        issues.push({ path: `${base}[${i}]`, message: `unknown managed policy ${arn}` });
    });

  issues.push(
    ...duplicates(
      a.users,
      (u) => u.userName,
      (i) => `$.account.users[${i}].userName`,
      'user name',
    ),
  );
  issues.push(
    ...duplicates(
      a.groups,
      (g) => g.groupName,
      (i) => `$.account.groups[${i}].groupName`,
      'group name',
    ),
  );
  issues.push(
    ...duplicates(
      a.roles,
      (r) => r.roleName,
      (i) => `$.account.roles[${i}].roleName`,
      'role name',
    ),
  );
  issues.push(
    ...duplicates(
      a.policies,
      (p) => p.arn,
      (i) => `$.account.policies[${i}].arn`,
      'policy ARN',
    ),
  );
  a.users.forEach((u, i) => {
    u.groups.forEach((g, j) => {
      if (!groupNames.has(g))
        issues.push({ path: `$.account.users[${i}].groups[${j}]`, message: `unknown group ${g}` });
    });
    checkAttached(u.attachedPolicies, `$.account.users[${i}].attachedPolicies`);
  });
  for (const [i, g] of a.groups.entries())
    checkAttached(g.attachedPolicies, `$.account.groups[${i}].attachedPolicies`);
  for (const [i, r] of a.roles.entries())
    checkAttached(r.attachedPolicies, `$.account.roles[${i}].attachedPolicies`);
  a.policies.forEach((p, i) => {
    if (!p.versions.some((v) => v.versionId === p.defaultVersionId)) {
      issues.push({
        path: `$.account.policies[${i}].defaultVersionId`,
        message: `no version ${p.defaultVersionId}`,
      });
    }
  });

  for (const [region, r] of Object.entries(a.regions)) {
    const base = `$.account.regions[${JSON.stringify(region)}]`;
    const repos = new Map(r.repositories.map((repo) => [repo.repositoryName, repo]));
    const templates = new Set(r.approvalRuleTemplates.map((t) => t.name));
    issues.push(
      ...duplicates(
        r.repositories,
        (x) => x.repositoryName,
        (i) => `${base}.repositories[${i}].repositoryName`,
        'repository',
      ),
      ...duplicates(
        r.approvalRuleTemplates,
        (x) => x.name,
        (i) => `${base}.approvalRuleTemplates[${i}].name`,
        'template',
      ),
      ...duplicates(
        r.pullRequests,
        (x) => x.pullRequestId,
        (i) => `${base}.pullRequests[${i}].pullRequestId`,
        'pull request id',
      ),
    );
    r.repositories.forEach((repo, i) => {
      if (repo.defaultBranch !== null && !repo.branches.some((b) => b.name === repo.defaultBranch)) {
        issues.push({
          path: `${base}.repositories[${i}].defaultBranch`,
          message: `no branch ${repo.defaultBranch}`,
        });
      }
    });
    for (const [template, names] of Object.entries(r.associations)) {
      const at = `${base}.associations[${JSON.stringify(template)}]`;
      if (!templates.has(template))
        issues.push({ path: at, message: `unknown approval rule template ${template}` });
      names.forEach((name, i) => {
        if (!repos.has(name)) issues.push({ path: `${at}[${i}]`, message: `unknown repository ${name}` });
      });
    }
    r.pullRequests.forEach((pr, i) => {
      const at = `${base}.pullRequests[${i}]`;
      if (!repos.has(pr.repositoryName)) {
        issues.push({ path: `${at}.repositoryName`, message: `unknown repository ${pr.repositoryName}` });
      }
      const revisions = new Set(pr.revisions);
      pr.approvals.forEach((ap, j) => {
        if (!revisions.has(ap.revisionId)) {
          issues.push({
            path: `${at}.approvals[${j}].revisionId`,
            message: `not one of the pull request's revisions`,
          });
        }
      });
      if (pr.override && !revisions.has(pr.override.revisionId)) {
        issues.push({
          path: `${at}.override.revisionId`,
          message: `not one of the pull request's revisions`,
        });
      }
      if (pr.isMerged && pr.status !== 'CLOSED') {
        issues.push({ path: `${at}.status`, message: 'a merged pull request is CLOSED' });
      }
      if (pr.isMerged && !pr.mergedBy)
        issues.push({ path: `${at}.mergedBy`, message: 'a merged pull request names mergedBy' });
    });
  }
  return issues;
}

const DAY_MS = 86_400_000;

/**
 * How far `shiftDates` moves a story: the whole days from its `referenceDate` to `now`, rounded down.
 * Whole days keep every time of day, so dates the story compares with calendar dates (a roster's
 * `offboardedAt`, moved by the same days with {@link shiftCalendarDate}) keep their order on any date.
 */
export function storyShiftMs(referenceDate: string, now: number): number {
  return Math.floor((now - Date.parse(referenceDate)) / DAY_MS) * DAY_MS;
}

/** Moves a calendar date (`YYYY-MM-DD`) by `deltaMs`, a whole number of days. */
export function shiftCalendarDate(date: string, deltaMs: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + deltaMs).toISOString().slice(0, 10);
}

/**
 * Moves every calendar-date string (`YYYY-MM-DD`) in `value` by `deltaMs`: a story's roster goes with
 * its shifted scenario (`deltaMs` = the shifted `referenceDate` − the file's).
 */
export function shiftCalendarDates<T>(value: T, deltaMs: number): T {
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return /^\d{4}-\d{2}-\d{2}$/.test(v) ? shiftCalendarDate(v, deltaMs) : v;
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === 'object')
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    return v;
  };
  return walk(value) as T;
}

/** Moves every ISO date-time string in the scenario by `deltaMs` (used to keep a story's dates recent). */
export function shiftScenarioDates<T>(value: T, deltaMs: number): T {
  const iso = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return iso.test(v) ? new Date(Date.parse(v) + deltaMs).toISOString() : v;
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) out[k] = walk(x);
      return out;
    }
    return v;
  };
  return walk(value) as T;
}
