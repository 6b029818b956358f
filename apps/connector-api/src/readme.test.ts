import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ConnectorApiEnv } from './config.js';
import { API_ERROR_CODES } from './errors.js';
import { PERMISSIONS } from './permissions.js';

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
/** A table row whose first cell is `name` (cells may be padded by the formatter). */
const row = (name: string, next = '') =>
  new RegExp(`\\|\\s*\`${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\`\\s*\\|${next ? `\\s*${next}` : ''}`);

describe('README stays in step with the code', () => {
  it('documents every error code, env var and permission (with its tier)', () => {
    for (const code of API_ERROR_CODES) expect(readme, code).toMatch(row(code));
    for (const name of Object.keys(ConnectorApiEnv.shape)) expect(readme, name).toMatch(row(name));
    for (const p of PERMISSIONS) expect(readme, p.action).toMatch(row(p.action, p.tier));
  });
});
