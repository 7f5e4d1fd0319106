import net from 'node:net';

export interface BlackHoleProxy {
  port: number;
  /**
   * From now on nothing is forwarded, either way, on connections open or new: they are still accepted, but
   * their bytes stay unread in the kernel's buffers, as when a VPN or WAN link drops silently.
   */
  blackHole(): void;
  /**
   * Forwards again, on new connections. The connections that lived through the black hole are reset at
   * both ends, as TCP connections that outlive an outage usually end (the client gave up on them long
   * before): their half-sent requests are never delivered late. (Delivering them late would test the
   * server instead: s3rver stores a PUT whose body was cut short — a 0-byte index object was seen here —
   * where real S3 refuses it with IncompleteBody.)
   */
  resume(): void;
  /** Connections accepted since the black hole was switched on. */
  readonly acceptedWhileHeld: number;
  close(): Promise<void>;
}

/** A TCP proxy on 127.0.0.1 and a random free port in front of `targetPort`, which can be made a black hole. */
export async function startBlackHoleProxy(targetPort: number): Promise<BlackHoleProxy> {
  let holding = false;
  let acceptedWhileHeld = 0;
  const sockets = new Set<net.Socket>();

  /** Forwards `from` to `to` with back-pressure; while holding, nothing is read. */
  const forward = (from: net.Socket, to: net.Socket): void => {
    from.on('data', (chunk: Buffer) => {
      if (!to.write(chunk)) {
        from.pause();
        to.once('drain', () => {
          if (!holding) from.resume();
        });
      }
    });
    from.on('end', () => to.end());
  };

  const server = net.createServer((client) => {
    if (holding) {
      acceptedWhileHeld++;
      client.pause();
    }
    const upstream = net.connect(targetPort, '127.0.0.1');
    if (holding) upstream.pause();
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('error', () => undefined);
      socket.on('close', () => {
        sockets.delete(socket);
        client.destroy();
        upstream.destroy();
      });
    }
    forward(client, upstream);
    forward(upstream, client);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });

  return {
    port: (server.address() as net.AddressInfo).port,
    blackHole: () => {
      holding = true;
      acceptedWhileHeld = 0;
      for (const socket of sockets) socket.pause();
    },
    resume: () => {
      holding = false;
      for (const socket of [...sockets]) socket.resetAndDestroy();
    },
    get acceptedWhileHeld() {
      return acceptedWhileHeld;
    },
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
