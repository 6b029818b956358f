// Prints the failed tests of a vitest JSON report, one line each with its file and the first line of
// its error: `node scripts/failed-tests.mjs <label> <report.json>` (used by scripts/test-any-date.sh,
// whose offsets' output would otherwise bury a failure far above the end of the log).
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';

const [label, file] = process.argv.slice(2);
if (!label || !file) {
  process.stderr.write('usage: node scripts/failed-tests.mjs <label> <vitest-report.json>\n');
  process.exit(2);
}
const report = JSON.parse(readFileSync(file, 'utf8'));
const failed = [];
for (const suite of report.testResults ?? []) {
  const path = relative(process.cwd(), suite.name);
  const tests = (suite.assertionResults ?? []).filter((t) => t.status === 'failed');
  for (const t of tests) {
    const first = String(t.failureMessages?.[0] ?? '')
      .split('\n')[0]
      .slice(0, 300);
    failed.push(`${path} > ${t.fullName}: ${first}`);
  }
  // A file that failed to load (or failed in a hook) has no failed test of its own.
  if (tests.length === 0 && suite.status === 'failed')
    failed.push(
      `${path}: ${String(suite.message ?? '')
        .split('\n')[0]
        .slice(0, 300)}`,
    );
}
if (failed.length > 0) {
  process.stdout.write(`test:any-date: failed at ${label} (${failed.length}):\n`);
  for (const line of failed) process.stdout.write(`  ${line}\n`);
}
