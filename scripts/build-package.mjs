#!/usr/bin/env node
// Emits a workspace package's dist/ with esbuild: each source file transpiled on its own (no bundle, so
// dist/ mirrors src/ and the `.js` import specifiers the sources already use keep working). Type
// checking is the `typecheck` task's job (tsc --noEmit), so the build does not pay for it twice; tsc
// emitting 15 packages took most of a cold `pnpm demo` on 2 cores. Run from a package's folder.
import { readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';

/** What never ships: tests and their support code (as the packages' tsconfig.build.json excluded). */
const skipped = (file) => /\.test\.ts$/.test(file) || file.split(path.sep).includes('test-support');

function sources(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sources(full);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') && !skipped(full) ? [full] : [];
  });
}

const started = performance.now();
const entryPoints = sources('src');
rmSync('dist', { recursive: true, force: true });
await build({
  entryPoints,
  outdir: 'dist',
  outbase: 'src',
  bundle: false,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: true,
  logLevel: 'warning',
});
const ms = Math.round(performance.now() - started);
console.log(`built ${entryPoints.length} files into ${path.basename(process.cwd())}/dist in ${ms} ms`);
