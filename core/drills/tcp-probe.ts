import net from 'node:net';

export type TcpProbe =
  { state: 'answered'; answer: string } | { state: 'silent' } | { state: 'refused' } | { state: 'error'; message: string };

/** Services that speak first (SSH, SMTP, FTP) get this long to send their banner before we ask. */
const BANNER_MS = 1500;
const ANSWER_MS = 5000;
const MAX_ANSWER = 2048;

/**
 * Proof that a guest's service is there is bytes from it: QEMU's user-network forwarder accepts on the host
 * side whatever the guest does, so a bare connect proves nothing. Waits for a banner, else sends an HTTP
 * request (web servers answer it; TLS servers answer it with an alert) and keeps what comes back.
 */
export function probeTcp(hostPort: number, guestPort: number, host = '127.0.0.1'): Promise<TcpProbe> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port: hostPort });
    const chunks: Buffer[] = [];
    let received = 0;
    let settled = false;
    const done = (result: TcpProbe): void => {
      if (settled) return;
      settled = true;
      clearTimeout(banner);
      clearTimeout(overall);
      socket.destroy();
      resolve(result);
    };
    const answered = (): TcpProbe => ({ state: 'answered', answer: printable(Buffer.concat(chunks)) });
    const banner = setTimeout(() => {
      if (received === 0 && !socket.destroyed)
        socket.write(`GET / HTTP/1.0\r\nHost: 127.0.0.1:${guestPort}\r\nUser-Agent: Lifeboat-drill-check\r\n\r\n`);
    }, BANNER_MS);
    const overall = setTimeout(() => done(received > 0 ? answered() : { state: 'silent' }), BANNER_MS + ANSWER_MS);
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      received += chunk.length;
      if (received >= MAX_ANSWER) done(answered());
    });
    socket.once('end', () => done(received > 0 ? answered() : { state: 'refused' }));
    socket.once('close', () => done(received > 0 ? answered() : { state: 'refused' }));
    socket.once('error', (error: NodeJS.ErrnoException) =>
      done(received > 0 ? answered() : { state: 'error', message: error.code ?? error.message }),
    );
  });
}

function printable(bytes: Buffer): string {
  return bytes
    .subarray(0, MAX_ANSWER)
    .toString('latin1')
    .replace(/\r\n/g, '\n')
    .replace(/[^\x20-\x7e\n\t]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`)
    .trim();
}
