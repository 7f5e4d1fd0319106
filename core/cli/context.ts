import fs from 'node:fs';
import type { Command } from 'commander';
import { LifeboatError } from '../contract/errors';
import type { TargetCredentials } from '../contract/targets';
import { resolveDataDir } from '../data-dir';
import { needsCredentials } from '../vault/backends/open';
import { createService, type LifeboatService } from '../service';

/** What every subcommand gets: the data folder chosen by --data / LIFEBOAT_DATA, and output streams. */
export interface CliContext {
  dataDir(command: Command): string;
  /** Opens the engine on the chosen data folder; the command closes it. */
  openService(command: Command): LifeboatService;
  stdout(text: string): void;
  stderr(text: string): void;
  env: NodeJS.ProcessEnv;
}

export function createCliContext(io: { stdout(text: string): void; stderr(text: string): void }, env: NodeJS.ProcessEnv): CliContext {
  const dataDir = (command: Command): string => resolveDataDir(command.optsWithGlobals<{ data?: string }>().data, env);
  return {
    dataDir,
    openService: (command) => createService({ dataDir: dataDir(command) }),
    stdout: io.stdout,
    stderr: io.stderr,
    env,
  };
}

/** Runs `work` with an open service and always closes it. */
export async function withService<T>(ctx: CliContext, command: Command, work: (service: LifeboatService) => Promise<T>): Promise<T> {
  const service = ctx.openService(command);
  try {
    return await work(service);
  } finally {
    await service.close();
  }
}

/** A secret for a non-interactive command: LIFEBOAT_PASSPHRASE, or the first line of --passphrase-file. */
export function readPassphrase(ctx: CliContext, file: string | undefined): string {
  if (file) {
    try {
      return fs.readFileSync(file, 'utf8').split(/\r?\n/)[0] ?? '';
    } catch (error) {
      throw new LifeboatError('INVALID_INPUT', `Cannot read the passphrase file ${file}.`, {
        fix: 'Check the path and that this account may read it.',
        cause: error,
      });
    }
  }
  const fromEnv = ctx.env.LIFEBOAT_PASSPHRASE;
  if (fromEnv) return fromEnv;
  throw new LifeboatError('INVALID_INPUT', 'No vault passphrase given.', {
    fix: 'Set LIFEBOAT_PASSPHRASE or pass --passphrase-file FILE.',
  });
}

/**
 * Credentials for a cloud location from the environment, read once at the CLI's edge: the engine and the
 * vault never read AZURE_STORAGE_CONNECTION_STRING or AWS_* themselves. Null when they are not set (or the
 * location is a folder).
 */
export function cloudCredentials(location: string, env: NodeJS.ProcessEnv): TargetCredentials | null {
  if (location.startsWith('azblob://') && env.AZURE_STORAGE_CONNECTION_STRING)
    return { connectionString: env.AZURE_STORAGE_CONNECTION_STRING };
  if (location.startsWith('s3://') && env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY) {
    const region = env.AWS_REGION || env.AWS_DEFAULT_REGION;
    return {
      accessKeyId: env.AWS_ACCESS_KEY_ID,
      secretAccessKey: env.AWS_SECRET_ACCESS_KEY,
      ...(env.AWS_ENDPOINT_URL ? { endpoint: env.AWS_ENDPOINT_URL } : {}),
      ...(region ? { region } : {}),
    };
  }
  return null;
}

/** What `lifeboat vault … <location>` opens a cloud vault with: the environment's credentials, which must be set. */
export function vaultCredentials(location: string, env: NodeJS.ProcessEnv): TargetCredentials | null {
  const credentials = cloudCredentials(location, env);
  if (credentials || !needsCredentials(location)) return credentials;
  if (location.trim().startsWith('azblob://')) {
    throw new LifeboatError('INVALID_INPUT', 'AZURE_STORAGE_CONNECTION_STRING is not set.', {
      fix: 'Set it to the storage account connection string (Azure portal: Storage account > Access keys).',
    });
  }
  throw new LifeboatError('INVALID_INPUT', 'AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must be set for an s3:// vault.', {
    fix: 'Set both to an access key allowed to read and write the bucket (and AWS_ENDPOINT_URL for a non-AWS store).',
  });
}
