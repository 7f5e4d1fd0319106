import type { ConsoleApi } from './contract/api';
import type { EventListener } from './contract/events';
import type { Settings } from './contract/types';
import { LifeboatError } from './contract/errors';
import { systemClock, type Clock } from './clock';
import { suggestedVaultPath } from './data-dir';
import { EventBus } from './event-bus';
import { KeyFileSecretBox } from './secrets/key-file-box';
import type { SecretBox } from './secrets/secret-box';
import { openCatalog, schemaVersion, type Db } from './store/database';
import { SecretsStore } from './store/secrets';
import { SettingsStore } from './store/settings';
import { catalogCounts } from './store/stats';
import { TargetsStore } from './store/targets';
import { VERSION } from './version';

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
  close(): void;
}

export const VAULT_PASSPHRASE_SECRET = 'vault-passphrase';
const DEFAULT_VAULT_NAME = 'Primary vault';

/** Builds the engine from one config. The only constructor of the ConsoleApi implementation. */
export function createService(config: ServiceConfig): LifeboatService {
  const clock = config.clock ?? systemClock;
  const db = openCatalog(config.dataDir);
  const box = config.secretBox ?? new KeyFileSecretBox(config.dataDir);
  const stores = {
    settings: new SettingsStore(db),
    targets: new TargetsStore(db),
    secrets: new SecretsStore(db, box),
  };
  const bus = new EventBus();
  const startedAt = clock.now().toISOString();

  const readSettings = (): Settings => ({
    organisation: stores.settings.get('organisation') ?? null,
    vault: stores.targets.getDefault(),
    passphraseStored: stores.secrets.has(VAULT_PASSPHRASE_SECRET),
    firstRunComplete: stores.settings.get('firstRunCompletedAt') !== undefined,
    dataDir: config.dataDir,
    suggestedVaultPath: suggestedVaultPath(),
  });

  const changed = (): Settings => {
    const settings = readSettings();
    bus.emit({ type: 'settings.changed', settings });
    return settings;
  };

  const api: ConsoleApi = {
    async getStatus() {
      return {
        version: VERSION,
        dataDir: config.dataDir,
        schemaVersion: schemaVersion(db),
        firstRunComplete: stores.settings.get('firstRunCompletedAt') !== undefined,
        organisation: stores.settings.get('organisation') ?? null,
        counts: catalogCounts(db),
        startedAt,
      };
    },

    async getSettings() {
      return readSettings();
    },

    async completeFirstRun(input) {
      const now = clock.now();
      inTransaction(db, () => {
        stores.settings.set('organisation', input.organisation, now);
        stores.targets.setDefault(DEFAULT_VAULT_NAME, input.vault, now);
        stores.secrets.put(VAULT_PASSPHRASE_SECRET, 'Vault passphrase for scheduled runs', input.passphrase, now);
        stores.settings.set('firstRunCompletedAt', now.toISOString(), now);
      });
      return changed();
    },

    async updateSettings(input) {
      if (stores.settings.get('firstRunCompletedAt') === undefined) {
        throw new LifeboatError('NOT_SET_UP', 'Lifeboat has not been set up yet.', {
          fix: 'Finish the first-run wizard first.',
        });
      }
      stores.settings.set('organisation', input.organisation, clock.now());
      return changed();
    },
  };

  return {
    api,
    dataDir: config.dataDir,
    subscribe: (listener) => bus.subscribe(listener),
    close: () => db.close(),
  };
}

function inTransaction(db: Db, work: () => void): void {
  db.transaction(work)();
}
