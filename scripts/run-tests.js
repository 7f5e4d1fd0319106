// Runs every suite (unit, integration, e2e) and ends with one line CI can read: "N passed, N failed".
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const report = path.join(root, 'test-results', 'vitest.json');
fs.mkdirSync(path.dirname(report), { recursive: true });
fs.rmSync(report, { force: true });

const vitest = path.join(root, 'node_modules', 'vitest', 'vitest.mjs');
const run = spawnSync(
  process.execPath,
  [vitest, 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`, ...process.argv.slice(2)],
  {
    cwd: root,
    stdio: 'inherit',
  },
);

// A run that crashed before writing its report, or failed outside any test, still counts as a failure.
const result = fs.existsSync(report) ? JSON.parse(fs.readFileSync(report, 'utf8')) : null;
const passed = result?.numPassedTests ?? 0;
const skipped = result ? result.numPendingTests + result.numTodoTests : 0;
const failedTests = result?.numFailedTests ?? 0;
const failed = failedTests > 0 || run.status === 0 ? failedTests : Math.max(result?.numFailedTestSuites ?? 0, 1);
console.log(`\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed > 0 ? 1 : 0);
