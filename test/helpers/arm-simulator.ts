import { randomBytes, randomUUID } from 'node:crypto';
import https from 'node:https';
import type { AccessToken, TokenCredential } from '@azure/core-auth';
import { startAzurite, type Azurite } from './azurite';
import { ArmError, Operations, type Request, send, sendError } from './arm-simulator/core';
import { DISK_API_VERSION, diskAccessRoute, diskRoute, snapshotAccessRoute, snapshotRoute } from './arm-simulator/disks';
import { NETWORK_API_VERSION, networkRoute } from './arm-simulator/network';
import { SimState, Storage } from './arm-simulator/state';
import { makeCertificates } from './arm-simulator/tls';
import { COMPUTE_API_VERSION, setBootDiagnostics, usagesRoute, vmActionRoute, vmRoute } from './arm-simulator/vms';
import { tempDirManual } from './temp';

/**
 * An Azure Resource Manager simulator the real SDKs (@azure/arm-compute 25.1.1, @azure/arm-network 39.0.0,
 * @azure/arm-resources 8.0.0) talk to over TLS on 127.0.0.1, as govmomi's simulator stands in for vCenter:
 * a Microsoft Entra token endpoint, one subscription with one resource group, managed disks and snapshots
 * backed by page blobs in Azurite, networks and VMs. Routes name their spec and api-version where they are
 * written (arm-simulator/*.ts).
 *
 * Giving the CA to a client:
 * - SDK clients in this process: `simulatorClientOptions(sim)` (pipeline option `agent: new https.Agent({ ca })`;
 *   `tlsOptions: { ca }` works as well — both are PipelineOptions of @azure/core-rest-pipeline 1.25).
 * - Storage clients on the SAS URLs: none needed, Azurite is plain http on 127.0.0.1.
 * - Child processes (the CLI, the engine): NODE_EXTRA_CA_CERTS=<sim.caFile> in their environment (Node reads it
 *   only at start, so it cannot be set for the running test process).
 */
export interface ArmSimulator {
  armEndpoint: string;
  loginEndpoint: string;
  caFile: string;
  /** PEM text of caFile. */
  ca: string;
  tenantId: string;
  clientId: string;
  clientSecret: string;
  subscriptionId: string;
  resourceGroup: string;
  location: string;
  azurite: Azurite;
  /** Resources now in the resource group (ids), as GET .../resources lists them. */
  resources(): string[];
  /** Requests seen (method, path, api-version, status), for assertions. */
  requests: { method: string; path: string; apiVersion: string | null; status: number }[];
  /** Fault injection for the next matching requests (matched against the path, ARM routes only). */
  inject(
    fault: { match: RegExp; method?: string; times?: number } & (
      { kind: 'throttle'; retryAfterSeconds: number } | { kind: 'error'; status: number; code: string; message: string }
    ),
  ): void;
  /** Every token issued from now on expires after `seconds`; expired ones get 401 ExpiredAuthenticationToken. */
  tokenLifetime(seconds: number): void;
  /** Called when a VM starts (created, or POST start); tests plug a QEMU boot in. Default: it just runs. */
  onStart?: (vm: { id: string; name: string; osDiskBlobUrl: string }) => Promise<void>;
  /** Answers runCommand; without it runCommand fails 409 VMAgentStatusCommunicationError as with no agent. */
  onRunCommand?: (vmName: string, script: string[]) => Promise<{ stdout: string; stderr: string }>;
  /** Called when a running VM stops (powerOff, deallocate, delete); tests stop their QEMU here. */
  onStop?: (vm: { id: string; name: string }) => Promise<void>;
  /**
   * Asked for fresh content each time retrieveBootDiagnosticsData is called (Azure refreshes the screenshot
   * and serial log of a running VM by itself); null keeps what was set last.
   */
  onBootDiagnostics?: (vmName: string) => Promise<{ screenshotPng?: Buffer; serialLog?: string } | null>;
  /** The boot diagnostics retrieveBootDiagnosticsData points at. */
  setBootDiagnostics(vmName: string, content: { screenshotPng?: Buffer; serialLog?: string }): Promise<void>;
  stop(): Promise<void>;
}

type Fault = Parameters<ArmSimulator['inject']>[0] & { left: number };

/** The SDK client options that reach the simulator: endpoint, token scope and the CA. */
export function simulatorClientOptions(sim: ArmSimulator): {
  endpoint: string;
  credentials: { scopes: string[] };
  agent: https.Agent;
  retryOptions: { maxRetries: number; retryDelayInMs: number; maxRetryDelayInMs: number };
} {
  return {
    endpoint: sim.armEndpoint,
    credentials: { scopes: [`${sim.armEndpoint}/.default`] },
    agent: new https.Agent({ ca: sim.ca }),
    // Throttling waits Retry-After whatever these say; they only shorten the waits for 5xx answers.
    retryOptions: { maxRetries: 3, retryDelayInMs: 50, maxRetryDelayInMs: 500 },
  };
}

