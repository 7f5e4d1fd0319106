import http from 'node:http';
import https from 'node:https';
import { Readable, type Duplex } from 'node:stream';
import net from 'node:net';
import tls from 'node:tls';
import { LifeboatError } from '../../contract/errors';
import { hostUnreachable } from '../errors';
import { certificateChanged, certificateUnconfirmed, describeCertificate } from './certificate';

export interface HttpResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

export interface HttpEndpoint {
  scheme: 'https' | 'http';
  host: string;
  port: number;
  /** Pinned SHA-256 of the server certificate (hex). Absent: only a certificate a CA vouches for is accepted. */
  thumbprint?: string;
}

/**
 * HTTP(S) to one vSphere server with certificate pinning. The pin is checked inside the connection factory,
 * after the TLS handshake and before a single request byte (credentials included) is written.
 */
export class PinnedHttp {
  private readonly agent: http.Agent;
  /** The certificate accepted on the last TLS connection, to be pinned by the caller. */
  acceptedThumbprint: string | undefined;

  constructor(
    readonly endpoint: HttpEndpoint,
    private readonly timeoutMs = 120_000,
  ) {
    if (endpoint.scheme === 'http') {
      this.agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
      return;
    }
    const agent = new https.Agent({ keepAlive: true, maxSockets: 8 });
    const label = `${endpoint.host}:${endpoint.port}`;
    // Node's Agent accepts an asynchronous connection factory through its callback argument.
    (agent as unknown as { createConnection: unknown }).createConnection = (
      options: tls.ConnectionOptions,
      callback: (error: Error | null, socket?: Duplex) => void,
    ): undefined => {
      const socket = tls.connect({ ...options, rejectUnauthorized: false });
      socket.once('secureConnect', () => {
        const peer = socket.getPeerCertificate();
        if (!peer?.raw) {
          socket.destroy();
          callback(hostUnreachable(label, 'the server presented no certificate'));
          return;
        }
        const info = describeCertificate(peer.raw);
        const trusted = endpoint.thumbprint ? info.sha256 === endpoint.thumbprint : socket.authorized;
        if (!trusted) {
          socket.destroy();
          callback(endpoint.thumbprint ? certificateChanged(label, endpoint.thumbprint, info) : certificateUnconfirmed(label, info));
          return;
        }
        this.acceptedThumbprint = info.sha256;
        callback(null, socket);
      });
      socket.once('error', (error) => callback(error));
      return undefined;
    };
    this.agent = agent;
  }

  get origin(): string {
    const host = this.endpoint.host.includes(':') ? `[${this.endpoint.host}]` : this.endpoint.host;
    return `${this.endpoint.scheme}://${host}:${this.endpoint.port}`;
  }

  /** A request whose body streams from `body` (a restored disk can be many GiB): it is never held in memory. */
  upload(method: 'PUT', path: string, headers: Record<string, string>, body: Readable, length: number): Promise<HttpResponse> {
    return this.request(method, path, { ...headers, 'content-length': String(length) }, body);
  }

  request(method: string, path: string, headers: Record<string, string>, body?: Buffer | string | Readable): Promise<HttpResponse> {
    const module = this.endpoint.scheme === 'https' ? https : http;
    return new Promise((resolve, reject) => {
      const req = module.request(
        {
          host: this.endpoint.host,
          port: this.endpoint.port,
          method,
          path,
          headers:
            body === undefined || body instanceof Readable ? headers : { ...headers, 'content-length': String(Buffer.byteLength(body)) },
          agent: this.agent,
          servername: net.isIP(this.endpoint.host) ? undefined : this.endpoint.host,
          timeout: this.timeoutMs,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
          res.on('error', reject);
        },
      );
      req.once('timeout', () => req.destroy(hostUnreachable(this.origin, `no answer within ${Math.round(this.timeoutMs / 1000)} seconds`)));
      req.once('error', (error: NodeJS.ErrnoException) => {
        reject(error instanceof LifeboatError ? error : hostUnreachable(this.origin, networkReason(error), undefined, error));
      });
      if (body instanceof Readable) {
        body.once('error', (error) => req.destroy(error));
        body.pipe(req);
      } else if (body !== undefined) req.end(body);
      else req.end();
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

function networkReason(error: NodeJS.ErrnoException): string {
  switch (error.code) {
    case 'ECONNREFUSED':
      return 'the connection was refused (nothing listens on that port)';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'the name does not resolve';
    case 'ETIMEDOUT':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return 'there is no route to it';
    case 'ECONNRESET':
      return 'the connection was reset';
    case 'EPROTO':
    case 'ERR_SSL_WRONG_VERSION_NUMBER':
      return 'it does not speak HTTPS on that port';
    default:
      return error.message;
  }
}
