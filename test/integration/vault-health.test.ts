import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createLocalClient } from '../../core/contract/dispatch';
import { statusSentence } from '../../core/contract/status-sentence';
import { createService } from '../../core/service';
import { manualClock } from '../helpers/catalog';
import { nextFinishedJobs } from '../helpers/engine';
import { tempDir } from '../helpers/temp';

const PASSPHRASE = 'Tulip-Harbour-93-Gravel-Lantern';

/** Apparent bytes of a folder as `du -sb` counts them: the figure the Dashboard must match. */
const du = (dir: string): number => Number(execFileSync('du', ['-sb', dir], { encoding: 'utf8' }).split('\t')[0]);

async function protectedLab(vmNames: string[]) {
  const dir = tempDir();
  const clock = manualClock(new Date().toISOString());
  const service = createService({ dataDir: dir, clock, heartbeat: false, operator: 'alice' });
  const client = createLocalClient(service.api);
  const vaultDir = path.join(dir, 'vault');
  const settings = await client.completeFirstRun({
    organisation: 'Acme',
    vault: { kind: 'folder', path: vaultDir },
    passphrase: PASSPHRASE,
  });
  await client.vaultInit({});
  const lab = await client.createSampleLab({});
  const vms = (await client.listVms()).filter((vm) => vmNames.includes(vm.name));
  await client.createPolicy({ name: 'Lab', vmIds: vms.map((vm) => vm.id), targetId: settings.vault!.id, rpoMinutes: 60 });
  return { dir, clock, service, client, vaultDir, labFolder: lab.folder, vms };
}

describe('vault health on the heartbeat', () => {
  it('turns red within one heartbeat when the vault folder is deleted, fails the next copy at once without creating anything, and measures bytes as du does', async () => {
    const { service, client, vaultDir } = await protectedLab(['lab-dc01']);
    const first = nextFinishedJobs(service, 1);
    await service.startBackground();
    expect((await first).map((e) => e.status)).toEqual(['succeeded']);

    const [healthy] = await client.checkVaults({});
    expect(healthy).toMatchObject({ state: 'ok', problem: null });
    expect(healthy!.bytesUsed).toBe(du(vaultDir));
    expect(healthy!.freeBytes).toBeGreaterThan(0);
    expect(statusSentence(await client.getRpoStatus({})).tone).toBe('ok');

    fs.rmSync(vaultDir, { recursive: true });
    service.tick(); // one heartbeat
    const [down] = await client.checkVaults({}); // waits for the heartbeat's check, already running
    expect(down).toMatchObject({ state: 'unavailable' });
    expect(down!.problem).toContain(`There is no vault at ${vaultDir}`);
    expect(down!.fix).toMatch(/Reconnect the share or disk/);
    const [status] = await client.getRpoStatus({});
    expect(status).toMatchObject({ status: 'breach', reason: 'vault' });
    expect(status!.fix).toMatch(/Reconnect/);
    expect(statusSentence([status!])).toEqual({ tone: 'breach', text: '1 VM is not protected: its vault is unavailable (lab-dc01).' });
    const alerts = await client.listAlerts({});
    expect(alerts.map((a) => [a.kind, a.severity])).toEqual([['vault', 'critical']]); // one for the vault, none per VM
    service.tick();
    expect((await client.listAlerts({})).length).toBe(1);

    const failed = nextFinishedJobs(service, 1);
    await client.runNow({});
    const [copy] = await failed;
    expect(copy!.status).toBe('failed');
    expect(copy!.message).toContain('There is no vault at');
    expect(fs.existsSync(vaultDir)).toBe(false); // nothing recreated, no orphan packs
  });

  it('says "not protected yet" in red once a first copy failed, and blue while it is only on its way', async () => {
    const { service, client, labFolder } = await protectedLab(['lab-dc01', 'lab-web01']);
    expect(statusSentence(await client.getRpoStatus({}))).toEqual({
      tone: 'idle',
      text: 'Not protected yet: the first copies of 2 VMs are on the way.',
    });
    // lab-web01 loses its disk: its first copy fails, lab-dc01's succeeds.
    for (const file of fs.readdirSync(path.join(labFolder, 'lab-web01')).filter((f) => f.endsWith('.vmdk')))
      fs.rmSync(path.join(labFolder, 'lab-web01', file));
    const finished = nextFinishedJobs(service, 2);
    await service.startBackground();
    expect((await finished).map((e) => e.status).sort()).toEqual(['failed', 'succeeded']);
    const statuses = await client.getRpoStatus({});
    const web = statuses.find((s) => s.vm === 'lab-web01')!;
    expect(web).toMatchObject({ status: 'breach', reason: 'first-copy', lastPointTime: null });
    expect(web.problem).toMatch(/^Not protected yet: its first copy failed/);
    expect(statusSentence(statuses)).toEqual({ tone: 'breach', text: '1 VM is not protected yet: its first copy failed (lab-web01).' });
    service.tick(); // the watchdog raises on the next heartbeat
    const alerts = await client.listAlerts({});
    expect(alerts.find((a) => a.subject === web.vmId)).toMatchObject({ severity: 'critical', fix: expect.stringMatching(/Copy now/) });
  });
});
