#!/usr/bin/env node
// Builds the console to dist/: one minified, content-hashed ES module bundle and stylesheet under
// dist/assets (each also pre-compressed as .br and .gz, which connector-api serves as they are),
// dist/index.html, and dist/pages.json (the page patterns, so the server answers 404 for any other
// path). esbuild is the project's build tool already; the console needs no dev server of its own.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { build } from 'esbuild';

const started = performance.now();
rmSync('dist', { recursive: true, force: true });
mkdirSync('dist/assets', { recursive: true });
const result = await build({
  entryPoints: ['src/main.tsx'],
  bundle: true,
  minify: true,
  format: 'esm',
  target: ['chrome110', 'firefox110', 'safari16'],
  jsx: 'automatic',
  // Workspace packages from their TypeScript sources (their dist/ need not be built first).
  conditions: ['development'],
  define: { 'process.env.NODE_ENV': '"production"' },
  write: false,
  outdir: 'out',
  logLevel: 'warning',
  legalComments: 'none',
});
const names = {};
let jsGzip = 0;
let jsBrotli = 0;
for (const file of result.outputFiles) {
  const ext = path.extname(file.path);
  const hash = createHash('sha256').update(file.contents).digest('hex').slice(0, 12);
  const name = `app-${hash}${ext}`;
  names[ext] = name;
  const target = path.join('dist/assets', name);
  writeFileSync(target, file.contents);
  const gz = gzipSync(file.contents, { level: 9 });
  const br = brotliCompressSync(file.contents, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } });
  writeFileSync(`${target}.gz`, gz);
  writeFileSync(`${target}.br`, br);
  if (ext === '.js') {
    jsGzip += gz.length;
    jsBrotli += br.length;
  }
}
const html = readFileSync('src/index.html', 'utf8')
  .replace('%JS%', `/console/assets/${names['.js']}`)
  .replace('%CSS%', `/console/assets/${names['.css']}`);
writeFileSync('dist/index.html', html);
const { PAGES } = await import('./src/pages.mjs');
writeFileSync('dist/pages.json', `${JSON.stringify(PAGES)}\n`);
const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
console.log(
  `built the console into console/dist in ${Math.round(performance.now() - started)} ms: first-load JS ${kb(jsGzip)} gzip, ${kb(jsBrotli)} brotli`,
);
