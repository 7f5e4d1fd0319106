import type { ConsoleApi } from '../contract/api';
import { LifeboatError } from '../contract/errors';
import { storedCredentials } from '../vault/target-credentials';
import type { RoomDeps } from '../service-context';
import { RecoveryPointsStore } from '../store/recovery-points';
import { VAULT_PASSPHRASE_SECRET } from '../contract/secret-ids';
import { readAuditAnchor } from '../vault/audit-anchor';
import { Vault } from '../vault/vault';
import type { AnchorToCheck } from './log';
import { readWorkbookAnchor } from './workbook-anchor';

/** What this module needs from the engine (see RoomDeps). */
export type AuditDeps = RoomDeps<'audit' | 'db' | 'secrets' | 'targets'>;

export function auditApi(ctx: AuditDeps): Pick<ConsoleApi, 'listAuditEvents' | 'verifyAudit'> {
  return {
    async listAuditEvents(input) {
      return ctx.audit.list(input);
    },
    async verifyAudit(input) {
      const { anchors, unchecked } = await vaultAnchors(ctx);
      if (input.workbook) {
        const anchor = await readWorkbookAnchor(input.workbook);
        if (!anchor) {
          throw new LifeboatError('INVALID_INPUT', `${input.workbook} holds no audit anchor.`, {
            fix: 'Give a workbook exported by Lifeboat (its Audit log sheet starts with "Audit anchor: entry …").',
            field: 'workbook',
          });
        }
        anchors.push({ source: `the workbook ${input.workbook}`, ...anchor });
      }
      return { ...ctx.audit.verify(anchors), anchorsUnchecked: unchecked };
    },
  };
}

/** The anchor in every vault target that has one; a vault that cannot be read is named as not checked. */
async function vaultAnchors(ctx: AuditDeps): Promise<{ anchors: AnchorToCheck[]; unchecked: string[] }> {
  const anchors: AnchorToCheck[] = [];
  const unchecked: string[] = [];
  const passphrase = ctx.secrets.has(VAULT_PASSPHRASE_SECRET) ? ctx.secrets.get(VAULT_PASSPHRASE_SECRET) : undefined;
  for (const target of ctx.targets.list()) {
    if (!passphrase) {
      unchecked.push(`the vault "${target.name}" (the vault passphrase is not stored here)`);
      continue;
    }
    let vault: Vault | null = null;
    try {
      vault = await Vault.open(target.location.path, passphrase, { credentials: storedCredentials(ctx, target.id), readOnly: true });
      const anchor = await readAuditAnchor(vault);
      if (anchor)
        anchors.push({ source: `the anchor in the vault "${target.name}" (written ${anchor.time})`, seq: anchor.seq, hash: anchor.hash });
    } catch (error) {
      // A vault never used yet holds no anchor; any other failure leaves that anchor unchecked, not passed.
      const neverUsed =
        error instanceof LifeboatError &&
        error.code === 'VAULT_NOT_FOUND' &&
        new RecoveryPointsStore(ctx.db).listForTarget(target.id).length === 0;
      if (!neverUsed) unchecked.push(`the vault "${target.name}" (${(error as Error).message})`);
    } finally {
      await vault?.close().catch(() => undefined);
    }
  }
  return { anchors, unchecked };
}
