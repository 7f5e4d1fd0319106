import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLocalClient } from '../../core/contract/dispatch';
import { createDiskWriter } from '../../core/disks';
import { markerBootSector } from '../../core/disks/marker-mbr';
import { VsphereHost } from '../../core/hypervisors/vsphere/provider';
import { createService } from '../../core/service';
import { startAzurite, type Azurite } from '../helpers/azurite';
import { manualClock } from '../helpers/catalog';
import { nextFinishedJobs, recordAlerts } from '../helpers/engine';
import { tempDir } from '../helpers/temp';
import { startVcsim, VCSIM_PASSWORD, VCSIM_USER, vcsimConnection, type Vcsim } from '../helpers/vcsim';

const PASSPHRASE = 'Tulip-Harbour-93-Gravel-Lantern';

/** The engine with a clock the test moves: runs start when the scheduler's tick says so, never by sleeping. */
async function engine(dir: string) {
  const start = new Date();
  start.setSeconds(0, 0);
  const clock = manualClock(start.toISOString());
  const service = createService({ dataDir: dir, clock, heartbeat: false, operator: 'alice' });
  const client = createLocalClient(service.api);
  const settings = await client.completeFirstRun({
    organisation: 'Acme',
    vault: { kind: 'folder', path: path.join(dir, 'vault') },
    passphrase: PASSPHRASE,
  });
  return { clock, service, client, folderTarget: settings.vault!.id };
}

describe('protection on a schedule', () => {
  it('protects two sample-lab VMs to a folder vault at a 5-minute RPO; the watchdog warns, then breaches, when runs stop', async () => {
    const { clock, service, client, folderTarget } = await engine(tempDir());
    await client.createSampleLab({});
    const vms = (await client.listVms()).filter((vm) => ['lab-dc01', 'lab-web01'].includes(vm.name));
    const policy = await client.createPolicy({ name: 'Lab', vmIds: vms.map((vm) => vm.id), targetId: folderTarget, rpoMinutes: 5 });
    expect(policy.intervalMinutes).toBe(2);
    const alerts = recordAlerts(service);

    let finished = nextFinishedJobs(service, 2);
    await service.startBackground(); // the launch tick starts the first copies
    expect((await finished).map((e) => (e.status === 'succeeded' ? e.status : `${e.status}: ${e.message}`))).toEqual([
      'succeeded',
      'succeeded',
    ]);
    expect((await client.listPoints()).map((p) => p.vm).sort()).toEqual(['lab-dc01', 'lab-web01']);
    expect((await client.getRpoStatus()).map((s) => s.status)).toEqual(['ok', 'ok']);

    clock.advanceMinutes(1);
    service.tick(); // not yet due
    clock.advanceMinutes(1);
    finished = nextFinishedJobs(service, 2);
    service.tick(); // two minutes after the last start: due again
    await finished;
    const points = await client.listPoints();
    expect(points).toHaveLength(4);
    expect(points.every((p) => p.appConsistent)).toBe(true); // powered-off VMs: consistent by nature
    const jobs = await client.listJobs({ limit: 10 });
    expect(jobs.map((j) => j.trigger).sort()).toEqual(['catch-up', 'catch-up', 'schedule', 'schedule']);
    expect((await client.getJob({ id: jobs[0]!.id })).log).toMatch(
      /powered off[\s\S]*Recovery point [0-9a-f]+ committed[\s\S]*Checkpoint released/,
    );

    // The runs stop (paused): the newest points age past 80% of the RPO, then past the RPO.
    await client.setSchedulesPaused({ paused: true });
    clock.advanceMinutes(4.25); // newest points are 4 min 15 s old: over 80% of 5 min
    service.tick();
    expect((await client.getRpoStatus()).map((s) => s.status)).toEqual(['warning', 'warning']);
    clock.advanceMinutes(1); // 5 min 15 s: over the RPO
    service.tick();
    const breach = await client.getRpoStatus();
    expect(breach.map((s) => s.status)).toEqual(['breach', 'breach']);
    expect(alerts.filter((a) => a.startsWith('warning'))).toHaveLength(2);
    expect(alerts.filter((a) => a.startsWith('critical'))).toHaveLength(2);
    expect((await client.listAlerts()).map((a) => a.severity)).toEqual(['critical', 'critical']);
    expect((await client.listJobs({ limit: 20 })).filter((j) => j.status === 'running' || j.status === 'queued')).toEqual([]);
    await service.close();
  });
});

