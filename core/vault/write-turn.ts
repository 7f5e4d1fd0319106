/**
 * Whose turn it is to write a restored file, among the vault's worker threads. Buffered writes to one file
 * take the kernel's per-file lock in turn anyway, and a thread waiting for that lock spins on a CPU
 * (measured: 15% of a restore's CPU on two cores). Taking turns here instead lets a thread that finds
 * the turn taken go on decrypting its next block, and sleep rather than spin when it has nothing else to do.
 */
export class WriteTurn {
  private readonly cell: Int32Array;

  constructor(readonly shared = new SharedArrayBuffer(4)) {
    this.cell = new Int32Array(shared);
  }

  tryTake(): boolean {
    return Atomics.compareExchange(this.cell, 0, 0, 1) === 0;
  }

  take(): void {
    while (!this.tryTake()) Atomics.wait(this.cell, 0, 1);
  }

  give(): void {
    Atomics.store(this.cell, 0, 0);
    Atomics.notify(this.cell, 0, 1);
  }
}
