import { spawn } from 'node:child_process';
import type { S3Credentials } from '../../core/vault/backends/credentials';
import { repoRoot, tempDirManual } from './temp';

export interface S3Server {
  endpoint: string;
  /** For in-process vaults: the credentials value the engine passes. */
  credentials: S3Credentials;
  /** For CLI children: the same credentials as the environment `lifeboat vault` reads. */
  env: NodeJS.ProcessEnv;
  close(): Promise<void>;
}

const MAIN = `
const S3rver = require('s3rver');
const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: process.argv[1] });
server.run().then((address) => console.log('s3rver listening on ' + address.port));
process.on('SIGTERM', () => server.close().then(() => process.exit(0)));
`;

/**
 * s3rver (an S3 API on the local filesystem) in its own process on 127.0.0.1 and a random port — its own
 * process so that tests may block on a CLI child while it answers. Its fixed dev credentials are
 * S3RVER / S3RVER; buckets are created by `vault init`, as against real S3.
 */
export async function startS3(): Promise<S3Server> {
  const data = tempDirManual('lifeboat-s3rver-');
  const child = spawn(process.execPath, ['-e', MAIN, data.dir], { cwd: repoRoot });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const port = await new Promise<number>((resolve, reject) => {
    let output = '';
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      const match = /s3rver listening on (\d+)/.exec(output);
      if (match) resolve(Number(match[1]));
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    void exited.then(() => reject(new Error(`s3rver exited: ${output}`)));
  });
  const endpoint = `http://127.0.0.1:${port}`;
  return {
    endpoint,
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER', endpoint, region: 'us-east-1' },
    env: { AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER', AWS_ENDPOINT_URL: endpoint, AWS_REGION: 'us-east-1' },
    close: async () => {
      child.kill('SIGTERM');
      await exited;
      data.remove();
    },
  };
}
