import { randomUUID } from 'node:crypto';
import type http from 'node:http';
import { z } from 'zod';

/**
 * The plumbing every simulated Azure Resource Manager route shares: errors in ARM's envelope, request ids,
 * long-running operations polled the way the SDK's @azure/core-lro 2.7 polls them, and zod validation that
 * names the offending property like Compute and Network do.
 *
 * Error envelope and async-operation protocol: the ARM RPC (github.com/Azure/azure-resource-manager-rpc,
 * v1.0/async-api-reference.md): 201/202 with `Azure-AsyncOperation` (status resource: InProgress, then
 * Succeeded/Failed with `error`) and `Location` (202 while running, then the operation's result).
 */

export class ArmError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly target?: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export interface Request {
  method: string;
  /** The path as sent (ARM paths are case-insensitive: match on `lower`, read names from `segments`). */
  path: string;
  lower: string;
  segments: string[];
  query: URLSearchParams;
  apiVersion: string | null;
  body: unknown;
  res: http.ServerResponse;
}

export function requestId(): string {
  return randomUUID();
}

export function send(res: http.ServerResponse, status: number, body?: unknown, headers: Record<string, string> = {}): void {
  const text = body === undefined ? '' : JSON.stringify(body);
  res.writeHead(status, {
    'x-ms-request-id': requestId(),
    'x-ms-correlation-request-id': requestId(),
    'cache-control': 'no-cache',
    ...(body === undefined ? {} : { 'content-type': 'application/json; charset=utf-8' }),
    'content-length': String(Buffer.byteLength(text)),
    ...headers,
  });
  res.end(text);
}

export function sendError(res: http.ServerResponse, error: ArmError): void {
  send(
    res,
    error.status,
    { error: { code: error.code, message: error.message, ...(error.target ? { target: error.target } : {}) } },
    error.headers,
  );
}

/**
 * Parses a request body; a property the schema refuses is answered 400 InvalidParameter naming it the way
 * Compute does ("Required parameter 'disk.properties.creationData' is missing (null)." with `target`).
 */
export function parseBody<T>(schema: z.ZodType<T>, body: unknown, root: string): T {
  const parsed = schema.safeParse(body);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const property = [root, ...(issue?.path ?? []).map(String)].join('.');
  const missing = issue?.code === 'invalid_type' && issue.message.includes('undefined');
  throw new ArmError(
    400,
    'InvalidParameter',
    missing
      ? `Required parameter '${property}' is missing (null).`
      : `The value of parameter '${property}' is invalid: ${issue?.message ?? 'invalid'}.`,
    property,
  );
}

export function notFound(type: string, name: string, resourceGroup: string): ArmError {
  return new ArmError(
    404,
    'ResourceNotFound',
    `The Resource '${type}/${name}' under resource group '${resourceGroup}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix`,
  );
}

interface Operation {
  id: string;
  namespace: string;
  startTime: string;
  endTime?: string;
  /** Becomes true once the work is done: the operation still reports InProgress until it was polled once. */
  finished: boolean;
  polled: boolean;
  result?: { status: number; body?: unknown };
  /** Compute puts a POST's output in the status resource too (properties.output). */
  output?: unknown;
  error?: ArmError;
}

export interface LroStart {
  /** 201 (PUT creating), 200 (PUT updating) or 202 (POST, DELETE). */
  status: number;
  /** The initial response body (PUT: the resource with a non-terminal provisioningState). */
  body?: unknown;
  namespace: 'Microsoft.Compute' | 'Microsoft.Network';
  apiVersion: string;
  /** Network PUTs answer with Azure-AsyncOperation only; everything else also gets a Location monitor. */
  location?: boolean;
  /** The work; its value is what the Location monitor answers once done (default 200 with no body). */
  work: () => Promise<{ status?: number; body?: unknown; output?: unknown } | void>;
}

export class Operations {
  private readonly operations = new Map<string, Operation>();

  constructor(
    private readonly base: () => string,
    private readonly subscriptionId: string,
    private readonly location: string,
  ) {}

  /** Answers the initial request of a long-running operation and runs its work in the background. */
  start(res: http.ServerResponse, start: LroStart): void {
    const operation: Operation = {
      id: randomUUID(),
      namespace: start.namespace,
      startTime: new Date().toISOString(),
      finished: false,
      polled: false,
    };
    this.operations.set(operation.id, operation);
    void start.work().then(
      (result) => {
        operation.result = { status: result?.status ?? 200, body: result?.body };
        operation.output = result?.output;
        operation.finished = true;
        operation.endTime = new Date().toISOString();
      },
      (error: unknown) => {
        operation.error =
          error instanceof ArmError ? error : new ArmError(500, 'InternalExecutionError', String((error as Error)?.message ?? error));
        operation.finished = true;
        operation.endTime = new Date().toISOString();
      },
    );
    const url = `${this.base()}/subscriptions/${this.subscriptionId}/providers/${start.namespace}/locations/${this.location}/operations/${operation.id}`;
    // ARM's async answers carry Retry-After (how long to wait before polling); the simulator's work is done at
    // once, so it says 0 and clients poll at once instead of their 2 s default.
    const headers: Record<string, string> = { 'Azure-AsyncOperation': `${url}?api-version=${start.apiVersion}`, 'Retry-After': '0' };
    if (start.location !== false) headers['Location'] = `${url}?monitor=true&api-version=${start.apiVersion}`;
    send(res, start.status, start.body, headers);
  }

  /** GET .../providers/{namespace}/locations/{location}/operations/{id}[?monitor=true] */
  poll(req: Request, id: string): void {
    const operation = this.operations.get(id);
    if (!operation) throw new ArmError(404, 'NotFound', `The operation '${id}' was not found.`);
    const done = operation.finished && operation.polled;
    operation.polled = true;
    if (req.query.get('monitor') === 'true') {
      if (!done) {
        send(req.res, 202, undefined, { Location: `${this.base()}${req.path}?${req.query.toString()}`, 'Retry-After': '0' });
        return;
      }
      if (operation.error) throw operation.error;
      send(req.res, operation.result?.status ?? 200, operation.result?.body);
      return;
    }
    const status = !done ? 'InProgress' : operation.error ? 'Failed' : 'Succeeded';
    send(
      req.res,
      200,
      {
        name: operation.id,
        status,
        startTime: operation.startTime,
        ...(done ? { endTime: operation.endTime } : {}),
        ...(done && operation.output !== undefined ? { properties: { output: operation.output } } : {}),
        ...(done && operation.error ? { error: { code: operation.error.code, message: operation.error.message } } : {}),
      },
      done ? {} : { 'Retry-After': '0' },
    );
  }
}

export const resourceName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,79}$/);

/** A reference to another resource ({ id }). */
export const subResource = z.object({ id: z.string().startsWith('/subscriptions/') });

/** The id an ARM resource has in this simulator (the key maps use is its lowercase form). */
export function resourceId(subscriptionId: string, resourceGroup: string, type: string, name: string): string {
  return `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}/providers/${type}/${name}`;
}
