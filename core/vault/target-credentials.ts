import type { ServiceContext } from '../service-context';
import type { BackendCredentials } from './backends/credentials';

/**
 * How a target's cloud credentials are sealed: a JSON record under the variable names the CLI reads
 * (AZURE_STORAGE_CONNECTION_STRING, AWS_*). The format every sealed secret on disk already has; only this
 * module reads or writes it, and nothing merges it into an environment any more.
 */
type SealedRecord = Partial<
  Record<'AZURE_STORAGE_CONNECTION_STRING' | 'AWS_ACCESS_KEY_ID' | 'AWS_SECRET_ACCESS_KEY' | 'AWS_ENDPOINT_URL' | 'AWS_REGION', string>
>;

export function sealedCredentialsText(credentials: BackendCredentials): string {
  const record: SealedRecord =
    'connectionString' in credentials
      ? { AZURE_STORAGE_CONNECTION_STRING: credentials.connectionString }
      : {
          AWS_ACCESS_KEY_ID: credentials.accessKeyId,
          AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
          ...(credentials.endpoint ? { AWS_ENDPOINT_URL: credentials.endpoint } : {}),
          ...(credentials.region ? { AWS_REGION: credentials.region } : {}),
        };
  return JSON.stringify(record);
}

export function credentialsFromSealed(text: string): BackendCredentials | null {
  const record = JSON.parse(text) as SealedRecord;
  if (record.AZURE_STORAGE_CONNECTION_STRING) return { connectionString: record.AZURE_STORAGE_CONNECTION_STRING };
  if (record.AWS_ACCESS_KEY_ID && record.AWS_SECRET_ACCESS_KEY) {
    return {
      accessKeyId: record.AWS_ACCESS_KEY_ID,
      secretAccessKey: record.AWS_SECRET_ACCESS_KEY,
      ...(record.AWS_ENDPOINT_URL ? { endpoint: record.AWS_ENDPOINT_URL } : {}),
      ...(record.AWS_REGION ? { region: record.AWS_REGION } : {}),
    };
  }
  return null;
}

/**
 * The credentials sealed for a target, by its id; null when none are stored (a folder target, or a cloud
 * one whose vault then refuses to open: NOT_SET_UP, never the engine's own environment).
 */
export function storedCredentials(ctx: Pick<ServiceContext, 'targets' | 'secrets'>, targetId: string): BackendCredentials | null {
  const id = ctx.targets.credentialsSecretId(targetId);
  const sealed = id ? ctx.secrets.get(id) : undefined;
  return sealed ? credentialsFromSealed(sealed) : null;
}
