import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DEMO_SCENARIO } from '../test-support/fixture.js';
import { generateScenario } from './generate.js';
import { scenarioJsonSchema } from './json-schema.js';
import { loadScenarioFile, parseScenario, ScenarioValidationError, shiftScenarioDates } from './load.js';

const demo = () => JSON.parse(readFileSync(DEMO_SCENARIO, 'utf8'));

function errorOf(input: unknown): ScenarioValidationError {
  try {
    parseScenario(input);
  } catch (error) {
    if (error instanceof ScenarioValidationError) return error;
    throw error;
  }
  throw new Error('expected the scenario to be refused');
}

describe('scenario files', () => {
  it('ships a JSON Schema that matches the zod schema (run `pnpm --filter @codecommit-evidence/fake-aws schema`)', () => {
    const shipped = JSON.parse(
      readFileSync(fileURLToPath(new URL('../../scenario.schema.json', import.meta.url)), 'utf8'),
    );
    expect(shipped).toEqual(JSON.parse(JSON.stringify(scenarioJsonSchema())));
  });

  it('loads the demo', () => {
    const s = loadScenarioFile(DEMO_SCENARIO);
    expect(s.account.users).toHaveLength(9);
    expect(s.account.users[0]?.path).toBe('/');
  });

  it('refuses a bad field with its JSON path', () => {
    const bad = demo();
    bad.account.regions['us-east-1'].pullRequests[3].status = 'MERGED';
    expect(errorOf(bad).path).toBe('$.account.regions["us-east-1"].pullRequests[3].status');

    const typo = demo();
    typo.account.users[1].mfa = true;
    expect(errorOf(typo).message).toMatch(/\$\.account\.users\[1\]\.mfa: unknown field/);

    const dir = mkdtempSync(join(tmpdir(), 'fake-aws-'));
    const file = join(dir, 'bad.json');
    const wrong = demo();
    wrong.account.accountId = '123';
    writeFileSync(file, JSON.stringify(wrong));
    expect(() => loadScenarioFile(file)).toThrow(
      `${file}: invalid scenario at $.account.accountId: must be a 12-digit AWS account id`,
    );
    writeFileSync(file, '{ not json');
    expect(() => loadScenarioFile(file)).toThrow(/cannot read JSON/);
  });

  it('refuses references to things that do not exist', () => {
    const s = demo();
    s.account.groups[0].attachedPolicies.push('arn:aws:iam::aws:policy/NoSuchPolicy');
    expect(errorOf(s).path).toBe('$.account.groups[0].attachedPolicies[2]');
    const t = demo();
    t.account.regions['us-east-1'].associations['require-one-approval'].push('ghost');
    expect(errorOf(t).path).toBe('$.account.regions["us-east-1"].associations["require-one-approval"][3]');
    const u = demo();
    u.account.regions['us-east-1'].pullRequests[1].approvals[0].revisionId = 'a'.repeat(64);
    expect(errorOf(u).path).toBe('$.account.regions["us-east-1"].pullRequests[1].approvals[0].revisionId');
    const v = demo();
    v.account.users.push({ ...v.account.users[0] });
    expect(errorOf(v).message).toContain('duplicate user name "alice"');
  });

  it('shifts every date by the same amount', () => {
    const s = shiftScenarioDates(demo(), 86_400_000);
    expect(s.referenceDate).toBe('2026-11-21T00:00:00.000Z');
    expect(s.account.users[0].createDate).toBe('2024-03-02T09:00:00.000Z');
    expect(s.account.users[0].userName).toBe('alice');
  });
});

describe('generateScenario', () => {
  it('is deterministic for a seed and valid', () => {
    const a = generateScenario({ repos: 20, prsPerRepo: 5, users: 10, seed: 7, groups: 2 });
    const b = generateScenario({ repos: 20, prsPerRepo: 5, users: 10, seed: 7, groups: 2 });
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
    expect(JSON.stringify(generateScenario({ repos: 20, prsPerRepo: 5, users: 10, seed: 8 }))).not.toBe(
      JSON.stringify(a),
    );
    expect(parseScenario(a)).toEqual(a);
    const region = a.account.regions['us-east-1']!;
    expect(region.repositories).toHaveLength(20);
    expect(region.pullRequests).toHaveLength(100);
    expect(new Set(region.pullRequests.map((p) => p.pullRequestId)).size).toBe(100);
    expect(a.account.users).toHaveLength(10);
    expect(a.account.groups).toHaveLength(5);
    expect(a.account.roles.map((r) => r.roleName)).toEqual(['Developer', 'CodeCommitEvidence']);
  });
});
