/**
 * The credentials a cloud backend opens with, as values: a target's sealed credentials, or what the CLI read
 * from its environment once at its edge. Backends never read the environment themselves, so a target
 * without credentials of its own cannot borrow the engine's.
 */
export interface AzureCredentials {
  connectionString: string;
}

export interface S3Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  /** MinIO, Wasabi, a NAS…: path-style addressing is used whenever an endpoint is set. */
  endpoint?: string | undefined;
  region?: string | undefined;
}

export type BackendCredentials = AzureCredentials | S3Credentials;
