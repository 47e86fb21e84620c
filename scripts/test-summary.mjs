// Reads the JSON results of the jest runs `npm test` made (each `--json --outputFile`), prints the
// slowest test files, the tests that passed only when run again (GAMEDAY_TEST_RETRIES) with why
// they failed first, the failed tests and the files that could not run with the first lines of why
// (CI's log may keep only its end), and one closing line over all of them ("jest: N passed, N
// failed"). Exits non-zero when a test failed, a file did not run, or nothing ran at all.
import { readFileSync } from 'node:fs';
import path from 'node:path';

const files = process.argv.slice(2);
let passed = 0;
let failed = 0;
let skipped = 0;
let brokenSuites = 0;
const durations = [];
const retried = [];
const failures = [];
// the first lines of a failure message, without the colours and the stack
const firstLines = (message, n = 4) =>
  message
    // eslint-disable-next-line no-control-regex
    .replace(/\x1b\[[0-9;]*m/g, '')
    .split('\n')
    .filter((l) => l.trim() && !/^\s+at /.test(l))
    .slice(0, n)
    .map((l) => `      ${l.trim().slice(0, 240)}`)
    .join('\n');
for (const file of files) {
  let result;
  try {
    result = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    console.error(`cannot read jest results ${file}: ${e.message}`);
    brokenSuites++;
    continue;
  }
  passed += result.numPassedTests;
  failed += result.numFailedTests;
  skipped += result.numPendingTests + result.numTodoTests;
  brokenSuites += result.numRuntimeErrorTestSuites;
  for (const suite of result.testResults) {
    const file = path.relative(process.cwd(), suite.name);
    durations.push({ file, s: (suite.endTime - suite.startTime) / 1000 });
    if (suite.status === 'failed' && !suite.assertionResults.some((t) => t.status === 'failed'))
      failures.push(`  ${file}: could not run\n${firstLines(suite.message, 8)}`);
    for (const t of suite.assertionResults) {
      if (t.status === 'failed')
        failures.push(`  ${file} › ${t.fullName}\n${firstLines(t.failureMessages.join('\n'))}`);
      else if (t.status === 'passed' && (t.invocations ?? 1) > 1)
        retried.push(
          `  ${file} › ${t.fullName} (run ${t.invocations} times)\n${firstLines((t.retryReasons ?? []).join('\n'))}`,
        );
    }
  }
}
durations.sort((a, b) => b.s - a.s);
console.log('slowest test files:');
for (const d of durations.slice(0, 12)) console.log(`  ${d.s.toFixed(1).padStart(7)} s  ${d.file}`);
if (retried.length) console.log(`passed only when run again (${retried.length}):\n${retried.join('\n')}`);
if (failures.length) console.log(`failed (${failures.length}):\n${failures.join('\n')}`);
if (brokenSuites) console.log(`${brokenSuites} test file(s) could not run`);
console.log(`jest: ${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed || brokenSuites || passed === 0 ? 1 : 0);
