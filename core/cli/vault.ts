import fs from 'node:fs';
import { type Command, InvalidArgumentError } from 'commander';
import { LifeboatError } from '../contract/errors';
import { createDiskWriter, openDisk, type Extent, type WriteFormat } from '../disks/index';
import { Vault, type VaultOptions, type VaultProgress, type VaultSecret } from '../vault/index';
import { formatBytes, parseRate, parseSize } from '../contract/units';
import { readPassphrase, vaultCredentials, type CliContext } from './context';

interface SecretOptions {
  passphraseFile?: string;
  recoveryKeyFile?: string;
}

interface TuningOptions {
  packSize?: number;
  workers?: number;
  limitUpload?: number;
  limitDownload?: number;
  progress?: boolean;
  json?: boolean;
}

const sizeOption = (label: string) => (value: string) => {
  try {
    return parseSize(value);
  } catch {
    throw new InvalidArgumentError(`${label} must be a size like 32MiB.`);
  }
};
const rateOption = (value: string) => {
  try {
    return parseRate(value);
  } catch {
    throw new InvalidArgumentError('a rate must look like 20MiB/s.');
  }
};
const countOption = (label: string) => (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`${label} must be a whole number.`);
  return n;
};

function secretOf(ctx: CliContext, options: SecretOptions): VaultSecret {
  if (options.recoveryKeyFile) {
    try {
      return { recoveryKey: fs.readFileSync(options.recoveryKeyFile, 'utf8').trim() };
    } catch (error) {
      throw new LifeboatError('INVALID_INPUT', `Cannot read the recovery key file ${options.recoveryKeyFile}.`, {
        fix: 'Check the path.',
        cause: error,
      });
    }
  }
  return readPassphrase(ctx, options.passphraseFile);
}

function vaultOptions(ctx: CliContext, location: string, options: TuningOptions, readOnly = false): VaultOptions {
  return {
    credentials: vaultCredentials(location, ctx.env),
    tunables: ctx.env,
    readOnly,
    log: (message) => ctx.stderr(`${message}\n`),
    ...(options.packSize ? { packSize: options.packSize } : {}),
    ...(options.workers ? { workers: options.workers } : {}),
    ...(options.limitUpload ? { uploadBytesPerSecond: options.limitUpload } : {}),
    ...(options.limitDownload ? { downloadBytesPerSecond: options.limitDownload } : {}),
  };
}

async function withVault<T>(
  ctx: CliContext,
  location: string,
  options: SecretOptions & TuningOptions,
  work: (vault: Vault) => Promise<T>,
  readOnly = false,
): Promise<T> {
  const vault = await Vault.open(location, secretOf(ctx, options), vaultOptions(ctx, location, options, readOnly));
  try {
    return await work(vault);
  } finally {
    await vault.close();
  }
}

/** Commands that only read open the vault through a read-only view (see VaultOptions.readOnly). */
const READ_ONLY = true;

