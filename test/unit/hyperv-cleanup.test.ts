import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { LifeboatError } from '../../core/contract/errors';
import { HypervHost, ownedVmFolder } from '../../core/hypervisors/hyperv/provider';
import { ReplayPowerShellRunner, type Recording } from '../../core/hypervisors/hyperv/replay-runner';
import { scripts } from '../../core/hypervisors/hyperv/runner';
import type { HostConnection } from '../../core/hypervisors/types';
import { repoRoot } from '../helpers/temp';

// Hand-written from the documentation (see the folder's README), not recorded on a Hyper-V host.
const WRITTEN = path.join(repoRoot, 'test', 'fixtures', 'hyperv', 'cleanup');
const written = (name: string): Recording => ({ stdout: fs.readFileSync(path.join(WRITTEN, name), 'utf8'), stderr: '' });
const script = (name: string): string => fs.readFileSync(path.join(repoRoot, 'resources', 'powershell', name), 'utf8');
const LOCAL: HostConnection = { id: 'h', name: 'HV01', kind: 'hyperv', address: null, settings: {}, credentials: null };
const VM = '7c1d9e2a-3b4f-4a5c-8d6e-0f1a2b3c4d5e';

describe('Hyper-V cleanup deletes only what Lifeboat created', () => {
  it('creates drill VMs in a folder of Lifeboat’s own beside the restored disks, never the host’s default folder', async () => {
    const runner = new ReplayPowerShellRunner({ [scripts.createVm]: written('create-owned.json') });
    const disk = 'C:\\ProgramData\\Lifeboat\\drills\\d1\\3f2b-FS01\\0-scsi0-0.vhdx';
    await new HypervHost(LOCAL, runner).createIsolatedVm({
      name: 'lifeboat-drill-FS01',
      cpus: 2,
      memoryMiB: 4096,
      firmware: 'uefi',
      disks: [disk],
    });
    const params = runner.calls[0]!.params;
    expect(params.path).toBe('C:\\ProgramData\\Lifeboat\\drills\\d1\\3f2b-FS01\\lifeboat-vm-lifeboat-drill-FS01');
    expect(params.marker).toBe('lifeboat-isolated-vm');
    expect(ownedVmFolder('/data/drills/d1/0-disk.vhdx', 'a/../b')).toBe('/data/drills/d1/lifeboat-vm-a_.._b');
    // The script refuses to run without that folder, and refuses one that holds someone else's files.
    const create = script('New-LifeboatIsolatedVm.ps1');
    expect(create).toMatch(/if \(-not \$p\.path\) \{ throw /);
    expect(create).toMatch(/exists and is not Lifeboat's/);
    expect(create).toContain("Join-Path $folder 'lifeboat-owned.txt'");
  });

  it('refuses to delete a folder without Lifeboat’s marker: the VM goes, the folder stays, and the drill hears why', async () => {
    const runner = new ReplayPowerShellRunner({ [scripts.removeVm]: written('remove-no-marker.json') });
    const error = (await new HypervHost(LOCAL, runner).removeVm(VM).catch((e: unknown) => e)) as LifeboatError;
    expect(runner.calls[0]!.params).toEqual({ vmId: VM, marker: 'lifeboat-isolated-vm' });
    expect(error.code).toBe('CONFLICT');
    expect(error.message).toContain(
      'C:\\ProgramData\\Microsoft\\Windows\\Hyper-V\\lifeboat-drill-FS01 was left: it carries no Lifeboat marker',
    );
    expect(error.fix).toMatch(/delete it by hand/);

    const owned = new ReplayPowerShellRunner({ [scripts.removeVm]: written('remove-owned.json') });
    await expect(new HypervHost(LOCAL, owned).removeVm(VM)).resolves.toBeUndefined();
  });

  it('the removal script checks the marker, never touches the host’s VM and VHD folders, and fails loudly', () => {
    const remove = script('Remove-LifeboatVm.ps1');
    expect(remove).toContain("Join-Path $candidate 'lifeboat-owned.txt'");
    expect(remove).toMatch(/StartsWith\(\[string\]\$p\.marker\)/);
    expect(remove).toMatch(/VirtualMachinePath.*VirtualHardDiskPath/);
    expect(remove).toMatch(/Remove-Item -LiteralPath \$owned -Recurse -Force -ErrorAction Stop/);
    expect(remove).not.toMatch(/Remove-Item[^\n]*SilentlyContinue/);
  });
});
