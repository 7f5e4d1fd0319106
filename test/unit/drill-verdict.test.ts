import { describe, expect, it } from 'vitest';
import type { DrillCheck, DrillVmResult } from '../../core/contract/drills';
import { decodeVgaText, findBootFailure, findReadiness } from '../../core/drills/boot-evidence';
import { drillVerdict, vmVerdict } from '../../core/drills/verdict';
import { vmFileName } from '../../core/drills/vm-file-name';
import { openCatalog } from '../../core/store/database';
import { DrillsStore } from '../../core/store/drills';
import { migrations } from '../../core/store/migrations';
import { tempDir } from '../helpers/temp';

const check = (kind: DrillCheck['kind'], status: DrillCheck['status'], detail = ''): DrillCheck => ({
  name: kind,
  kind,
  status,
  detail,
  at: '2026-12-02T10:00:00Z',
});

describe('drill verdicts', () => {
  it('passes a VM only on positive evidence from its guest and every check passed', () => {
    expect(vmVerdict([check('boot', 'passed'), check('vault-verify', 'passed')], true, null).status).toBe('passed');
    // A vault check proves the copy, not the boot.
    expect(vmVerdict([check('vault-verify', 'passed')], true, null)).toMatchObject({
      status: 'unverified',
      unverified: { reason: expect.stringContaining('Nothing from the guest') },
    });
    expect(vmVerdict([check('boot', 'unverified', 'still running'), check('tcp', 'passed')], true, null).status).toBe('passed');
    expect(vmVerdict([check('boot', 'passed'), check('heartbeat', 'skipped', 'QEMU has none')], true, null)).toMatchObject({
      status: 'unverified',
      unverified: { reason: expect.stringContaining('was not run: QEMU has none') },
    });
    expect(vmVerdict([check('boot', 'passed'), check('tcp', 'failed', 'port 8443 refused')], true, null)).toMatchObject({
      status: 'failed',
      failure: 'tcp: port 8443 refused',
    });
    expect(vmVerdict([], false, null)).toMatchObject({ status: 'failed', failure: 'The VM could not be started.' });
  });

  it('makes a drill unverified when no VM failed but one proved nothing, and failed when anything failed', () => {
    const vm = (status: DrillVmResult['status']) => ({ status }) as DrillVmResult;
    expect(drillVerdict([vm('passed'), vm('passed')], false)).toBe('passed');
    expect(drillVerdict([vm('passed'), vm('unverified')], false)).toBe('unverified');
    expect(drillVerdict([vm('unverified'), vm('failed')], false)).toBe('failed');
    expect(drillVerdict([vm('passed')], true)).toBe('failed');
    expect(drillVerdict([], false)).toBe('failed');
  });
});

describe('boot evidence on a console', () => {
  it('finds the readiness line, a login prompt, or the configured text', () => {
    expect(findReadiness('SeaBIOS\nBooting from Hard Disk...\nLIFEBOAT-BOOT-OK dc01\r\n')).toEqual({ line: 'LIFEBOAT-BOOT-OK dc01' });
    expect(findReadiness('Debian GNU/Linux 12 files01 ttyS0\n\nfiles01 login: ')).toEqual({ line: 'files01 login:' });
    expect(findReadiness('Booting from Hard Disk...')).toBeNull();
    expect(findReadiness('[ OK ] Reached target Multi-User System.', 'Reached target Multi-User')).toEqual({
      line: '[ OK ] Reached target Multi-User System.',
    });
  });

  it('names firmware and boot-loader failures in their own words', () => {
    expect(findBootFailure('Booting from Hard Disk...\nBoot failed: not a bootable disk\n\nNo bootable device.')).toBe(
      'Boot failed: not a bootable disk',
    );
    expect(findBootFailure('[    2.1] Kernel panic - not syncing: VFS: Unable to mount root fs on unknown-block(0,0)\n')).toBe(
      'Kernel panic - not syncing: VFS: Unable to mount root fs on unknown-block(0,0)',
    );
    expect(findBootFailure('BOOTMGR is missing\nPress Ctrl+Alt+Del to restart')).toBe('BOOTMGR is missing');
    expect(findBootFailure('drillguest login:')).toBeNull();
  });

  it('reads the VGA text buffer as lines', () => {
    const buffer = Buffer.alloc(4000);
    const put = (row: number, text: string): void => [...text].forEach((c, i) => buffer.writeUInt8(c.charCodeAt(0), (row * 80 + i) * 2));
    put(0, 'SeaBIOS (version 1.16.3)');
    put(2, 'No bootable device.');
    expect(decodeVgaText(buffer)).toBe('SeaBIOS (version 1.16.3)\n\nNo bootable device.');
  });
});

