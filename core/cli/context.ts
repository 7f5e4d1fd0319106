import fs from 'node:fs';
import type { Command } from 'commander';
import { LifeboatError } from '../contract/errors';
import type { TargetCredentials } from '../contract/targets';
import { resolveDataDir } from '../data-dir';
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

/** Credentials for a cloud target from the environment the vault CLI also reads. */
export function cloudCredentials(location: string, env: NodeJS.ProcessEnv): TargetCredentials | null {
  if (location.startsWith('azblob://') && env.AZURE_STORAGE_CONNECTION_STRING) return { connectionString: env.AZURE_STORAGE_CONNECTION_STRING };
  if (location.startsWith('s3://') && env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY) {
    return {
      accessKeyId: env.AWS_ACCESS_KEY_ID,
      secretAccessKey: env.AWS_SECRET_ACCESS_KEY,
      ...(env.AWS_ENDPOINT_URL ? { endpoint: env.AWS_ENDPOINT_URL } : {}),
      ...(env.AWS_REGION ? { region: env.AWS_REGION } : {}),
    };
  }
  return null;
}
