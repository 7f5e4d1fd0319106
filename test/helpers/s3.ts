import type { AddressInfo } from 'node:net';
import S3rver from 's3rver';
import { tempDirManual } from './temp';

export interface S3Server {
  endpoint: string;
  env: NodeJS.ProcessEnv;
  close(): Promise<void>;
}

/**
 * s3rver (an S3 API on the local filesystem) in-process on 127.0.0.1 and a random port. Its fixed dev
 * credentials are S3RVER / S3RVER. Buckets are created by the vault's init, as against real S3.
 */
export async function startS3(): Promise<S3Server> {
  const data = tempDirManual('lifeboat-s3rver-');
  const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: data.dir });
  const address = (await server.run()) as AddressInfo;
  const endpoint = `http://127.0.0.1:${address.port}`;
  return {
    endpoint,
    env: { AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER', AWS_ENDPOINT_URL: endpoint, AWS_REGION: 'us-east-1' },
    close: async () => {
      await server.close();
      data.remove();
    },
  };
}
