// Reads the JSON results of the jest runs `npm test` made (each `--json --outputFile`), prints the
// slowest test files and one closing line over all of them ("jest: N passed, N failed"), and exits
// non-zero when a test failed, a file did not run, or nothing ran at all.
import { readFileSync } from 'node:fs';
import path from 'node:path';

const files = process.argv.slice(2);
let passed = 0;
let failed = 0;
let skipped = 0;
let brokenSuites = 0;
const durations = [];
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
  for (const suite of result.testResults)
    durations.push({ file: path.relative(process.cwd(), suite.name), s: (suite.endTime - suite.startTime) / 1000 });
}
durations.sort((a, b) => b.s - a.s);
console.log('slowest test files:');
for (const d of durations.slice(0, 12)) console.log(`  ${d.s.toFixed(1).padStart(7)} s  ${d.file}`);
if (brokenSuites) console.log(`${brokenSuites} test file(s) could not run`);
console.log(`jest: ${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed || brokenSuites || passed === 0 ? 1 : 0);