/** POSTs a form to a URL on the simulator, trusting its CA. */
function postForm(sim: ArmSimulator, url: string, form: Record<string, string>): Promise<{ status: number; body: unknown }> {
  const payload = new URLSearchParams(form).toString();
  return new Promise((resolve, reject) => {
    const request = https.request(
      url,
      {
        method: 'POST',
        ca: sim.ca,
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(payload) },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          const text = Buffer.concat(chunks).toString();
          resolve({ status: response.statusCode ?? 0, body: text ? JSON.parse(text) : undefined });
        });
      },
    );
    request.on('error', reject);
    request.end(payload);
  });
}

/**
 * A client-credentials TokenCredential against the simulator's token endpoint (tests only; the production
 * credential lives in core/).
 */
export function simulatorCredential(sim: ArmSimulator, secret = sim.clientSecret): TokenCredential {
  return {
    async getToken(scopes: string | string[]): Promise<AccessToken> {
      const scope = Array.isArray(scopes) ? scopes.join(' ') : scopes;
      const { status, body } = await postForm(sim, `${sim.loginEndpoint}/${sim.tenantId}/oauth2/v2.0/token`, {
        grant_type: 'client_credentials',
        client_id: sim.clientId,
        client_secret: secret,
        scope,
      });
      const answer = body as { access_token?: string; expires_in?: number; error?: string; error_description?: string };
      if (status !== 200 || !answer.access_token)
        throw new Error(`token request refused (${status} ${answer.error}): ${answer.error_description}`);
      return { token: answer.access_token, expiresOnTimestamp: Date.now() + (answer.expires_in ?? 0) * 1000, tokenType: 'Bearer' };
    },
  };
}

