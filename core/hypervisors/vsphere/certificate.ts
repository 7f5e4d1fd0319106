import { createHash, X509Certificate } from 'node:crypto';
import net from 'node:net';
import tls from 'node:tls';
import { LifeboatError } from '../../contract/errors';
import type { CertificateInfo } from '../../contract/hosts';
import { hostUnreachable } from '../errors';

export function sha256Thumbprint(der: Buffer): string {
  return createHash('sha256').update(der).digest('hex');
}

/** AB:CD:… as vSphere's own UI shows thumbprints, so the user can compare them. */
export function formatThumbprint(hex: string): string {
  return hex.toUpperCase().match(/../g)?.join(':') ?? hex;
}

export function describeCertificate(der: Buffer): CertificateInfo {
  const cert = new X509Certificate(der);
  return {
    sha256: sha256Thumbprint(der),
    subject: cert.subject.replace(/\n/g, ', '),
    issuer: cert.issuer.replace(/\n/g, ', '),
    validFrom: new Date(cert.validFrom).toISOString(),
    validTo: new Date(cert.validTo).toISOString(),
    selfSigned: cert.subject === cert.issuer,
  };
}

/** The certificate a TLS server presents, whoever signed it; nothing is sent but the handshake. */
export function inspectCertificate(host: string, port: number, timeoutMs = 10_000): Promise<CertificateInfo> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({
      host,
      port,
      servername: net.isIP(host) ? undefined : host,
      rejectUnauthorized: false,
      timeout: timeoutMs,
    });
    socket.once('secureConnect', () => {
      const peer = socket.getPeerCertificate();
      socket.destroy();
      if (!peer?.raw)
        reject(
          new LifeboatError('HOST_UNREACHABLE', `${host}:${port} presented no certificate.`, {
            fix: 'Check the address and port: this does not look like an ESXi or vCenter server.',
          }),
        );
      else resolve(describeCertificate(peer.raw));
    });
    socket.once('timeout', () => {
      socket.destroy();
      reject(hostUnreachable(`${host}:${port}`, 'no answer within 10 seconds'));
    });
    socket.once('error', (error) => reject(hostUnreachable(`${host}:${port}`, error.message, undefined, error)));
  });
}

/** First contact with a certificate no authority vouches for: the user must confirm its thumbprint. */
export function certificateUnconfirmed(host: string, info: CertificateInfo): LifeboatError {
  return new LifeboatError(
    'CERTIFICATE_CHANGED',
    `${host} presents a certificate that no authority vouches for (SHA-256 ${formatThumbprint(info.sha256)}, issued to ${info.subject}).`,
    {
      fix: `Compare this thumbprint with the one shown on the host's console (ESXi: Direct Console → View Support Information; vCenter: its certificate), then confirm it to pin it (lifeboat hosts add … --thumbprint ${info.sha256}).`,
      field: 'thumbprint',
    },
  );
}

/** A pinned certificate was replaced: either the host was re-issued one, or someone is in the middle. */
export function certificateChanged(host: string, pinned: string, info: CertificateInfo): LifeboatError {
  return new LifeboatError(
    'CERTIFICATE_CHANGED',
    `The certificate of ${host} changed: Lifeboat pinned SHA-256 ${formatThumbprint(pinned)}, the host now presents ${formatThumbprint(info.sha256)}.`,
    {
      fix: 'If the host was renewed or reinstalled, check the new thumbprint on its console and confirm it in the host settings. If nobody changed it, do not connect: someone may be intercepting the connection.',
      field: 'thumbprint',
    },
  );
}