describe('protection of vSphere VMs to Azure Blob (Azurite)', () => {
  let sim: Vcsim;
  let azurite: Azurite;
  beforeAll(async () => {
    [sim, azurite] = await Promise.all([startVcsim(), startAzurite()]);
  });
  afterAll(async () => {
    await Promise.all([sim?.stop(), azurite?.dispose()]);
  });

  it('runs on schedule through snapshots and the datastore, committing points to Azurite, releasing every snapshot', async () => {
    const { clock, service, client } = await engine(tempDir());
    // The simulator's disks are empty placeholders: give two VMs real VMDKs with data.
    const host = await client.addHost({
      kind: 'vsphere',
      address: sim.host,
      port: sim.port,
      scheme: 'http',
      username: VCSIM_USER,
      password: VCSIM_PASSWORD,
    });
    await client.discover({ hostId: host.id });
    const vms = (await client.listVms()).slice(0, 2);
    for (const vm of vms) {
      const file = path.join(sim.datastoreDir, vm.name, 'disk1.vmdk');
      fs.rmSync(file, { force: true });
      const writer = await createDiskWriter('vmdk', file, 8 * 1024 * 1024);
      await writer.write(0, markerBootSector(`LIFEBOAT-BOOT-OK ${vm.name}`));
      await writer.write(3 * 1024 * 1024, Buffer.alloc(256 * 1024, vm.name));
      await writer.close();
    }
    const azure = await client.addTarget({
      name: 'Azure',
      location: 'azblob://lifeboat-test/office',
      credentials: { connectionString: azurite.connectionString },
    });
    expect(azure).toMatchObject({ hasCredentials: true, location: { kind: 'azure', path: 'azblob://lifeboat-test/office' } });
    expect(JSON.stringify(await client.listTargets())).not.toContain('AccountKey');
    await client.createPolicy({ name: 'vSphere', vmIds: vms.map((vm) => vm.id), targetId: azure.id, rpoMinutes: 5 });

    let finished = nextFinishedJobs(service, 2);
    await service.startBackground();
    expect((await finished).map((e) => (e.status === 'succeeded' ? e.status : `${e.status}: ${e.message}`))).toEqual([
      'succeeded',
      'succeeded',
    ]);
    clock.advanceMinutes(2);
    finished = nextFinishedJobs(service, 2);
    service.tick();
    expect((await finished).map((e) => (e.status === 'succeeded' ? e.status : `${e.status}: ${e.message}`))).toEqual([
      'succeeded',
      'succeeded',
    ]);

    const points = await client.listPoints();
    expect(points).toHaveLength(4);
    expect(points.every((p) => p.targetId === azure.id)).toBe(true);
    expect((await client.getRpoStatus()).every((s) => s.status === 'ok')).toBe(true);
    const log = (await client.getJob({ id: (await client.listJobs({ limit: 1 }))[0]!.id })).log;
    expect(log).toMatch(/Application-consistent checkpoint taken[\s\S]*committed[\s\S]*Checkpoint released/);
    // Every snapshot the runs took is gone again.
    const vsphere = new VsphereHost(vcsimConnection(sim, { id: 'x' }));
    for (const vm of vms) {
      const props = await vsphere.client.properties(await vsphere.vmRef(vm.externalId), ['snapshot']);
      expect(props.get('snapshot'), vm.name).toBeUndefined();
    }
    await vsphere.close();
    // The points are in Azurite, readable with the vault's own API: the target at that location lends its sealed credentials.
    const listed = await client.vaultList({ location: 'azblob://lifeboat-test/office', passphrase: PASSPHRASE });
    expect(listed.map((p) => p.id).sort()).toEqual(points.map((p) => p.id).sort());
    // A cloud location no target holds credentials for is refused, even with the engine's own environment set.
    process.env.AZURE_STORAGE_CONNECTION_STRING = azurite.connectionString;
    try {
      await expect(client.vaultList({ location: 'azblob://lifeboat-test/elsewhere', passphrase: PASSPHRASE })).rejects.toMatchObject({
        code: 'NOT_SET_UP',
        message: 'No credentials are stored for the vault azblob://lifeboat-test/elsewhere.',
      });
    } finally {
      delete process.env.AZURE_STORAGE_CONNECTION_STRING;
    }
    await service.close();
  });
});
