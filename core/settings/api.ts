import type { ConsoleApi } from '../contract/api';
import { LifeboatError } from '../contract/errors';
import { DEFAULT_COPY_RETRIES, type Settings } from '../contract/types';
import { suggestedVaultPath } from '../data-dir';
import type { RoomDeps } from '../service-context';
import { schemaVersion } from '../store/database';
import { catalogCounts } from '../store/stats';
import { VERSION } from '../version';
import { DEFAULT_LIMITS } from '../jobs/queue';
import { sealTargetCredentials } from '../replication/targets';

export { VAULT_PASSPHRASE_SECRET };

import { VAULT_PASSPHRASE_SECRET } from '../contract/secret-ids';

/** What this module needs from the engine (see RoomDeps). */
export type SettingsDeps = RoomDeps<
  'audit' | 'bus' | 'clock' | 'dataDir' | 'db' | 'jobs' | 'operator' | 'secrets' | 'settings' | 'targets'
> &
  Parameters<typeof sealTargetCredentials>[0];
const DEFAULT_VAULT_NAME = 'Primary vault';

type SettingsApi = Pick<ConsoleApi, 'getStatus' | 'getSettings' | 'completeFirstRun' | 'updateSettings'>;

/** Organisation, the first-run wizard's answers, and engine status. */
export function settingsApi(ctx: SettingsDeps): SettingsApi {
  const startedAt = ctx.clock.now().toISOString();
  const isSetUp = (): boolean => ctx.settings.get('firstRunCompletedAt') !== undefined;

  const readSettings = (): Settings => ({
    organisation: ctx.settings.get('organisation') ?? null,
    vault: ctx.targets.getDefault(),
    passphraseStored: ctx.secrets.has(VAULT_PASSPHRASE_SECRET),
    firstRunComplete: isSetUp(),
    dataDir: ctx.dataDir,
    suggestedVaultPath: suggestedVaultPath(),
    desktop: {
      startAtLogin: ctx.settings.get('startAtLogin') ?? true,
      autoUpdate: ctx.settings.get('autoUpdate') ?? false,
    },
    concurrency: ctx.settings.get('concurrency') ?? DEFAULT_LIMITS,
    copyRetries: ctx.settings.get('copyRetries') ?? DEFAULT_COPY_RETRIES,
  });

  const changed = (): Settings => {
    const settings = readSettings();
    ctx.bus.emit({ type: 'settings.changed', settings });
    return settings;
  };

  return {
    async getStatus() {
      return {
        version: VERSION,
        dataDir: ctx.dataDir,
        schemaVersion: schemaVersion(ctx.db),
        firstRunComplete: isSetUp(),
        organisation: ctx.settings.get('organisation') ?? null,
        counts: catalogCounts(ctx.db),
        startedAt,
      };
    },

    async getSettings() {
      return readSettings();
    },

    async completeFirstRun(input) {
      const now = ctx.clock.now();
      ctx.db.transaction(() => {
        ctx.settings.set('organisation', input.organisation, now);
        const { credentials, ...location } = { credentials: undefined, ...input.vault };
        const target = ctx.targets.setDefault(DEFAULT_VAULT_NAME, location, now);
        if (credentials) sealTargetCredentials(ctx, target.id, DEFAULT_VAULT_NAME, credentials, now);
        ctx.secrets.put(VAULT_PASSPHRASE_SECRET, 'Vault passphrase for scheduled runs', input.passphrase, now);
        ctx.settings.set('firstRunCompletedAt', now.toISOString(), now);
        ctx.audit.append(ctx.operator, 'setup.completed', input.organisation, { vault: location });
      })();
      return changed();
    },

    async updateSettings(input) {
      if (!isSetUp()) {
        throw new LifeboatError('NOT_SET_UP', 'Lifeboat has not been set up yet.', { fix: 'Finish the first-run wizard first.' });
      }
      const now = ctx.clock.now();
      const before = readSettings();
      ctx.db.transaction(() => {
        if (input.organisation !== undefined && input.organisation !== before.organisation) {
          ctx.settings.set('organisation', input.organisation, now);
          ctx.audit.append(ctx.operator, 'settings.changed', 'organisation', { from: before.organisation, to: input.organisation });
        }
        for (const key of ['startAtLogin', 'autoUpdate'] as const) {
          const value = input[key];
          if (value === undefined || value === before.desktop[key]) continue;
          ctx.settings.set(key, value, now);
          ctx.audit.append(ctx.operator, 'settings.changed', key, { from: before.desktop[key], to: value });
        }
        const limits = input.concurrency;
        if (limits && JSON.stringify(limits) !== JSON.stringify(before.concurrency)) {
          ctx.settings.set('concurrency', limits, now);
          ctx.audit.append(ctx.operator, 'settings.changed', 'concurrency', { from: before.concurrency, to: limits });
        }
        if (input.copyRetries !== undefined && input.copyRetries !== before.copyRetries) {
          ctx.settings.set('copyRetries', input.copyRetries, now);
          ctx.audit.append(ctx.operator, 'settings.changed', 'copyRetries', { from: before.copyRetries, to: input.copyRetries });
        }
      })();
      ctx.jobs.pump(); // raised limits start waiting jobs now
      return changed();
    },
  };
}
