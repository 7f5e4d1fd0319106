// `npm start`: the Electron window where a desktop can show it; otherwise (or when Electron's binary cannot
// be had) browser mode, which prints "Lifeboat console: http://127.0.0.1:<port>/?token=<t>".
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const hasDesktop =
  process.platform === 'win32' || process.platform === 'darwin' || Boolean(process.env.DISPLAY || process.env.WAYLAND_DISPLAY);

function electronBinary() {
  const pkg = path.join(root, 'node_modules', 'electron');
  const pathFile = path.join(pkg, 'path.txt');
  if (!fs.existsSync(pathFile)) return null;
  const binary = path.join(pkg, 'dist', fs.readFileSync(pathFile, 'utf8').trim());
  return fs.existsSync(binary) ? binary : null;
}

function installElectron() {
  // Electron >= 42 downloads its binary on demand rather than at npm install.
  const result = spawnSync(process.execPath, [path.join(root, 'node_modules', 'electron', 'install.js')], {
    stdio: 'inherit',
    timeout: 300_000,
  });
  return result.status === 0 ? electronBinary() : null;
}

function run(command, commandArgs) {
  const child = spawn(command, commandArgs, { stdio: 'inherit', cwd: root });
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code) => process.exit(code ?? 0));
}

const binary = hasDesktop ? (electronBinary() ?? installElectron()) : null;
if (binary) {
  run(binary, [root, ...args]);
} else {
  console.error(
    hasDesktop
      ? 'Electron could not be installed here; opening the console in browser mode instead.'
      : 'No desktop here; opening the console in browser mode. Open the link below in a browser on this machine.',
  );
  run(process.execPath, [path.join(root, 'bin', 'lifeboat.js'), ...args, 'serve']);
}
