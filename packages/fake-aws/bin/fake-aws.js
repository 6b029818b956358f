#!/usr/bin/env node
// Thin launcher; the CLI itself is compiled to dist/ (pnpm --filter @codecommit-evidence/fake-aws build).
const { run } = await import('../dist/cli.js');
await run(process.argv.slice(2));