export async function startArmSimulator(options: { vcpuQuota?: number; usedVcpus?: number } = {}): Promise<ArmSimulator> {
  const certs = tempDirManual('lifeboat-armsim-');
  const { caFile, ca, cert, key } = makeCertificates(certs.dir);
  const azurite = await startAzurite();
  const tenantId = randomUUID();
  const clientId = randomUUID();
  const clientSecret = `sim~${randomBytes(18).toString('base64url')}`;
  const subscriptionId = randomUUID();
  const resourceGroup = 'lifeboat-recovery';
  const location = 'westeurope';
  let base = '';
  let lifetime = 3600;
  const tokens = new Map<string, number>(); // token → expiry (ms)
  const faults: Fault[] = [];
  const storage = new Storage(azurite);
  await storage.init();
  const requests: ArmSimulator['requests'] = [];

  const sim = {} as ArmSimulator;
  const state = new SimState(
    subscriptionId,
    resourceGroup,
    location,
    () => base,
    new Operations(() => base, subscriptionId, location),
    storage,
    sim,
    options,
  );

  const rgPrefix = `/subscriptions/${subscriptionId}/resourcegroups/${resourceGroup}`.toLowerCase();
  const apiVersions: [RegExp, string][] = [
    [/\/microsoft\.compute\/(disks|snapshots)\//, DISK_API_VERSION],
    [/\/microsoft\.compute\//, COMPUTE_API_VERSION],
    [/\/microsoft\.network\//, NETWORK_API_VERSION],
    [/^\/subscriptions\/[^/]+\/resourcegroups\//, '2025-04-01'],
  ];

  const token = (req: Request): void => {
    // Microsoft identity platform v2.0 client-credentials grant
    // (learn.microsoft.com/entra/identity-platform/v2-oauth2-client-creds-grant-flow): form POST, JSON answer;
    // errors are { error, error_description: "AADSTSnnnn: ..." }.
    const form = new URLSearchParams(typeof req.body === 'string' ? req.body : '');
    const refuse = (status: number, error: string, description: string): void =>
      send(req.res, status, {
        error,
        error_description: `${description}\r\nTrace ID: ${randomUUID()}\r\nCorrelation ID: ${randomUUID()}\r\nTimestamp: ${new Date().toISOString()}`,
      });
    const tenant = req.segments[0] ?? '';
    if (tenant !== tenantId) return refuse(400, 'invalid_request', `AADSTS90002: Tenant '${tenant}' not found.`);
    if (form.get('grant_type') !== 'client_credentials')
      return refuse(400, 'unsupported_grant_type', 'AADSTS70003: The app requested an unsupported grant type.');
    if (form.get('client_id') !== clientId) {
      return refuse(
        400,
        'unauthorized_client',
        `AADSTS700016: Application with identifier '${form.get('client_id')}' was not found in the directory '${tenantId}'.`,
      );
    }
    if (form.get('client_secret') !== clientSecret) {
      return refuse(
        401,
        'invalid_client',
        `AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${clientId}'.`,
      );
    }
    const scope = form.get('scope') ?? '';
    if (scope !== `${base}/.default` && scope !== 'https://management.azure.com/.default') {
      return refuse(
        400,
        'invalid_scope',
        `AADSTS1002012: The provided value for scope ${scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`,
      );
    }
    const accessToken = randomBytes(32).toString('base64url');
    tokens.set(accessToken, Date.now() + lifetime * 1000);
    send(req.res, 200, { token_type: 'Bearer', expires_in: lifetime, ext_expires_in: lifetime, access_token: accessToken });
  };

  const authenticate = (auth: string | undefined): void => {
    // ARM's answers: learn.microsoft.com/azure/azure-resource-manager/troubleshooting/common-deployment-errors
    const challenge = {
      'WWW-Authenticate': `Bearer authorization_uri="${base}/${tenantId}", error="invalid_token", error_description="The authentication failed."`,
    };
    if (!auth)
      throw new ArmError(
        401,
        'AuthenticationFailed',
        "Authentication failed. The 'Authorization' header is missing.",
        undefined,
        challenge,
      );
    const match = /^Bearer (.+)$/.exec(auth);
    const expiry = match?.[1] ? tokens.get(match[1]) : undefined;
    if (expiry === undefined) throw new ArmError(401, 'InvalidAuthenticationToken', 'The access token is invalid.', undefined, challenge);
    if (expiry <= Date.now()) {
      throw new ArmError(
        401,
        'ExpiredAuthenticationToken',
        `The access token expiry UTC time '${new Date(expiry).toUTCString()}' is earlier than current UTC time '${new Date().toUTCString()}'.`,
        undefined,
        {
          'WWW-Authenticate': `Bearer authorization_uri="${base}/${tenantId}", error="invalid_token", error_description="The access token has expired."`,
        },
      );
    }
  };

  const arm = async (req: Request): Promise<void> => {
    const lower = req.lower;
    const [, , sub] = lower.split('/');
    if (sub !== subscriptionId)
      throw new ArmError(404, 'SubscriptionNotFound', `The subscription '${req.segments[1]}' could not be found.`);
    if (!req.apiVersion)
      throw new ArmError(
        400,
        'MissingApiVersionParameter',
        'The api-version query parameter (?api-version=) is required for all requests.',
      );
    // GET /subscriptions/{s}/providers/{namespace}/locations/{location}/operations/{id}: async operation status,
    // polled with the api-version of the operation that made it (disks and VMs differ).
    let m = /^\/subscriptions\/[^/]+\/providers\/microsoft\.(compute|network)\/locations\/[^/]+\/operations\/[^/]+$/.exec(lower);
    if (m && req.method === 'GET') return state.operations.poll(req, req.segments[7] ?? '');
    const expected = apiVersions.find(([pattern]) => pattern.test(lower))?.[1];
    if (expected && req.apiVersion !== expected) {
      throw new ArmError(
        400,
        'NoRegisteredProviderFound',
        `No registered resource provider found for location '${location}' and API version '${req.apiVersion}' for this type. The supported api-versions are '${expected}'.`,
      );
    }
    m = /^\/subscriptions\/[^/]+\/providers\/microsoft\.compute\/locations\/[^/]+\/usages$/.exec(lower);
    if (m && req.method === 'GET') return usagesRoute(req, state);
    const rg = req.segments[3] ?? '';
    if (/^\/subscriptions\/[^/]+\/resourcegroups\/[^/]+/.test(lower) && !lower.startsWith(`${rgPrefix}/`) && lower !== rgPrefix) {
      throw new ArmError(404, 'ResourceGroupNotFound', `Resource group '${rg}' could not be found.`);
    }
    if (lower === rgPrefix && req.method === 'GET') {
      // arm-resources ResourceGroups_Get, api-version 2025-04-01
      // (specification/resources/resource-manager/Microsoft.Resources/resources/stable/2025-04-01/resources.json)
      return send(req.res, 200, {
        id: `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}`,
        name: resourceGroup,
        type: 'Microsoft.Resources/resourceGroups',
        location,
        properties: { provisioningState: 'Succeeded' },
      });
    }
    if (lower === `${rgPrefix}/resources` && req.method === 'GET') {
      // Resources_ListByResourceGroup, api-version 2025-04-01 (same resources.json)
      return send(req.res, 200, {
        value: [...state.resources.values()].map((r) => ({
          id: r.id,
          name: r.name,
          type: r.type,
          location,
          ...(r.tags ? { tags: r.tags } : {}),
        })),
      });
    }
    const rest = lower.slice(rgPrefix.length);
    const name = req.segments[7] ?? '';
    m = /^\/providers\/microsoft\.compute\/(disks|snapshots)\/[^/]+(?:\/(begingetaccess|endgetaccess))?$/.exec(rest);
    if (m) {
      const action = m[2] ? (m[2] === 'begingetaccess' ? 'begin' : 'end') : undefined;
      if (action && req.method !== 'POST') throw new ArmError(405, 'MethodNotAllowed', `The method ${req.method} is not allowed.`);
      if (m[1] === 'disks') return action ? diskAccessRoute(req, state, name, action) : diskRoute(req, state, name);
      return action ? snapshotAccessRoute(req, state, name, action) : snapshotRoute(req, state, name);
    }
    m = /^\/providers\/microsoft\.compute\/virtualmachines\/[^/]+(?:\/([a-z]+))?$/.exec(rest);
    if (m) return m[1] ? vmActionRoute(req, state, name, m[1]) : vmRoute(req, state, name);
    m = /^\/providers\/microsoft\.network\/(virtualnetworks|networksecuritygroups|networkinterfaces)\/[^/]+$/.exec(rest);
    if (m) return networkRoute(req, state, m[1] as 'virtualnetworks', name);
    throw new ArmError(404, 'InvalidResourceType', `The resource type could not be found in the namespace for path '${req.path}'.`);
  };

  const server = https.createServer({ cert, key }, (incoming, res) => {
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.on('end', () => {
      const url = new URL(incoming.url ?? '/', base);
      const text = Buffer.concat(chunks).toString();
      const req: Request = {
        method: incoming.method ?? 'GET',
        path: url.pathname,
        lower: url.pathname.toLowerCase().replace(/\/$/, ''),
        segments: url.pathname.split('/').slice(1),
        query: url.searchParams,
        apiVersion: url.searchParams.get('api-version'),
        body: undefined,
        res,
      };
      res.on('finish', () => requests.push({ method: req.method, path: req.path, apiVersion: req.apiVersion, status: res.statusCode }));
      void (async () => {
        try {
          if (/^\/[^/]+\/oauth2\/v2\.0\/token$/.test(req.lower) && req.method === 'POST') {
            req.body = text;
            return token(req);
          }
          if (!req.lower.startsWith('/subscriptions/')) throw new ArmError(404, 'NotFound', `No route for ${req.method} ${req.path}.`);
          authenticate(incoming.headers.authorization);
          const fault = faults.find((f) => f.left > 0 && f.match.test(req.path) && (!f.method || f.method.toUpperCase() === req.method));
          if (fault) {
            fault.left -= 1;
            if (fault.kind === 'throttle') {
              // ARM throttling (learn.microsoft.com/azure/azure-resource-manager/management/request-limits-and-throttling)
              const kind = req.method === 'GET' ? 'read' : req.method === 'DELETE' ? 'delete' : 'write';
              throw new ArmError(
                429,
                'SubscriptionRequestsThrottled',
                `Number of '${kind}' requests for subscription '${subscriptionId}' actually exceeded the limit of '12000' for time interval '01:00:00'. Please try again after '${fault.retryAfterSeconds}' seconds.`,
                undefined,
                {
                  'Retry-After': String(fault.retryAfterSeconds),
                  [`x-ms-ratelimit-remaining-subscription-${kind === 'read' ? 'reads' : kind === 'delete' ? 'deletes' : 'writes'}`]: '0',
                },
              );
            }
            throw new ArmError(fault.status, fault.code, fault.message);
          }
          if (text) {
            try {
              req.body = JSON.parse(text);
            } catch {
              throw new ArmError(400, 'InvalidRequestContent', 'The request content was invalid and could not be deserialized.');
            }
          }
          await arm(req);
        } catch (error) {
          if (error instanceof ArmError) sendError(res, error);
          else sendError(res, new ArmError(500, 'InternalServerError', `The simulator failed: ${(error as Error).stack ?? String(error)}`));
        }
      })();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  base = `https://127.0.0.1:${port}`;

  Object.assign(sim, {
    armEndpoint: base,
    loginEndpoint: base,
    caFile,
    ca,
    tenantId,
    clientId,
    clientSecret,
    subscriptionId,
    resourceGroup,
    location,
    azurite,
    requests,
    resources: () => [...state.resources.values()].map((r) => r.id),
    inject: (fault: Parameters<ArmSimulator['inject']>[0]) => faults.push({ ...fault, left: fault.times ?? 1 }),
    tokenLifetime: (seconds: number) => {
      lifetime = seconds;
    },
    setBootDiagnostics: (vmName: string, content: { screenshotPng?: Buffer; serialLog?: string }) =>
      setBootDiagnostics(state, vmName, content),
    stop: async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await azurite.dispose();
      certs.remove();
    },
  } satisfies Omit<ArmSimulator, 'onStart' | 'onRunCommand' | 'onStop' | 'onBootDiagnostics'>);
  return sim;
}
