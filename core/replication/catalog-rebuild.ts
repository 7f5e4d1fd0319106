import type { ConsoleApi } from '../contract/api';
import { LifeboatError } from '../contract/errors';
import type { RoomDeps } from '../service-context';
import { VAULT_PASSPHRASE_SECRET } from '../contract/secret-ids';
import { PoliciesStore } from '../store/policies';
import { RecoveryPointsStore } from '../store/recovery-points';
import { VmsStore } from '../store/vms';
import { parseLocation } from '../vault/backends/open';
import { Vault } from '../vault/vault';

/** What this module needs from the engine (see RoomDeps). */
export type CatalogRebuildDeps = RoomDeps<'audit' | 'clock' | 'db' | 'operator' | 'secrets' | 'targets'>;

interface PointMetadata {
  vmId?: string;
  policy?: { id: string; name: string; rpoMinutes: number };
  checkpoint?: { kind: string };
}

/**
 * The console machine is lost, the vault is not: every recovery point comes back into the catalog from the
 * vault's manifests, and the policies they were made under come back too once their VMs are in the inventory
 * again (add the hosts first, or run the rebuild again after discovery).
 */
export function catalogRebuildApi(ctx: CatalogRebuildDeps): Pick<ConsoleApi, 'rebuildCatalog'> {
  return {
    async rebuildCatalog({ location, passphrase, credentials }) {
      const secret = passphrase ?? (ctx.secrets.has(VAULT_PASSPHRASE_SECRET) ? ctx.secrets.get(VAULT_PASSPHRASE_SECRET) : undefined);
      if (!secret)
        throw new LifeboatError('NOT_SET_UP', 'The vault passphrase is needed to read the vault.', {
          fix: 'Give it (LIFEBOAT_PASSPHRASE or --passphrase-file), or set Lifeboat up first.',
        });
      // The vault alone is read: the catalog is what gets written.
      const vault = await Vault.open(location, secret, { credentials: credentials ?? null, readOnly: true });
      try {
        const manifests = await vault.manifests();
        const now = ctx.clock.now();
        const resolved = parseLocation(location);
        const path = resolved.kind === 'folder' ? resolved.path : location.trim();
        let target = ctx.targets.findByLocation(path);
        if (!target) {
          target =
            ctx.targets.getDefault() === null
              ? ctx.targets.setDefault(
                  'Primary vault',
                  { kind: resolved.kind === 'folder' ? 'folder' : resolved.kind === 'azblob' ? 'azure' : 's3', path },
                  now,
                )
              : ctx.targets.create(
                  `Vault at ${path}`,
                  { kind: resolved.kind === 'folder' ? 'folder' : resolved.kind === 'azblob' ? 'azure' : 's3', path },
                  null,
                  now,
                );
        }
        const vms = new VmsStore(ctx.db).list();
        const points = new RecoveryPointsStore(ctx.db);
        const policies = new PoliciesStore(ctx.db);
        const wanted = new Map<string, { name: string; rpoMinutes: number; vmIds: Set<string>; missing: Set<string> }>();
        ctx.db.transaction(() => {
          for (const manifest of manifests) {
            const metadata = manifest.metadata as PointMetadata;
            const vm =
              vms.find((candidate) => candidate.id === metadata.vmId) ?? vms.find((candidate) => candidate.name === manifest.vm) ?? null;
            points.upsert({
              id: manifest.id,
              vmId: vm?.id ?? null,
              vmName: manifest.vm,
              targetId: target.id,
              jobId: null,
              time: manifest.time,
              appConsistent: metadata.checkpoint?.kind !== 'crash-consistent',
              sizeBytes: manifest.disks.reduce((sum, disk) => sum + disk.size, 0),
              storedBytes: manifest.disks.reduce((sum, disk) => sum + disk.storedBytes, 0),
              details: {
                checkpointKind: metadata.checkpoint?.kind ?? null,
                disks: manifest.disks.map((d) => ({ name: d.name, sizeBytes: d.size })),
                rebuiltFromVault: true,
              },
            });
            if (metadata.policy) {
              const entry = wanted.get(metadata.policy.name) ?? {
                name: metadata.policy.name,
                rpoMinutes: metadata.policy.rpoMinutes,
                vmIds: new Set<string>(),
                missing: new Set<string>(),
              };
              if (vm) entry.vmIds.add(vm.id);
              else entry.missing.add(manifest.vm);
              wanted.set(metadata.policy.name, entry);
            }
          }
        })();
        const restored: string[] = [];
        const waiting: { policy: string; vms: string[] }[] = [];
        for (const entry of wanted.values()) {
          const free = [...entry.vmIds].filter((vmId) => !policies.policyOfVm(vmId));
          if (policies.findByName(entry.name) || free.length === 0) {
            if (entry.missing.size > 0) waiting.push({ policy: entry.name, vms: [...entry.missing] });
            continue;
          }
          policies.create(
            {
              name: entry.name,
              vmIds: free,
              targetId: target.id,
              rpoMinutes: entry.rpoMinutes,
              schedule: null,
              retention: { keepLast: 24, daily: 7, weekly: 4, monthly: 12, yearly: 0 },
              consistency: 'prefer',
              bandwidth: [],
              enabled: true,
            },
            now,
          );
          restored.push(entry.name);
          if (entry.missing.size > 0) waiting.push({ policy: entry.name, vms: [...entry.missing] });
        }
        ctx.audit.append(ctx.operator, 'catalog.rebuilt', path, { points: manifests.length, policies: restored });
        return { targetId: target.id, points: manifests.length, policiesRestored: restored, waitingForVms: waiting };
      } finally {
        await vault.close();
      }
    },
  };
}
