import { seal, unseal } from './block-codec';
import { isNotFound } from './backends/types';
import type { VaultCore } from './vault-core';

/** Where a vault keeps the engine's audit anchor: one small sealed object, rewritten with every copy. */
export const AUDIT_ANCHOR_KEY = 'audit-anchor';
const AAD = Buffer.from('lifeboat-audit-anchor-v1');

/** The end of the engine's audit log as it stood when a copy finished: entry `seq` had hash `hash`. */
export interface AuditAnchor {
  seq: number;
  hash: string;
  /** The first entry carrying a MAC (entries before it predate keyed entries). */
  keyedFrom: number;
  time: string;
}

/**
 * Sealed with the vault's own key: whoever can write the catalog but not open the vault cannot forge one,
 * so a rewritten or shortened audit log disagrees with the anchor in every vault it copies to.
 */
export async function writeAuditAnchor(vault: VaultCore, anchor: AuditAnchor): Promise<void> {
  await vault.backend.put(AUDIT_ANCHOR_KEY, seal(vault.keys.encKey, Buffer.from(JSON.stringify(anchor)), AAD));
}

/** The vault's anchor, or null when none was written yet; a damaged one throws (it does not open). */
export async function readAuditAnchor(vault: VaultCore): Promise<AuditAnchor | null> {
  let sealed: Buffer;
  try {
    sealed = await vault.backend.get(AUDIT_ANCHOR_KEY);
  } catch (error) {
    if (isNotFound(error)) return null;
    throw error;
  }
  return JSON.parse(unseal(vault.keys.encKey, sealed, AAD).toString('utf8')) as AuditAnchor;
}
