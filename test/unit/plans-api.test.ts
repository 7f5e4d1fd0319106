import { describe, expect, it } from 'vitest';
import { createLocalClient } from '../../core/contract/dispatch';
import { createService } from '../../core/service';
import { openCatalog } from '../../core/store/database';
import { seedHost, seedVm } from '../helpers/catalog';
import { tempDir } from '../helpers/temp';

function setup() {
  const dir = tempDir();
  const db = openCatalog(dir);
  const host = seedHost(db);
  const [dc, sql, web] = ['dc01', 'sql01', 'web01'].map((name) => seedVm(db, host, name));
  db.close();
  const service = createService({ dataDir: dir, operator: 'alice' });
  return { service, client: createLocalClient(service.api), dc: dc!, sql: sql!, web: web! };
}

describe('recovery plans', () => {
  it('stores boot-order groups with default checks and targets', async () => {
    const { service, client, dc, sql, web } = setup();
    const plan = await client.createPlan({
      name: 'Office',
      groups: [
        { name: 'Directory', vms: [{ vmId: dc }], then: { kind: 'heartbeat', timeoutSeconds: 600 } },
        { name: 'Apps', vms: [{ vmId: sql }, { vmId: web, checks: [{ kind: 'boot' }, { kind: 'tcp', port: 443, timeoutSeconds: 60 }] }] },
      ],
      rtoTargetMinutes: 30,
      schedule: '0 6 1 * *',
    });
    expect(plan.groups.map((g) => g.vms.length)).toEqual([1, 2]);
    expect(plan.groups[1]!.vms[0]!.checks).toEqual([{ kind: 'boot' }, { kind: 'vault-verify' }]);
    expect(plan).toMatchObject({ points: { kind: 'latest' }, drillNetwork: null, rpoTargetMinutes: 60, rtoTargetMinutes: 30 });
    expect((await client.getPlan({ id: plan.id })).groups[1]!.vms[1]!.checks[1]).toEqual({ kind: 'tcp', port: 443, timeoutSeconds: 60 });
    const renamed = await client.updatePlan({ id: plan.id, name: 'Office (all)' });
    expect(renamed.groups).toEqual(plan.groups);
    expect((await client.listAuditEvents())[0]).toMatchObject({ action: 'plan.changed', subject: 'Office (all)' });
    await service.close();
  });

  it('rejects duplicates, unknown VMs and bad schedules, naming the field', async () => {
    const { service, client, dc } = setup();
    await expect(client.createPlan({ name: 'X', groups: [{ name: 'A', vms: [{ vmId: dc }, { vmId: dc }] }] })).rejects.toMatchObject({
      field: 'groups.0.vms.1.vmId',
    });
    await expect(client.createPlan({ name: 'X', groups: [{ name: 'A', vms: [{ vmId: 'ghost' }] }] })).rejects.toMatchObject({
      field: 'groups.0.vms.0.vmId',
    });
    await expect(client.createPlan({ name: 'X', groups: [] })).rejects.toMatchObject({ field: 'groups' });
    await expect(
      client.createPlan({ name: 'X', groups: [{ name: 'A', vms: [{ vmId: dc }] }], schedule: '61 * * * *' }),
    ).rejects.toMatchObject({ field: 'schedule' });
    await service.close();
  });
});
