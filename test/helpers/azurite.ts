import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { repoRoot, tempDirManual } from './temp';

const AZURITE = path.join(repoRoot, 'node_modules', 'azurite', 'dist', 'src', 'blob', 'main.js');
/** Azurite's well-known development account (public, documented by Microsoft). */
const ACCOUNT = 'devstoreaccount1';
const KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export interface Azurite {
  connectionString: string;
  port: number;
  /** Stops the emulator (connections are refused from then on), keeping its data for start(). */
  stop(): Promise<void>;
  /** Starts it again on the same port and data folder. */
  start(): Promise<void>;
  /** Stops it and removes its data. */
  dispose(): Promise<void>;
}

/** Azurite's blob service on 127.0.0.1, a random free port and a temp folder; ready when it says it listens. */
export async function startAzurite(): Promise<Azurite> {
  const port = await freePort();
  const data = tempDirManual('lifeboat-azurite-');
  let child: ChildProcessWithoutNullStreams | null = null;

  const start = (): Promise<void> =>
    new Promise((resolve, reject) => {
      const process_ = spawn(
        process.execPath,
        [
          AZURITE,
          '--blobHost',
          '127.0.0.1',
          '--blobPort',
          String(port),
          '--location',
          data.dir,
          '--silent',
          '--skipApiVersionCheck',
          '--disableTelemetry',
        ],
        { cwd: data.dir },
      );
      child = process_;
      let output = '';
      const onData = (chunk: Buffer): void => {
        output += chunk.toString();
        if (output.includes('successfully listens')) resolve();
      };
      process_.stdout.on('data', onData);
      process_.stderr.on('data', onData);
      process_.once('exit', (code) => reject(new Error(`azurite exited (${code}): ${output}`)));
    });

  const stop = async (): Promise<void> => {
    const running = child;
    child = null;
    if (!running || running.exitCode !== null) return;
    const exited = new Promise((resolve) => running.once('exit', resolve));
    // Gracefully: Azurite saves its metadata on the way out, so a restart finds the blobs again.
    running.kill('SIGTERM');
    await exited;
  };

  await start();
  return {
    port,
    connectionString: `DefaultEndpointsProtocol=http;AccountName=${ACCOUNT};AccountKey=${KEY};BlobEndpoint=http://127.0.0.1:${port}/${ACCOUNT};`,
    stop,
    start,
    dispose: async () => {
      await stop();
      data.remove();
    },
  };
}
