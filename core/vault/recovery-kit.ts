import type { RecoveryPointSummary } from './support';
import type { VaultConfig } from './format';

export interface RecoveryKitInput {
  location: string;
  config: VaultConfig;
  recoveryKey: string;
  points: RecoveryPointSummary[];
  printed: Date;
}

/**
 * A printable page (plain text, 80 columns) with everything needed to open the vault without this
 * console: where it is, its recovery key, how to restore with a fresh Lifeboat, and enough of the format
 * to write a reader from scratch.
 */
export function recoveryKitText(input: RecoveryKitInput): string {
  const { config, location } = input;
  const groups = input.recoveryKey.split('-');
  const keyLines: string[] = [];
  for (let i = 0; i < groups.length; i += 6) keyLines.push(`    ${groups.slice(i, i + 6).join('-')}`);
  const latest = input.points.at(-1);
  const vms = [...new Set(input.points.map((point) => point.vm))];
  const locationHint = location.startsWith('azblob://')
    ? 'Set AZURE_STORAGE_CONNECTION_STRING to the storage account connection\n     string (Azure portal > Storage account > Access keys).'
    : location.startsWith('s3://')
      ? 'Set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, and for storage other\n     than AWS, AWS_ENDPOINT_URL.'
      : 'Make the folder reachable (plug in the disk or map the share); a copy\n     of the whole folder works too.';
  return `LIFEBOAT VAULT RECOVERY KIT
===========================

Keep this page in a safe place away from the computers it protects (a safe, a
bank deposit box). Anyone holding it can read every backup in this vault.

  Vault location   ${location}
  Vault id         ${config.id}
  Created          ${config.created}
  Format           ${config.format} version ${config.version}, ${config.blockSize / 1024} KiB blocks
  Printed          ${input.printed.toISOString()}
  Recovery points  ${input.points.length} of ${vms.length} VM(s)${latest ? `; latest ${latest.time} (${latest.vm})` : ''}

RECOVERY KEY (opens the vault without its passphrase)

${keyLines.join('\n')}

TO RESTORE WITH A NEW CONSOLE

  1. Install Lifeboat on any Windows or Linux computer.
  2. ${locationHint}
  3. Type the recovery key into a text file, e.g. key.txt, then:
       lifeboat vault list "${location}" --recovery-key-file key.txt
       lifeboat vault restore-disk "${location}" <point-id> <disk> <out-file> \\
         --format vhdx --recovery-key-file key.txt
  4. In the console, add the vault again and set a new passphrase.

TO READ THE VAULT WITHOUT LIFEBOAT (full spec: core/vault/FORMAT.md)

  The recovery key's first 128 hex digits are the 64-byte master key:
  bytes 0-31 are the AES-256-GCM key, bytes 32-63 the HMAC-SHA256 key of block
  ids. Every sealed object is nonce(12) | ciphertext | tag(16).
  points/<id>        manifest, JSON, AAD "lifeboat-point-v1:<id>"; per disk:
                     size, blockSize, blockList id
  blocklists/<id>    zstd of 32-byte block ids, one per block, zero = zeros;
                     AAD "lifeboat-blocklist-v1:<id>"
  index/<id>         "LBI1", packs and their entries; AAD "lifeboat-index-v1"
  packs/xx/<id>      blobs, then sealed entry table, u32 length, "LBP1";
                     blob AAD = block id; payload zstd (codec 1) or raw (0)
  A disk is its blocks at offset slot * blockSize, in block-list order.
`;
}
