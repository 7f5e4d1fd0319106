import { describe, expect, it } from 'vitest';
import { createLocalClient } from '../../core/contract/dispatch';
import { createService } from '../../core/service';
import { openCatalog } from '../../core/store/database';
import { manualClock, seedHost, seedVm } from '../helpers/catalog';
import { tempDir } from '../helpers/temp';

async function setup() {
  const dir = tempDir();
  const clock = manualClock('2026-11-25T10:00:00Z');
  const service = createService({ dataDir: dir, clock, operator: 'alice' });
  const client = createLocalClient(service.api);
  const settings = await client.completeFirstRun({
    organisation: 'Acme',
    vault: { kind: 'folder', path: '/srv/vault' },
    passphrase: 'Tulip-Harbour-93-Gravel-Lantern',
  });
  const db = openCatalog(dir);
  const host = seedHost(db);
  const web = seedVm(db, host, 'web01');
  const sql = seedVm(db, host, 'sql01');
  db.close();
  return { service, client, clock, targetId: settings.vault!.id, web, sql };
}

describe('protection policies', () => {
  it('creates a policy with defaults, audits it, and reports RPO as pending until a first point', async () => {
    const { service, client, clock, targetId, web } = await setup();
    const policy = await client.createPolicy({ name: 'Office servers', vmIds: [web], targetId, rpoMinutes: 15 });
    expect(policy).toMatchObject({
      rpoMinutes: 15,
      intervalMinutes: 7,
      schedule: null,
      consistency: 'prefer',
      enabled: true,
      retention: { keepLast: 24, daily: 7 },
    });
    expect(await client.getRpoStatus()).toEqual([
      expect.objectContaining({ vm: 'web01', policy: 'Office servers', status: 'pending', ageSeconds: null }),
    ]);
    clock.advanceMinutes(16);
    expect((await client.getRpoStatus())[0]!.status).toBe('breach');
    expect((await client.listAuditEvents())[0]).toMatchObject({ actor: 'alice', action: 'policy.created', subject: 'Office servers' });
    await service.close();
  });

  it('rejects bad policies naming the field and the fix', async () => {
    const { service, client, targetId, web, sql } = await setup();
    await client.createPolicy({ name: 'Office', vmIds: [web], targetId, rpoMinutes: 15 });
    await expect(client.createPolicy({ name: 'Other', vmIds: [web], targetId, rpoMinutes: 15 })).rejects.toMatchObject({
      code: 'INVALID_INPUT',
      field: 'vmIds',
      message: expect.stringContaining('already protected by "Office"'),
    });
    await expect(client.createPolicy({ name: 'office', vmIds: [sql], targetId, rpoMinutes: 15 })).rejects.toMatchObject({ field: 'name' });
    await expect(client.createPolicy({ name: 'Other', vmIds: [sql], targetId: 'nope', rpoMinutes: 15 })).rejects.toMatchObject({
      field: 'targetId',
    });
    await expect(
      client.createPolicy({ name: 'Other', vmIds: [sql], targetId, rpoMinutes: 15, schedule: '99 * * * *' }),
    ).rejects.toMatchObject({ field: 'schedule' });
    await expect(client.createPolicy({ name: 'Other', vmIds: ['ghost'], targetId, rpoMinutes: 15 })).rejects.toMatchObject({
      field: 'vmIds',
    });
    await expect(client.createPolicy({ name: 'Other', vmIds: [sql], targetId, rpoMinutes: 0 })).rejects.toMatchObject({
      field: 'rpoMinutes',
    });
    await service.close();
  });

  it('updates only the given fields and deletes', async () => {
    const { service, client, targetId, web, sql } = await setup();
    const policy = await client.createPolicy({ name: 'Office', vmIds: [web], targetId, rpoMinutes: 15 });
    const changed = await client.updatePolicy({ id: policy.id, vmIds: [web, sql], enabled: false });
    expect(changed).toMatchObject({ name: 'Office', rpoMinutes: 15, enabled: false });
    expect(changed.vmIds.sort()).toEqual([web, sql].sort());
    await client.deletePolicy({ id: policy.id });
    expect(await client.listPolicies()).toEqual([]);
    await expect(client.deletePolicy({ id: policy.id })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await service.close();
  });
});
