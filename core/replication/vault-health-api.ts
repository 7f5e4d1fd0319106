import type { ConsoleApi } from '../contract/api';
import type { RoomDeps } from '../service-context';
import { VaultHealthMonitor, type VaultHealthDeps } from './vault-health';

/** What this module needs from the engine (see RoomDeps). */
export type VaultHealthApiDeps = RoomDeps<'onClose' | 'onStartBackground' | 'onTick'> & VaultHealthDeps;

/** The vault health check runs at launch and on every heartbeat; the console can also ask for one now. */
export function vaultHealthApi(ctx: VaultHealthApiDeps): Pick<ConsoleApi, 'listVaultHealth' | 'checkVaults'> {
  const monitor = new VaultHealthMonitor(ctx);
  ctx.onStartBackground(() => void monitor.check());
  ctx.onTick(() => void monitor.check());
  ctx.onClose(() => monitor.close());
  return {
    async listVaultHealth() {
      return monitor.list();
    },
    async checkVaults() {
      await monitor.check();
      return monitor.list();
    },
  };
}
