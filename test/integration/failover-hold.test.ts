import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createLocalClient } from '../../core/contract/dispatch';
import { createService } from '../../core/service';
import { manualClock } from '../helpers/catalog';
import { nextFinishedJobs } from '../helpers/engine';
import { tempDir } from '../helpers/temp';

const PASSPHRASE = 'Tulip-Harbour-93-Gravel-Lantern';

/**
 * VMware Workstation cannot run here: this `vmrun` keeps Workstation's sign of a running VM (the
 * `<vm>.vmx.lck` folder) and plays a guest that ignores the power button, so a planned failover stays in
 * its shutdown step for as long as the test needs it running.
 */
function stubbornVmrun(dir: string): string {
  const file = path.join(dir, 'vmrun');
  fs.writeFileSync(
    file,
    `#!/bin/sh
[ "$1" = "-T" ] && shift 2
case "$1" in
  list) exit 1 ;;
  start) mkdir -p "$2.lck" ;;
  stop) [ "$3" = "soft" ] || rm -rf "$2.lck" ;;
esac
exit 0
`,
    { mode: 0o755 },
  );
  return file;
}

describe('copies while a plan fails over', () => {
  it("holds the VM's copies for as long as its failover runs: Copy now is refused, the scheduler starts none, and both resume after", async () => {
    const dir = tempDir();
    const previous = process.env.LIFEBOAT_VMRUN;
    process.env.LIFEBOAT_VMRUN = stubbornVmrun(dir);
    const clock = manualClock('2026-11-26T09:00:00Z');
    const service = createService({ dataDir: dir, clock, heartbeat: false, operator: 'alice' });
    try {
      const client = createLocalClient(service.api);
      const settings = await client.completeFirstRun({
        organisation: 'Acme',
        vault: { kind: 'folder', path: path.join(dir, 'vault') },
        passphrase: PASSPHRASE,
      });
      const lab = await client.createSampleLab({});
      const dc = (await client.listVms()).find((vm) => vm.name === 'lab-dc01')!;
      await client.createPolicy({ name: 'Servers', vmIds: [dc.id], targetId: settings.vault!.id, rpoMinutes: 15 });
      const plan = await client.createPlan({ name: 'Office', groups: [{ name: 'All', vms: [{ vmId: dc.id }] }] });
      fs.mkdirSync(path.join(lab.folder, 'lab-dc01', 'lab-dc01.vmx.lck'), { recursive: true }); // it runs

      const { failoverId } = await client.startFailover({
        planId: plan.id,
        mode: 'planned',
        confirm: 'Office',
        shutdownTimeoutSeconds: 3600,
      });
      await expect(client.runNow({ vmId: dc.id })).rejects.toMatchObject({
        code: 'PLAN_BUSY',
        message: expect.stringContaining('lab-dc01 (plan "Office") is failing over or back'),
        fix: expect.stringContaining('Wait until the failover or failback finishes'),
      });
      clock.advanceMinutes(30); // long overdue: the scheduler would copy it now
      service.tick();
      expect((await client.listJobs({})).filter((job) => job.kind === 'replication')).toEqual([]);

      const ended = nextFinishedJobs(service, 1);
      await client.cancelJob({ id: failoverId });
      expect((await ended)[0]).toMatchObject({ jobId: failoverId, status: 'cancelled' });
      service.tick();
      expect((await client.listJobs({})).filter((job) => job.kind === 'replication').map((job) => job.vmId)).toEqual([dc.id]);
    } finally {
      await service.close();
      if (previous === undefined) delete process.env.LIFEBOAT_VMRUN;
      else process.env.LIFEBOAT_VMRUN = previous;
    }
  }, 60_000);
});
