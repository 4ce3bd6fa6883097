// Prints the closing line `tests: N passed, N failed[, N skipped]` from a vitest JSON report.
// With CI=true a skipped (pending or todo) test fails the run: in CI every test must run, so a
// suite that silently skips (no browser, no database) cannot pass. The skipped tests are listed.
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';

const file = process.argv[2];
if (!file) {
  console.error('usage: node .ci/vitest-summary.mjs REPORT.json');
  process.exit(2);
}
const report = JSON.parse(readFileSync(file, 'utf8'));
const skipped = report.numPendingTests + report.numTodoTests;
const ci = process.env.CI === 'true' || process.env.CI === '1';
if (ci && skipped > 0) {
  console.error(`ci: ${skipped} test(s) skipped; with CI=true every test must run:`);
  for (const f of report.testResults ?? [])
    for (const t of f.assertionResults ?? [])
      if (t.status === 'pending' || t.status === 'skipped' || t.status === 'todo')
        console.error(`  skipped: ${relative(process.cwd(), f.name)} > ${t.fullName}`);
}
console.log(
  `tests: ${report.numPassedTests} passed, ${report.numFailedTests} failed` +
    (skipped ? `, ${skipped} skipped` : ''),
);
if (ci && skipped > 0) process.exit(1);
