// Builds everything into dist/: the engine and CLI (esbuild, ESM), the Electron shell (esbuild; the sandboxed
// preload must be CommonJS) and the renderer (Vite). Node packages stay external: they ship in node_modules.
import { build } from 'esbuild';
import { build as viteBuild } from 'vite';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = path.join(root, 'dist');
const quiet = process.argv.includes('--quiet');

const common = {
  absWorkingDir: root,
  bundle: true,
  platform: 'node',
  target: 'node22',
  packages: 'external',
  sourcemap: 'linked',
  logLevel: 'warning',
};

/** Node entry points; later rooms (e.g. vault worker threads) add theirs here. */
export const nodeEntries = {
  cli: 'core/cli.ts',
  'vault-worker': 'core/vault/worker.ts',
};

const started = Date.now();
fs.rmSync(dist, { recursive: true, force: true });

await Promise.all([
  build({ ...common, format: 'esm', entryPoints: nodeEntries, outdir: dist, outExtension: { '.js': '.js' } }),
  build({
    ...common,
    format: 'esm',
    entryPoints: { main: 'electron/main.ts' },
    outdir: path.join(dist, 'electron'),
    external: ['electron'],
  }),
  build({
    ...common,
    format: 'cjs',
    entryPoints: { preload: 'electron/preload.ts' },
    outdir: path.join(dist, 'electron'),
    outExtension: { '.js': '.cjs' },
    external: ['electron'],
  }),
  viteBuild({ configFile: path.join(root, 'vite.config.ts'), logLevel: 'warn' }),
]);

if (!quiet) console.log(`build: dist/ ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
