#!/usr/bin/env node
// Thin launcher so the bin exists before the first build; the command itself is compiled to dist/.
await import('../dist/migrate-cli.js');
