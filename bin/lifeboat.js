#!/usr/bin/env node
// The `lifeboat` command. better-sqlite3 13 needs Node >= 22 (Node-API 10): when an older system Node
// starts us, hand over to the Node 22 the project pins in node_modules (npm package "node").
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const major = Number(process.versions.node.split('.')[0]);

if (major < 22) {
  const pinned = path.join(root, 'node_modules', 'node', 'bin', 'node');
  if (!fs.existsSync(pinned)) {
    process.stderr.write(`error: Lifeboat needs Node.js 22 or newer (this is ${process.version}).\n  fix: run \`npm install\` in ${root}, or install Node.js 22.\n`);
    process.exit(1);
  }
  // Async and signal-forwarding: a SIGTERM to this process must reach the engine, which then stops cleanly.
  const child = spawn(pinned, process.argv.slice(1), { stdio: 'inherit' });
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP']) process.on(signal, () => child.kill(signal));
  const code = await new Promise((resolve) => child.once('exit', (status) => resolve(status ?? 1)));
  process.exit(code);
}

const cli = path.join(root, 'dist', 'cli.js');
if (!fs.existsSync(cli)) {
  process.stderr.write(`error: Lifeboat is not built yet.\n  fix: run \`npm run build\` in ${root}.\n`);
  process.exit(1);
}
const { main } = await import(pathToFileURL(cli).href);
process.exitCode = await main(process.argv.slice(2));
