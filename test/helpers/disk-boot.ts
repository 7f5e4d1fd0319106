import { spawn } from 'node:child_process';

/**
 * Boots a disk under QEMU (software emulation, no network, no display) and resolves once `marker` appears
 * on the first serial port, then stops the VM. Rejects if QEMU exits first or the deadline passes.
 */
export function bootUntilMarker(file: string, format: string, marker: string, deadlineMs = 60_000): Promise<string> {
  const vm = spawn(
    'qemu-system-x86_64',
    [
      '-machine',
      'accel=tcg',
      '-m',
      '64',
      '-display',
      'none',
      '-serial',
      'stdio',
      '-monitor',
      'none',
      '-nic',
      'none',
      '-no-reboot',
      '-drive',
      `file=${file},format=${format},if=ide`,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  let errors = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      vm.kill('SIGKILL');
      reject(new Error(`no "${marker}" on the serial port within ${deadlineMs} ms; got: ${JSON.stringify(output)} ${errors}`));
    }, deadlineMs);
    vm.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString('latin1');
      if (output.includes(marker)) {
        clearTimeout(timer);
        vm.kill('SIGKILL');
        resolve(output);
      }
    });
    vm.stderr.on('data', (chunk: Buffer) => (errors += chunk.toString()));
    vm.on('exit', (code) => {
      clearTimeout(timer);
      if (!output.includes(marker)) reject(new Error(`QEMU exited (${code}) before "${marker}": ${JSON.stringify(output)} ${errors}`));
    });
  });
}
