import type { Clock } from '../clock';
import { toLifeboatError, type LifeboatError } from '../contract/errors';
import { CronSchedule } from '../schedule/cron';
import type { RoomDeps } from '../service-context';
import { PlansStore } from '../store/plans';

/** What this module needs from the engine (see RoomDeps). */
export type DrillScheduleRoomDeps = RoomDeps<'bus' | 'clock' | 'db' | 'onTick' | 'settings'>;

export interface DrillSchedulerDeps {
  plans: PlansStore;
  clock: Clock;
  /** "Pause all" stops scheduled drills as it stops scheduled copies. */
  paused(): boolean;
  startDrill(planId: string): Promise<unknown>;
  onError(planId: string, error: LifeboatError): void;
}

/**
 * Starts the drills of plans that have a schedule ("0 6 1 * *": 06:00 on the 1st), once per firing minute.
 * A missed firing (Lifeboat closed) is not caught up: a drill is evidence of a date, not a backlog.
 */
export class DrillScheduler {
  private readonly crons = new Map<string, CronSchedule>();
  private readonly startedInMinute = new Map<string, number>();

  constructor(private readonly deps: DrillSchedulerDeps) {}

  /** Starts every plan whose schedule fires in the current minute; returns their ids. */
  async tick(): Promise<string[]> {
    if (this.deps.paused()) return [];
    const now = this.deps.clock.now();
    const minute = Math.floor(now.getTime() / 60_000);
    const due = this.deps.plans
      .list()
      .filter(
        (plan) => plan.schedule !== null && this.startedInMinute.get(plan.id) !== minute && this.cronOf(plan.schedule).firesInMinuteOf(now),
      );
    for (const plan of due) {
      this.startedInMinute.set(plan.id, minute);
      try {
        await this.deps.startDrill(plan.id);
      } catch (error) {
        this.deps.onError(plan.id, toLifeboatError(error));
      }
    }
    return due.map((plan) => plan.id);
  }

  private cronOf(expression: string): CronSchedule {
    let cron = this.crons.get(expression);
    if (!cron) this.crons.set(expression, (cron = new CronSchedule(expression)));
    return cron;
  }
}

/** Puts the drill scheduler on the engine's heartbeat (serve, agent, desktop; never one-shot CLI commands). */
export function scheduleDrills(ctx: DrillScheduleRoomDeps, startDrill: (planId: string) => Promise<unknown>): void {
  const plans = new PlansStore(ctx.db);
  const scheduler = new DrillScheduler({
    plans,
    clock: ctx.clock,
    paused: () => ctx.settings.get('schedulesPaused') ?? false,
    startDrill,
    onError: (planId, error) =>
      ctx.bus.emit({
        type: 'alert.raised',
        alert: {
          id: `drill-schedule-${planId}-${ctx.clock.now().getTime()}`,
          severity: 'warning',
          message: `A scheduled drill of "${plans.get(planId)?.name ?? planId}" could not start: ${error.message}`,
          ...(error.fix ? { fix: error.fix } : {}),
        },
      }),
  });
  ctx.onTick(() => void scheduler.tick());
}
