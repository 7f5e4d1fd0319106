import type net from 'node:net';

/**
 * A minimal QEMU Machine Protocol client over a unix socket: one command at a time, JSON in, JSON out.
 * Arguments travel as JSON values, never spliced into text.
 */
export class QmpClient {
  private buffer = '';
  private waiting: { resolve(value: unknown): void; reject(error: Error): void } | null = null;
  private closed = false;

  private constructor(private readonly socket: net.Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => this.onData(chunk));
    socket.on('close', () => {
      this.closed = true;
      this.waiting?.reject(new Error('QEMU closed its control socket'));
      this.waiting = null;
    });
    socket.on('error', () => undefined);
  }

  /** Takes over a connection QEMU opened to us and negotiates capabilities. */
  static async over(socket: net.Socket): Promise<QmpClient> {
    const client = new QmpClient(socket);
    await client.next(); // greeting
    await client.execute('qmp_capabilities');
    return client;
  }

  execute(command: string, args?: Record<string, unknown>): Promise<unknown> {
    if (this.closed) return Promise.reject(new Error('QEMU is not running'));
    const promise = this.next();
    this.socket.write(JSON.stringify(args ? { execute: command, arguments: args } : { execute: command }) + '\n');
    return promise;
  }

  close(): void {
    this.socket.destroy();
  }

  private next(): Promise<unknown> {
    return new Promise((resolve, reject) => {
      this.waiting = { resolve, reject };
      this.drain();
    });
  }

  private onData(chunk: string): void {
    this.buffer += chunk;
    this.drain();
  }

  /** Hands the next reply (greeting, return or error) to the waiter; asynchronous events are skipped. */
  private drain(): void {
    let newline: number;
    while (this.waiting && (newline = this.buffer.indexOf('\n')) >= 0) {
      const line = this.buffer.slice(0, newline).trim();
      this.buffer = this.buffer.slice(newline + 1);
      if (!line) continue;
      const message = JSON.parse(line) as { QMP?: unknown; return?: unknown; error?: { desc: string }; event?: string };
      if (message.event) continue;
      const waiter = this.waiting;
      this.waiting = null;
      if (message.error) waiter.reject(new Error(message.error.desc));
      else waiter.resolve(message.return ?? message.QMP);
    }
  }
}
