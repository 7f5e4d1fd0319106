import { LifeboatError } from '../contract/errors';
import { keys } from './format';
import { VaultLock } from './lock';
import { isUnreadable, vaultError } from './support';
import type { VaultCore } from './vault-core';

export interface ForgetReport {
  /** The points forgotten: id, and VM and time when their manifest was readable. */
  forgotten: { id: string; vm: string | null; time: string | null; damaged: boolean }[];
}

/**
 * Forgets recovery points explicitly, by full id or a unique prefix of 4+ characters: deletes their
 * manifests and nothing else (the next prune deletes the data only they used). Works on points whose
 * manifest is damaged, which is how a vault that prune refuses (see prune.ts) is made prunable again when
 * no copy of the damaged objects exists. Takes the exclusive lock, like prune.
 */
export async function forget(vault: VaultCore, references: readonly string[]): Promise<ForgetReport> {
  let lock: VaultLock | null = null;
  try {
    if (references.length === 0)
      throw new LifeboatError('INVALID_INPUT', 'Name at least one recovery point to forget.', {
        fix: 'Give point ids from `lifeboat vault list <location>`.',
      });
    lock = await VaultLock.acquire(vault.backend, 'exclusive', 'forget', { log: vault.options.log });
    const ids = await vault.pointIds();
    const chosen: string[] = [];
    for (const reference of references) {
      const matches = ids.filter((id) => id === reference || (reference.length >= 4 && id.startsWith(reference)));
      if (matches.length === 0) {
        throw new LifeboatError('NOT_FOUND', `No recovery point "${reference}" in ${vault.location}; nothing was forgotten.`, {
          fix: 'List recovery points with `lifeboat vault list <location>` and use an id from there (a unique prefix of 4+ characters is enough).',
        });
      }
      if (matches.length > 1 && !matches.includes(reference)) {
        throw new LifeboatError('INVALID_INPUT', `"${reference}" matches ${matches.length} recovery points; nothing was forgotten.`, {
          fix: 'Type more characters of the id.',
        });
      }
      const id = matches.includes(reference) ? reference : matches[0]!;
      if (!chosen.includes(id)) chosen.push(id);
    }
    const report: ForgetReport = { forgotten: [] };
    for (const id of chosen) {
      let entry: ForgetReport['forgotten'][number] = { id, vm: null, time: null, damaged: true };
      try {
        const manifest = await vault.readManifest(id);
        entry = { id, vm: manifest.vm, time: manifest.time, damaged: false };
      } catch (error) {
        if (!isUnreadable(error)) throw error;
      }
      await vault.backend.delete(keys.point(id));
      report.forgotten.push(entry);
    }
    return report;
  } catch (error) {
    throw vaultError(error, vault.location);
  } finally {
    await lock?.release();
  }
}
