import fs from 'node:fs';
import path from 'node:path';

export const LOG_DIR = 'logs';
export const LOG_FILE = 'lifeboat.log';

export interface RotationPolicy {
  maxBytes: number;
  /** How many rotated files (lifeboat.1.log …) are kept besides the current one. */
  keep: number;
}

const DEFAULT_ROTATION: RotationPolicy = { maxBytes: 5 * 1024 * 1024, keep: 5 };

/**
 * Append-only log files in `<data>/logs`, rotated by size so a machine that runs for years keeps a bounded
 * history. Writes are synchronous: a line that was logged is on disk even if the process is killed next.
 */
export class RotatingLog {
  readonly dir: string;
  private readonly file: string;
  private size: number;

  constructor(
    dataDir: string,
    private readonly rotation: RotationPolicy = DEFAULT_ROTATION,
  ) {
    this.dir = path.join(dataDir, LOG_DIR);
    fs.mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    this.file = path.join(this.dir, LOG_FILE);
    this.size = fs.existsSync(this.file) ? fs.statSync(this.file).size : 0;
  }

  write(level: 'info' | 'warn' | 'error', message: string, time: Date = new Date()): void {
    const line = `${time.toISOString()} ${level.toUpperCase().padEnd(5)} ${message.replace(/\r?\n/g, '\n    ')}\n`;
    if (this.size + Buffer.byteLength(line) > this.rotation.maxBytes && this.size > 0) this.rotate();
    fs.appendFileSync(this.file, line, { mode: 0o600 });
    this.size += Buffer.byteLength(line);
  }

  /** The current file and the rotated ones, newest first. */
  files(): string[] {
    return [this.file, ...Array.from({ length: this.rotation.keep }, (_, i) => this.rotated(i + 1))].filter((file) => fs.existsSync(file));
  }

  private rotate(): void {
    fs.rmSync(this.rotated(this.rotation.keep), { force: true });
    for (let i = this.rotation.keep - 1; i >= 1; i--) {
      if (fs.existsSync(this.rotated(i))) fs.renameSync(this.rotated(i), this.rotated(i + 1));
    }
    if (this.rotation.keep > 0) fs.renameSync(this.file, this.rotated(1));
    else fs.rmSync(this.file, { force: true });
    this.size = 0;
  }

  private rotated(n: number): string {
    return path.join(this.dir, `lifeboat.${n}.log`);
  }
}
