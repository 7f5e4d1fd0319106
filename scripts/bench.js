// `npm run bench`: builds every test/bench/*.bench.ts with esbuild and runs them one after another (never in
// parallel: they measure throughput against peers measured in the same run). Not part of `npm test`.
//   npm run bench                 all benchmarks
//   npm run bench -- vault        only those whose file name contains "vault"
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const benchDir = path.join(root, 'test', 'bench');
const outDir = path.join(root, 'dist', 'bench');
const filter = process.argv[2] ?? '';

const benches = fs
  .readdirSync(benchDir)
  .filter((file) => file.endsWith('.bench.ts') && file.includes(filter))
  .sort();
if (benches.length === 0) {
  console.error(`bench: nothing matches "${filter}" in test/bench/`);
  process.exit(2);
}

await build({
  absWorkingDir: root,
  entryPoints: benches.map((file) => path.join(benchDir, file)),
  outdir: outDir,
  bundle: true,
  platform: 'node',
  target: 'node22',
  format: 'esm',
  packages: 'external',
  logLevel: 'warning',
});

let failed = 0;
for (const file of benches) {
  console.log(`\n== ${file} ==`);
  const run = spawnSync(process.execPath, ['--expose-gc', path.join(outDir, file.replace(/\.ts$/, '.js'))], {
    cwd: root,
    stdio: 'inherit',
  });
  if (run.status !== 0) failed++;
}
process.exit(failed ? 1 : 0);
