import https from 'node:https';
import type { AccessToken, GetTokenOptions, TokenCredential } from '@azure/core-auth';
import { LifeboatError } from '../../contract/errors';
import { hostUnreachable } from '../errors';

export interface ClientSecretOptions {
  loginEndpoint: string;
  tenantId: string;
  clientId: string;
  clientSecret: string;
  /** Trusts another CA (the test simulator); production uses Node's store and NODE_EXTRA_CA_CERTS. */
  agent?: https.Agent;
}

/** Seconds before expiry a cached token is renewed: an upload or a boot wait never starts on a dying token. */
const RENEW_BEFORE_SECONDS = 300;

/**
 * A service principal's client-credentials grant (Microsoft identity platform v2.0,
 * learn.microsoft.com/entra/identity-platform/v2-oauth2-client-creds-grant-flow): the secret goes in the
 * form body of a POST over TLS, never in a URL, an argument or a log. Tokens are cached per scope until
 * shortly before they expire; the SDK's bearer policy asks again when they do.
 */
export function clientSecretCredential(options: ClientSecretOptions): TokenCredential & { issued(): number } {
  const cache = new Map<string, AccessToken>();
  let issued = 0;
  return {
    issued: () => issued,
    async getToken(scopes: string | string[], request?: GetTokenOptions): Promise<AccessToken> {
      const scope = Array.isArray(scopes) ? scopes.join(' ') : scopes;
      const cached = cache.get(scope);
      if (cached && cached.expiresOnTimestamp - RENEW_BEFORE_SECONDS * 1000 > Date.now()) return cached;
      const answer = await postForm(
        `${options.loginEndpoint}/${encodeURIComponent(options.tenantId)}/oauth2/v2.0/token`,
        { grant_type: 'client_credentials', client_id: options.clientId, client_secret: options.clientSecret, scope },
        options.agent,
        request?.abortSignal as AbortSignal | undefined,
      );
      const token = tokenFrom(answer, options);
      issued++;
      cache.set(scope, token);
      return token;
    },
  };
}

interface TokenAnswer {
  status: number;
  body: { access_token?: string; expires_in?: number | string; error?: string; error_description?: string } | null;
}

function tokenFrom(answer: TokenAnswer, options: ClientSecretOptions): AccessToken {
  const body = answer.body ?? {};
  if (answer.status === 200 && body.access_token) {
    const seconds = Number(body.expires_in ?? 3600);
    return { token: body.access_token, expiresOnTimestamp: Date.now() + seconds * 1000, tokenType: 'Bearer' };
  }
  throw tokenRefused(answer.status, body.error ?? 'no error code', body.error_description ?? '', options);
}

/** The AADSTS code names what is wrong; each gets the place in the portal where it is fixed. */
function tokenRefused(status: number, error: string, description: string, options: ClientSecretOptions): LifeboatError {
  const aadsts = /AADSTS(\d+)/.exec(description)?.[1] ?? '';
  const said = description.split(/\r?\n/)[0]?.trim() || `${status} ${error}`;
  const fixes: Record<string, string> = {
    '90002': `Check the tenant id (Azure portal → Microsoft Entra ID → Overview → Tenant ID); ${options.tenantId} is not a tenant of this cloud.`,
    '700016': `Check the client id: Azure portal → Microsoft Entra ID → App registrations → your Lifeboat app → Application (client) ID, in tenant ${options.tenantId}.`,
    '7000215':
      "Paste the client secret's Value (shown once when it was created), not its Secret ID; or create a new secret under App registrations → Certificates & secrets.",
    '7000222': 'The client secret has expired: create a new one under App registrations → Certificates & secrets, then update this site.',
  };
  return new LifeboatError('ACCESS_DENIED', `Microsoft Entra ID refused Lifeboat's sign-in: ${said}`, {
    fix:
      fixes[aadsts] ?? 'Check the tenant id, client id and client secret of the service principal (see the README: "Azure recovery site").',
  });
}

function postForm(url: string, form: Record<string, string>, agent: https.Agent | undefined, signal?: AbortSignal): Promise<TokenAnswer> {
  const payload = new URLSearchParams(form).toString();
  const where = new URL(url).host;
  return new Promise((resolve, reject) => {
    const request = https.request(
      url,
      {
        method: 'POST',
        ...(agent ? { agent } : {}),
        ...(signal ? { signal } : {}),
        timeout: 30_000,
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(payload) },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          const text = Buffer.concat(chunks).toString();
          let body: TokenAnswer['body'];
          try {
            body = text ? (JSON.parse(text) as TokenAnswer['body']) : null;
          } catch {
            body = { error: 'not JSON', error_description: text.slice(0, 200) };
          }
          resolve({ status: response.statusCode ?? 0, body });
        });
      },
    );
    request.on('timeout', () => request.destroy(new Error('no answer within 30 s')));
    request.on('error', (error) =>
      reject(
        signal?.aborted
          ? error
          : hostUnreachable(
              where,
              `the sign-in endpoint did not answer (${error.message})`,
              `Check that this computer can reach ${where} over HTTPS (proxy, firewall, DNS).`,
              error,
            ),
      ),
    );
    request.end(payload);
  });
}
