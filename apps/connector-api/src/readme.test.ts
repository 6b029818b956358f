import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ConnectorApiEnv } from './config.js';
import { API_ERROR_CODES } from './errors.js';
import { PERMISSIONS } from './permissions.js';

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');

describe('README stays in step with the code', () => {
  it('documents every error code, env var and permission (with its tier)', () => {
    for (const code of API_ERROR_CODES) expect(readme, code).toContain(`| \`${code}\` |`);
    for (const name of Object.keys(ConnectorApiEnv.shape)) expect(readme, name).toContain(`| \`${name}\` |`);
    for (const p of PERMISSIONS)
      expect(readme, p.action).toMatch(new RegExp(`\\| \`${p.action}\` \\| ${p.tier}`));
  });
});