describe('file names of VMs', () => {
  it('are unique by id and readable in any script, never a path', () => {
    const names = [
      'Склад',
      'Бухгалтерия',
      '財務',
      'a,b',
      "x'$(y)",
      '..',
      '../../etc',
      'dc01',
      'dc01',
      'مالية',
      '📦 backup',
      'x'.repeat(255),
    ];
    const files = names.map((name, i) => vmFileName(`vm-${i}`, name));
    expect(new Set(files).size).toBe(names.length);
    for (const file of files) {
      expect(file).not.toMatch(/[/\\]|^\.|,|'|\$/);
      expect(file.length).toBeLessThanOrEqual(81);
    }
    expect(vmFileName('3f2a', 'Склад')).toBe('3f2a-Склад');
    expect(vmFileName('3f2a', '..')).toBe('3f2a');
  });
});

describe('migration of drills recorded before evidence was required', () => {
  it('turns a VM that passed on "still running" unverified, with its drill, and keeps one the guest proved', () => {
    const dir = tempDir();
    const old = openCatalog(dir, { migrations: migrations.slice(0, 7) });
    const insert = old.prepare(
      "INSERT INTO drills (id, plan_id, kind, status, started_at, finished_at, operator, rpo_seconds, rto_seconds, notes, details) VALUES (?, NULL, 'test', 'passed', '2026-11-01T10:00:00Z', '2026-11-01T10:05:00Z', 'alice', 60, 300, NULL, ?)",
    );
    const vm = (name: string, detail: string) => ({
      vmId: name,
      vm: name,
      recoveryPointId: 'p',
      recoveryPointTime: '2026-11-01T09:59:00Z',
      status: 'passed',
      checks: [check('boot', 'passed', detail), check('vault-verify', 'passed', 'ok')],
      screenshot: null,
      recoveredSeconds: 300,
      failure: null,
    });
    const details = (vms: unknown[]) =>
      JSON.stringify({ plan: 'Office', rpoTargetSeconds: 3600, rtoTargetSeconds: 3600, isolation: 'QEMU', cleanupConfirmed: true, vms });
    insert.run(
      'silent',
      details([
        vm('blank', 'The VM was still running 20 s after power-on (this guest prints no boot marker; see the screenshot).'),
        vm('dc01', 'Boot marker seen on the serial console after 0.4 s.'),
      ]),
    );
    insert.run('proven', details([vm('dc01', 'Boot marker seen on the serial console after 0.4 s.')]));
    old.close();

    const db = openCatalog(dir);
    const drills = new DrillsStore(db);
    const silent = drills.get('silent')!;
    expect(silent).toMatchObject({ status: 'unverified', rtoSeconds: null });
    expect(silent.vms.map((v) => v.status)).toEqual(['unverified', 'passed']);
    expect(silent.vms[0]!.checks[0]).toMatchObject({
      status: 'unverified',
      detail: expect.stringContaining('Recorded before Lifeboat required evidence'),
    });
    expect(silent.vms[0]!.unverified?.fix).toContain('TCP check');
    expect(drills.get('proven')).toMatchObject({ status: 'passed', rtoSeconds: 300 });
    db.close();
  });
});
