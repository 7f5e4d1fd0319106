import type { ConsoleApi } from '../contract/api';
import type { ServiceContext } from '../service-context';
import { VaultHealthMonitor } from './vault-health';

/** The vault health check runs at launch and on every heartbeat; the console can also ask for one now. */
export function vaultHealthApi(ctx: ServiceContext): Pick<ConsoleApi, 'listVaultHealth' | 'checkVaults'> {
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
