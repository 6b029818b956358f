import { fileURLToPath } from 'node:url';
import { defineProject, type UserWorkspaceConfig } from 'vitest/config';

const globalSetup = fileURLToPath(new URL('./packages/testing/src/global-setup.ts', import.meta.url));

/**
 * One vitest project per workspace package. `development` makes workspace packages resolve to their
 * TypeScript sources (see each package's `exports`), so tests never need a prior build.
 * Projects that talk to Postgres or Redis get the global setup that checks the services and builds the
 * migrated template database that each test file clones.
 */
export function packageProject(
  name: string,
  options: { services?: boolean; timeoutMs?: number } = {},
): UserWorkspaceConfig {
  return defineProject({
    resolve: { conditions: ['development', 'module', 'node', 'import', 'default'] },
    ssr: { resolve: { conditions: ['development', 'module', 'node', 'import', 'default'] } },
    test: {
      name,
      environment: 'node',
      // bench/ holds the apps' benchmark code (outside src/, so no product source imports the emulator),
      // and its tests prove the bench loader writes what the workers write.
      include: ['src/**/*.test.ts', 'test/**/*.test.ts', 'bench/**/*.test.ts'],
      // A bound for a test that hangs, not a measure of speed: tests wait for events (a job finished, a
      // line logged, a port open), and under load (CI on 2 cores, other runs beside it) those take longer.
      testTimeout: options.timeoutMs ?? 120_000,
      hookTimeout: 120_000,
      globalSetup: options.services ? [globalSetup] : [],
    },
  });
}
