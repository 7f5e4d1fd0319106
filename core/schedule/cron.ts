import { createTask, validate, type ScheduledTask } from 'node-cron';

/**
 * A policy's cron expression, used to ask "does it fire in this minute?" and "when next?" against the
 * engine's clock — node-cron parses; the scheduler's own heartbeat decides, so tests can move time freely.
 */
export class CronSchedule {
  private readonly task: ScheduledTask;

  constructor(readonly expression: string) {
    this.task = createTask(expression, () => undefined);
  }

  static isValid(expression: string): boolean {
    return validate(expression);
  }

  firesInMinuteOf(date: Date): boolean {
    const minute = new Date(date);
    minute.setSeconds(0, 0);
    return this.task.match(minute);
  }

  private missed: { from: number; next: number | null } | null = null;

  /** True when a firing fell after `lastStart` and before the current minute of `now` (remembered per start). */
  missedSince(lastStart: Date, now: Date): boolean {
    if (this.missed?.from !== lastStart.getTime())
      this.missed = { from: lastStart.getTime(), next: this.nextAfter(lastStart)?.getTime() ?? null };
    const minute = new Date(now);
    minute.setSeconds(0, 0);
    return this.missed.next !== null && this.missed.next < minute.getTime();
  }

  /** The first firing strictly after `date`, searched minute by minute for up to a year. */
  nextAfter(date: Date): Date | null {
    const probe = new Date(date);
    probe.setSeconds(0, 0);
    for (let i = 0; i < 366 * 24 * 60; i++) {
      probe.setMinutes(probe.getMinutes() + 1);
      if (this.task.match(probe)) return new Date(probe);
    }
    return null;
  }
}
