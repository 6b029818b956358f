import { defineProject } from 'vitest/config';

/** The root scripts' unit tests (the chaos comparison rule); no services. */
export default defineProject({
  resolve: { conditions: ['development', 'module', 'node', 'import', 'default'] },
  ssr: { resolve: { conditions: ['development', 'module', 'node', 'import', 'default'] } },
  test: {
    name: 'scripts',
    environment: 'node',
    include: ['**/*.test.ts'],
  },
});
