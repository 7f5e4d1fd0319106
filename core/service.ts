import type { ConsoleApi } from './contract/api';
import type { EventListener } from './contract/events';
import { systemClock, type Clock } from './clock';
import { EventBus } from './event-bus';
import { KeyFileSecretBox } from './secrets/key-file-box';
import type { SecretBox } from './secrets/secret-box';
import type { ServiceContext } from './service-context';
import { settingsApi } from './settings/api';
import { vaultApi } from './vault/api';
import { openCatalog } from './store/database';
import { SecretsStore } from './store/secrets';
import { SettingsStore } from './store/settings';
import { TargetsStore } from './store/targets';

export interface ServiceConfig {
  dataDir: string;
  /** Electron passes its safeStorage box; headless modes default to the data folder's key file. */
  secretBox?: SecretBox;
  clock?: Clock;
}

export interface LifeboatService {
  readonly api: ConsoleApi;
  readonly dataDir: string;
  subscribe(listener: EventListener): () => void;
  close(): Promise<void>;
}

export { VAULT_PASSPHRASE_SECRET } from './settings/api';

/**
 * Builds the engine from one config: opens the catalog, then lets each domain contribute its slice of the
 * ConsoleApi. The compiler checks that the slices together implement every method of the contract.
 */
export function createService(config: ServiceConfig): LifeboatService {
  const db = openCatalog(config.dataDir);
  const secretBox = config.secretBox ?? new KeyFileSecretBox(config.dataDir);
  const cleanups: (() => void | Promise<void>)[] = [];
  const bus = new EventBus();
  const ctx: ServiceContext = {
    dataDir: config.dataDir,
    db,
    clock: config.clock ?? systemClock,
    bus,
    secretBox,
    settings: new SettingsStore(db),
    targets: new TargetsStore(db),
    secrets: new SecretsStore(db, secretBox),
    onClose: (cleanup) => cleanups.push(cleanup),
  };

  const api: ConsoleApi = {
    ...settingsApi(ctx),
    ...vaultApi(ctx),
  };

  let closing: Promise<void> | null = null;
  return {
    api,
    dataDir: config.dataDir,
    subscribe: (listener) => bus.subscribe(listener),
    close: () =>
      (closing ??= (async () => {
        for (const cleanup of cleanups.reverse()) await cleanup();
        db.close();
      })()),
  };
}
