import { describe, expect, it } from 'vitest';
import { createLocalClient } from '../../core/contract/dispatch';
import { createService } from '../../core/service';
import { openCatalog } from '../../core/store/database';
import { DrillsStore } from '../../core/store/drills';
import { FailoverStateStore } from '../../core/store/failovers';
import { seedHost, seedVm } from '../helpers/catalog';
import { tempDir } from '../helpers/temp';

async function setup() {
  const dir = tempDir();
  const db = openCatalog(dir);
  const host = seedHost(db);
  const dc = seedVm(db, host, 'dc01');
  db.close();
  const service = createService({ dataDir: dir, operator: 'alice' });
  const client = createLocalClient(service.api);
  const plan = await client.createPlan({ name: 'Office', groups: [{ name: 'All', vms: [{ vmId: dc }] }] });
  return { dir, service, client, plan };
}

// The refusals happen before any job starts: nothing is touched when one of them fires.
describe('failover API refusals', () => {
  it('wants the exact plan name, refuses a VM without points or policy, a running drill, and a plan already failed over', async () => {
    const { dir, service, client, plan } = await setup();
    await expect(client.startFailover({ planId: plan.id, mode: 'unplanned', confirm: 'office' })).rejects.toMatchObject({
      code: 'CONFIRMATION_MISMATCH',
      field: 'confirm',
      fix: expect.stringContaining('"Office"'),
    });
    await expect(client.startFailover({ planId: plan.id, mode: 'unplanned', confirm: 'Office' })).rejects.toMatchObject({
      code: 'NO_RECOVERY_POINT',
      message: expect.stringContaining('dc01 has no recovery point'),
    });
    await expect(client.startFailover({ planId: plan.id, mode: 'planned', confirm: 'Office' })).rejects.toMatchObject({
      code: 'NO_RECOVERY_POINT',
      message: expect.stringContaining('dc01 is not in a protection policy'),
    });
    await expect(client.startFailback({ planId: plan.id, confirm: 'Office' })).rejects.toMatchObject({
      code: 'PLAN_BUSY',
      message: expect.stringContaining('is not failed over'),
    });
    await expect(
      client.startFailover({ planId: plan.id, mode: 'unplanned', confirm: 'Office', points: { kind: 'at', time: '2026-01-01T00:00:00Z' } }),
    ).rejects.toMatchObject({ code: 'NO_RECOVERY_POINT', message: expect.stringContaining('at or before 2026-01-01T00:00:00Z') });
    await expect(
      client.startFailover({ planId: plan.id, mode: 'planned', confirm: 'Office', points: { kind: 'latest' } }),
    ).rejects.toMatchObject({ code: 'INVALID_INPUT', field: 'points' });

    const db = openCatalog(dir);
    new DrillsStore(db).save({
      id: 'd1',
      planId: plan.id,
      plan: 'Office',
      kind: 'test',
      status: 'running',
      startedAt: new Date().toISOString(),
      finishedAt: null,
      operator: 'bob',
      notes: null,
      rpoSeconds: null,
      rtoSeconds: null,
      rpoTargetSeconds: 3600,
      rtoTargetSeconds: 3600,
      isolation: '',
      cleanupConfirmed: false,
      vms: [],
    });
    await expect(client.startFailover({ planId: plan.id, mode: 'unplanned', confirm: 'Office' })).rejects.toMatchObject({
      code: 'PLAN_BUSY',
      message: expect.stringContaining('A drill of "Office" is running'),
      fix: expect.stringContaining('Wait for it'),
    });
    db.prepare("UPDATE drills SET status = 'passed' WHERE id = 'd1'").run();

    new FailoverStateStore(db).save({
      planId: plan.id,
      mode: 'unplanned',
      failoverId: 'f1',
      since: '2026-11-25T10:00:00.000Z',
      vms: [
        {
          vmId: 'x',
          vm: 'dc01',
          hostId: null,
          site: 'this machine (QEMU standby)',
          recoveryVmId: '/nowhere',
          pointId: 'p',
          pointTime: '2026-11-25T09:00:00.000Z',
          networks: [],
          diskNames: ['scsi0:0'],
          replica: false,
        },
      ],
    });
    db.close();
    await expect(client.startFailover({ planId: plan.id, mode: 'planned', confirm: 'Office' })).rejects.toMatchObject({
      code: 'PLAN_BUSY',
      message: expect.stringContaining('already failed over'),
      fix: expect.stringContaining('Fail back first'),
    });
    await expect(client.deletePlan({ id: plan.id })).rejects.toMatchObject({ code: 'PLAN_BUSY' });
    expect(await client.listFailoverStates()).toMatchObject([{ plan: 'Office', mode: 'unplanned', vms: [{ vm: 'dc01' }] }]);
    await service.close();
  });

  it('a failover cut short by the engine stopping is marked interrupted and says which sources it shut down', async () => {
    const { dir, service, plan } = await setup();
    await service.close();
    const db = openCatalog(dir);
    const drills = new DrillsStore(db);
    drills.save({
      id: 'f9',
      planId: plan.id,
      plan: 'Office',
      kind: 'planned',
      status: 'running',
      startedAt: new Date().toISOString(),
      finishedAt: null,
      operator: 'bob',
      notes: null,
      rpoSeconds: null,
      rtoSeconds: null,
      rpoTargetSeconds: 3600,
      rtoTargetSeconds: 3600,
      isolation: '',
      cleanupConfirmed: false,
      vms: [],
    });
    const shut = drills.addStep({
      drillId: 'f9',
      seq: 1,
      vm: 'dc01',
      name: 'Shut down the source',
      status: 'running',
      startedAt: new Date().toISOString(),
      finishedAt: null,
      detail: null,
    });
    drills.finishStep(shut.id, 'passed', new Date().toISOString(), 'The guest shut down.');
    db.close();

    const restarted = createService({ dataDir: dir, operator: 'alice' });
    await restarted.startBackground();
    const client = createLocalClient(restarted.api);
    expect(await client.getFailover({ id: 'f9' })).toMatchObject({ status: 'interrupted' });
    const items = (await client.listActionItems()).filter((item) => item.drillId === 'f9');
    expect(items.map((item) => item.description)).toEqual([
      expect.stringContaining('dc01 was shut down at the original host: start it there'),
    ]);
    await restarted.close();
    const again = createService({ dataDir: dir, operator: 'alice' });
    await again.startBackground();
    expect((await createLocalClient(again.api).listActionItems()).filter((item) => item.drillId === 'f9')).toHaveLength(1); // raised once
    await again.close();
  });
});
