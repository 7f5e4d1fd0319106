import net from 'node:net';

export interface BlackHoleProxy {
  port: number;
  /**
   * From now on nothing is forwarded, either way, on connections open or new: they are still accepted, but
   * their bytes stay unread in the kernel's buffers, as when a VPN or WAN link drops silently.
   */
  blackHole(): void;
  /** Forwards again, starting with whatever was held. */
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
  const resumers = new Set<() => void>();

  /** Forwards `from` to `to`; while holding, reads nothing more and keeps what was read already. */
  const forward = (from: net.Socket, to: net.Socket): (() => void) => {
    const held: (Buffer | null)[] = [];
    const deliver = (item: Buffer | null): void => {
      if (to.destroyed) return;
      if (item === null) to.end();
      else if (!to.write(item)) {
        from.pause();
        to.once('drain', () => {
          if (!holding) from.resume();
        });
      }
    };
    from.on('data', (chunk: Buffer) => {
      if (holding) {
        from.pause();
        held.push(chunk);
      } else deliver(chunk);
    });
    from.on('end', () => (holding ? held.push(null) : deliver(null)));
    return () => {
      for (const item of held.splice(0)) deliver(item);
      if (!from.destroyed) from.resume();
    };
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
    const resumeUp = forward(client, upstream);
    const resumeDown = forward(upstream, client);
    const resume = (): void => {
      resumeUp();
      resumeDown();
    };
    resumers.add(resume);
    client.once('close', () => resumers.delete(resume));
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
      for (const resume of [...resumers]) resume();
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
