/**
 * The engine's own traffic rule for one vault: copies write side by side, retention (prune) needs the vault
 * to itself. A waiting prune goes first — copies that start meanwhile wait for it — so a busy target still
 * gets its retention applied as soon as the copies already writing are done, rather than never.
 */
export class WriteGate {
  private writers = 0;
  private pruning = false;
  private prunesWaiting = 0;
  private wakers = new Set<() => void>();

  /** Waits until no prune runs or waits; returns the release to call when the copy has written its point. */
  async enterWrite(signal?: AbortSignal): Promise<() => void> {
    while (this.pruning || this.prunesWaiting > 0) await this.change(signal);
    this.writers++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.writers--;
      this.wake();
    };
  }

  /** Runs `prune` once no copy of this engine writes and no other prune runs. */
  async exclusive<T>(prune: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    this.prunesWaiting++;
    try {
      while (this.writers > 0 || this.pruning) await this.change(signal);
    } finally {
      this.prunesWaiting--;
      this.wake(); // a prune given up lets waiting copies go; one that goes on takes the vault before they look
    }
    this.pruning = true;
    try {
      return await prune();
    } finally {
      this.pruning = false;
      this.wake();
    }
  }

  get busy(): boolean {
    return this.writers > 0 || this.pruning;
  }

  private change(signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      signal?.throwIfAborted();
      const onAbort = (): void => {
        this.wakers.delete(wake);
        reject(signal!.reason as Error);
      };
      const wake = (): void => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      this.wakers.add(wake);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  private wake(): void {
    const wakers = [...this.wakers];
    this.wakers.clear();
    for (const wake of wakers) wake();
  }
}