/** Ctrl+C cancels the run cleanly (what was uploaded stays reusable) instead of killing it mid-write. */
async function cancellable<T>(work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const onSignal = (): void => controller.abort(new LifeboatError('CANCELLED', 'Cancelled by the user.'));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    return await work(controller.signal);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

function progressPrinter(ctx: CliContext, enabled: boolean | undefined): ((progress: VaultProgress) => void) | undefined {
  if (!enabled) return undefined;
  return (p) => {
    const percent = p.bytesTotal > 0 ? ((p.bytesDone / p.bytesTotal) * 100).toFixed(1) : '100.0';
    ctx.stderr(
      `${p.phase}: ${percent}% ${formatBytes(p.bytesDone)} of ${formatBytes(p.bytesTotal)}, ${formatBytes(p.bytesPerSecond)}/s${p.etaSeconds !== null ? `, ${p.etaSeconds} s left` : ''}\n`,
    );
  };
}

function json(ctx: CliContext, value: unknown): void {
  ctx.stdout(JSON.stringify(value, null, 2) + '\n');
}

function addSecretOptions(command: Command): Command {
  return command
    .option('--passphrase-file <file>', 'read the vault passphrase from this file (default: LIFEBOAT_PASSPHRASE)')
    .option('--recovery-key-file <file>', 'open the vault with the recovery key from its recovery kit instead');
}

function addTuningOptions(command: Command): Command {
  return command
    .option('--pack-size <size>', 'target pack size (default 32MiB)', sizeOption('--pack-size'))
    .option('--workers <n>', 'worker threads (default: one per core)', countOption('--workers'))
    .option('--limit-upload <rate>', 'upload bandwidth limit, e.g. 20MiB/s', rateOption)
    .option('--limit-download <rate>', 'download bandwidth limit, e.g. 50MiB/s', rateOption)
    .option('--progress', 'print progress lines to stderr');
}

/** `lifeboat vault …`: the vault engine from scripts, tests and benchmarks. */
export function registerVault(program: Command, ctx: CliContext): void {
  const vault = program
    .command('vault')
    .description('Encrypted, deduplicated recovery points on a folder, azblob://container/prefix or s3://bucket/prefix.');
  registerInit(vault, ctx);
  registerBackupDisk(vault, ctx);
  registerList(vault, ctx);
  registerRestoreDisk(vault, ctx);
  registerVerify(vault, ctx);
  registerPrune(vault, ctx);
  registerForget(vault, ctx);
  registerRecoveryKit(vault, ctx);
  registerUnlock(vault, ctx);
}

/** `vault init`: a new vault at a location. */
function registerInit(vault: Command, ctx: CliContext): void {
  vault
    .command('init')
    .description('Create a vault (the passphrase comes from LIFEBOAT_PASSPHRASE or --passphrase-file).')
    .argument('<location>', 'folder path, azblob://<container>[/<prefix>] or s3://<bucket>[/<prefix>]')
    .option('--passphrase-file <file>', 'read the passphrase from this file')
    .option('--block-size <size>', 'block size (default 1MiB)', sizeOption('--block-size'))
    .option('--json', 'print one JSON document')
    .action(async (location: string, options: { passphraseFile?: string; blockSize?: number; json?: boolean }) => {
      const passphrase = readPassphrase(ctx, options.passphraseFile);
      const created = await Vault.init(location, passphrase, {
        credentials: vaultCredentials(location, ctx.env),
        tunables: ctx.env,
        ...(options.blockSize ? { blockSize: options.blockSize } : {}),
      });
      const result = { location: created.location, id: created.config.id, blockSize: created.config.blockSize };
      await created.close();
      if (options.json) json(ctx, result);
      else
        ctx.stdout(
          `Created vault ${result.id} at ${result.location}. Print its recovery kit now: lifeboat vault recovery-kit ${location}\n`,
        );
    });
}

/** `vault backup-disk`: one disk image as a new recovery point. */
function registerBackupDisk(vault: Command, ctx: CliContext): void {
  addTuningOptions(
    addSecretOptions(
      vault
        .command('backup-disk')
        .description('Back up one disk image (raw, or any format Lifeboat reads) as a new recovery point.')
        .argument('<location>', 'the vault')
        .argument('<disk-file>', 'disk image to back up')
        .requiredOption('--vm <name>', 'VM the disk belongs to')
        .requiredOption('--disk <name>', 'name of the disk within the VM, e.g. disk0')
        .option('--parent <point-id>', 'recovery point this backup derives from (needed with --changed-extents)')
        .option('--changed-extents <file>', 'JSON file: [{"offset":N,"length":N}, …] changed since --parent')
        .option('--json', 'print one JSON document'),
    ),
  ).action(
    async (
      location: string,
      diskFile: string,
      options: SecretOptions & TuningOptions & { vm: string; disk: string; parent?: string; changedExtents?: string },
    ) => {
      const changedExtents = options.changedExtents ? readExtents(options.changedExtents) : undefined;
      const result = await withVault(ctx, location, options, async (open) => {
        const reader = await openDisk(diskFile);
        try {
          return await cancellable((signal) =>
            open.backup(
              {
                vm: options.vm,
                disks: [
                  {
                    name: options.disk,
                    reader,
                    ...(changedExtents ? { changedExtents } : {}),
                    ...(options.parent ? { parent: options.parent } : {}),
                  },
                ],
                metadata: { source: diskFile, format: reader.format },
              },
              { signal, ...withProgress(progressPrinter(ctx, options.progress)) },
            ),
          );
        } finally {
          await reader.close();
        }
      });
      if (options.json) return json(ctx, result);
      const s = result.stats;
      ctx.stdout(
        `Recovery point ${result.id} of ${result.vm} at ${result.time}\n` +
          `  read ${formatBytes(s.bytesRead)} in ${s.seconds.toFixed(1)} s; new ${formatBytes(s.bytesNew)} stored as ${formatBytes(s.bytesStored)} ` +
          `(${s.blocksNew} new, ${s.blocksKnown} known, ${s.blocksZero} zero, ${s.blocksInherited} inherited blocks)\n`,
      );
    },
  );
}

/** `vault list`: the recovery points, damaged ones named. */
function registerList(vault: Command, ctx: CliContext): void {
  addSecretOptions(
    vault
      .command('list')
      .description('List recovery points.')
      .argument('<location>', 'the vault')
      .option('--json', 'print one JSON document'),
  ).action(async (location: string, options: SecretOptions & { json?: boolean }) => {
    const points = await withVault(ctx, location, options, (open) => open.listAll(), READ_ONLY);
    if (options.json) {
      return json(
        ctx,
        points.map((point) => ({
          id: point.id,
          vm: point.vm,
          time: point.time,
          disks: point.disks.map((disk) => ({
            name: disk.name,
            size: disk.size,
            storedBytes: disk.storedBytes,
            referencedBytes: disk.referencedBytes,
          })),
          ...(point.damaged !== undefined ? { damaged: point.damaged } : {}),
        })),
      );
    }
    if (points.length === 0) return ctx.stdout('No recovery points yet.\n');
    for (const point of points) {
      if (point.damaged !== undefined) {
        ctx.stdout(`${point.id}  DAMAGED  ${point.vm || '(VM unknown)'}: ${point.damaged}; see \`lifeboat vault verify ${location}\`\n`);
        continue;
      }
      ctx.stdout(`${point.id}  ${point.time}  ${point.vm}\n`);
      for (const disk of point.disks)
        ctx.stdout(`    ${disk.name.padEnd(16)} ${formatBytes(disk.size).padStart(10)}  stored ${formatBytes(disk.storedBytes)}\n`);
    }
  });
}

/** `vault restore-disk`: one disk of a point into a new disk file. */
function registerRestoreDisk(vault: Command, ctx: CliContext): void {
  addTuningOptions(
    addSecretOptions(
      vault
        .command('restore-disk')
        .description('Restore one disk of a recovery point into a new disk file.')
        .argument('<location>', 'the vault')
        .argument('<point-id>', 'recovery point id (a unique prefix, or "latest")')
        .argument('<disk-name>', 'disk name within the point')
        .argument('<out-file>', 'disk file to create')
        .option('--format <format>', 'output format (raw, or vhdx/vmdk where available)', 'raw')
        .option('--json', 'print one JSON document'),
    ),
  ).action(
    async (
      location: string,
      pointId: string,
      diskName: string,
      outFile: string,
      options: SecretOptions & TuningOptions & { format: string },
    ) => {
      const result = await withVault(
        ctx,
        location,
        options,
        async (open) => {
          const point = await open.resolvePoint(pointId);
          const disk = point.disks.find((candidate) => candidate.name === diskName);
          if (!disk) {
            throw new LifeboatError('NOT_FOUND', `Recovery point ${point.id} has no disk named "${diskName}".`, {
              fix: `Its disks are: ${point.disks.map((candidate) => candidate.name).join(', ') || '(none)'}.`,
            });
          }
          const writer = await createDiskWriter(options.format as WriteFormat, outFile, disk.size);
          return cancellable((signal) =>
            open.restoreDisk(point.id, diskName, writer, { signal, ...withProgress(progressPrinter(ctx, options.progress)) }),
          );
        },
        READ_ONLY,
      );
      if (options.json) return json(ctx, { ...result, file: outFile, format: options.format });
      ctx.stdout(
        `Restored ${result.disk} of ${result.pointId} to ${outFile} (${formatBytes(result.size)}, ${formatBytes(result.bytesWritten)} of data) in ${result.seconds.toFixed(1)} s.\n`,
      );
    },
  );
}

/** `vault verify`: exits 1 naming what is damaged. */
function registerVerify(vault: Command, ctx: CliContext): void {
  addTuningOptions(
    addSecretOptions(
      vault
        .command('verify')
        .description('Check every recovery point can be restored; exits 1 naming the points and disks affected.')
        .argument('<location>', 'the vault')
        .option('--read-data', 'download every pack and check every block')
        .option('--read-data-subset <percent>', 'download this share of packs, e.g. 10%')
        .option('--json', 'print one JSON document'),
    ),
  ).action(async (location: string, options: SecretOptions & TuningOptions & { readData?: boolean; readDataSubset?: string }) => {
    const readData = options.readData ? 'all' : options.readDataSubset ? { fraction: parsePercent(options.readDataSubset) } : 'none';
    const report = await withVault(
      ctx,
      location,
      options,
      (open) => cancellable((signal) => open.verify({ readData, signal, ...withProgress(progressPrinter(ctx, options.progress)) })),
      READ_ONLY,
    );
    if (options.json) json(ctx, report);
    else {
      ctx.stdout(
        `Checked ${report.points} recovery point(s), ${report.disks} disk(s), ${report.blocksChecked} block reference(s); read ${report.packsRead} of ${report.packs} pack(s) (${formatBytes(report.bytesRead)}) in ${report.seconds.toFixed(1)} s.\n`,
      );
      if (report.unreferencedPacks > 0)
        ctx.stdout(`${report.unreferencedPacks} pack(s) are not needed by any recovery point; prune removes them.\n`);
      for (const problem of report.problems) ctx.stdout(`problem: ${problem.message}\n`);
      for (const disk of report.affected)
        ctx.stdout(
          `affected: recovery point ${disk.pointId} (${disk.vm}, ${disk.time}) disk ${disk.disk}: ${disk.badBlocks} bad block(s)\n`,
        );
      if (report.ok) ctx.stdout('No problems found.\n');
    }
    if (!report.ok) {
      const names = report.affected.map((disk) => `${disk.pointId}/${disk.disk}`).join(', ');
      throw new LifeboatError('VAULT_CORRUPT', `Verify found ${report.problems.length} problem(s)${names ? `; affected: ${names}` : ''}.`, {
        fix: 'Back those VMs up again now, and restore from an unaffected recovery point if you need one.',
      });
    }
  });
}

/** `vault prune`: retention, then what nothing needs is deleted. */
function registerPrune(vault: Command, ctx: CliContext): void {
  addSecretOptions(
    vault
      .command('prune')
      .description('Forget recovery points the retention does not keep, and delete data nothing needs.')
      .argument('<location>', 'the vault')
      .option('--keep-last <n>', 'keep the newest N points of each VM', countOption('--keep-last'))
      .option('--keep-daily <n>', 'keep the newest point of each of the last N days', countOption('--keep-daily'))
      .option('--keep-weekly <n>', 'keep the newest point of each of the last N weeks', countOption('--keep-weekly'))
      .option('--keep-monthly <n>', 'keep the newest point of each of the last N months', countOption('--keep-monthly'))
      .option('--keep-yearly <n>', 'keep the newest point of each of the last N years', countOption('--keep-yearly'))
      .option('--dry-run', 'only say what would be removed')
      .option('--json', 'print one JSON document'),
  ).action(
    async (
      location: string,
      options: SecretOptions & {
        keepLast?: number;
        keepDaily?: number;
        keepWeekly?: number;
        keepMonthly?: number;
        keepYearly?: number;
        dryRun?: boolean;
        json?: boolean;
      },
    ) => {
      const policy = {
        ...(options.keepLast !== undefined ? { keepLast: options.keepLast } : {}),
        ...(options.keepDaily !== undefined ? { keepDaily: options.keepDaily } : {}),
        ...(options.keepWeekly !== undefined ? { keepWeekly: options.keepWeekly } : {}),
        ...(options.keepMonthly !== undefined ? { keepMonthly: options.keepMonthly } : {}),
        ...(options.keepYearly !== undefined ? { keepYearly: options.keepYearly } : {}),
      };
      const report = await withVault(ctx, location, options, (open) =>
        cancellable((signal) => open.prune(policy, { signal, dryRun: options.dryRun ?? false })),
      );
      if (options.json) return json(ctx, report);
      ctx.stdout(
        `${report.dryRun ? 'Would forget' : 'Forgot'} ${report.forgotten.length} recovery point(s), kept ${report.kept.length}; ` +
          `${report.dryRun ? 'would delete' : 'deleted'} ${report.packsDeleted} pack(s)` +
          (report.packsRepacked > 0
            ? ` (${report.packsRepacked} rewritten, moving ${formatBytes(report.bytesRepacked)} still needed)`
            : '') +
          `, ${formatBytes(report.bytesFreed)} freed.\n`,
      );
      if (report.packsTooYoung > 0) {
        ctx.stdout(
          `${report.packsTooYoung} unused object(s) younger than the minimum age were left: they may belong to a copy still in flight; a later prune deletes them.\n`,
        );
      }
    },
  );
}

/** `vault forget`: points by id, damaged ones too. */
function registerForget(vault: Command, ctx: CliContext): void {
  addSecretOptions(
    vault
      .command('forget')
      .description(
        'Forget recovery points by id, damaged ones too: deletes their manifests; the next prune deletes the data only they used.',
      )
      .argument('<location>', 'the vault')
      .argument('<point-id...>', 'recovery point ids (a unique prefix of 4+ characters is enough)')
      .option('--json', 'print one JSON document'),
  ).action(async (location: string, pointIds: string[], options: SecretOptions & { json?: boolean }) => {
    const report = await withVault(ctx, location, options, (open) => open.forget(pointIds));
    if (options.json) return json(ctx, report);
    for (const point of report.forgotten) {
      ctx.stdout(`Forgot recovery point ${point.id}${point.damaged ? ' (damaged manifest)' : ` of ${point.vm} at ${point.time}`}.\n`);
    }
    ctx.stdout(`Run \`lifeboat vault prune ${location} …\` to delete the data nothing else uses.\n`);
  });
}

/** `vault recovery-kit`: what opens the vault without this console. */
function registerRecoveryKit(vault: Command, ctx: CliContext): void {
  addSecretOptions(
    vault
      .command('recovery-kit')
      .description('Print the recovery kit: what opens this vault without this console.')
      .argument('<location>', 'the vault'),
  ).action(async (location: string, options: SecretOptions) => {
    ctx.stdout(await withVault(ctx, location, options, (open) => open.recoveryKit(), READ_ONLY));
  });
}

/** `vault unlock`: stale locks broken. */
function registerUnlock(vault: Command, ctx: CliContext): void {
  vault
    .command('unlock')
    .description('Break stale locks left by runs that ended without releasing them.')
    .argument('<location>', 'the vault')
    .option('--all', 'remove every lock, also ones that look alive (only when you know no run is going on)')
    .option('--passphrase-file <file>', 'read the vault passphrase from this file')
    .option('--recovery-key-file <file>', 'open the vault with its recovery key instead')
    .option('--json', 'print one JSON document')
    .action(async (location: string, options: SecretOptions & { all?: boolean; json?: boolean }) => {
      const removed = await withVault(ctx, location, options, (open) => open.unlock(options.all ?? false));
      if (options.json) return json(ctx, { removed });
      if (removed.length === 0) ctx.stdout('No stale locks.\n');
      for (const lock of removed)
        ctx.stdout(`Removed lock of ${lock.operation} on ${lock.host} (pid ${lock.pid}, last seen ${lock.refreshed}).\n`);
    });
}

function withProgress(onProgress: ((progress: VaultProgress) => void) | undefined): { onProgress?: (progress: VaultProgress) => void } {
  return onProgress ? { onProgress } : {};
}

function readExtents(file: string): Extent[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (error) {
    throw new LifeboatError('INVALID_INPUT', `Cannot read changed extents from ${file}.`, {
      fix: 'Give a JSON file: [{"offset":0,"length":65536}, …].',
      cause: error,
    });
  }
  if (
    !Array.isArray(parsed) ||
    !parsed.every((e) => Number.isSafeInteger(e?.offset) && Number.isSafeInteger(e?.length) && e.offset >= 0 && e.length >= 0)
  ) {
    throw new LifeboatError('INVALID_INPUT', `${file} is not a list of {offset, length} byte ranges.`, {
      fix: 'Give a JSON file: [{"offset":0,"length":65536}, …].',
    });
  }
  return parsed as Extent[];
}

function parsePercent(value: string): number {
  const match = /^(\d+(?:\.\d+)?)%?$/.exec(value.trim());
  const percent = match ? Number(match[1]) : NaN;
  if (!(percent > 0 && percent <= 100)) {
    throw new LifeboatError('INVALID_INPUT', `--read-data-subset must be a percentage between 0 and 100 (got "${value}").`, {
      fix: 'For example --read-data-subset 10%.',
    });
  }
  return percent / 100;
}
