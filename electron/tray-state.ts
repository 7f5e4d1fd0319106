import type { RpoState } from '../core/contract/protection';

export type TrayHealth = 'idle' | 'ok' | 'warning' | 'breach';

export interface TrayInput {
  /** The RPO state of every protected VM. */
  rpo: readonly RpoState[];
  runningJobs: number;
  paused: boolean;
}

export type TrayAction = 'open' | 'runNow' | 'pauseAll' | 'resumeAll' | 'quit';

export interface TrayMenuItem {
  action: TrayAction;
  label: string;
  enabled: boolean;
}

export interface TrayView {
  health: TrayHealth;
  /** File name under resources/tray/ (without extension). */
  icon: `tray-${TrayHealth}`;
  tooltip: string;
  menu: TrayMenuItem[];
}

/** What the tray shows for the engine's state: the worst VM decides the colour. */
export function trayView(input: TrayInput): TrayView {
  const breaches = input.rpo.filter((s) => s === 'breach').length;
  const warnings = input.rpo.filter((s) => s === 'warning').length;
  const health: TrayHealth = input.rpo.length === 0 ? 'idle' : breaches > 0 ? 'breach' : warnings > 0 ? 'warning' : 'ok';
  const summary =
    health === 'idle'
      ? 'No VMs protected yet'
      : health === 'breach'
        ? `${breaches} VM${breaches === 1 ? '' : 's'} outside RPO`
        : health === 'warning'
          ? `${warnings} VM${warnings === 1 ? '' : 's'} at risk`
          : `All ${input.rpo.length} VM${input.rpo.length === 1 ? '' : 's'} within RPO`;
  const extras = [input.paused ? 'schedules paused' : '', input.runningJobs > 0 ? `${input.runningJobs} running` : ''].filter(Boolean);
  return {
    health,
    icon: `tray-${health}`,
    tooltip: `Lifeboat — ${summary}${extras.length ? ` (${extras.join(', ')})` : ''}`,
    menu: [
      { action: 'open', label: 'Open Lifeboat', enabled: true },
      { action: 'runNow', label: 'Copy all protected VMs now', enabled: input.rpo.length > 0 && !input.paused },
      input.paused
        ? { action: 'resumeAll', label: 'Resume schedules', enabled: true }
        : { action: 'pauseAll', label: 'Pause all schedules', enabled: input.rpo.length > 0 },
      { action: 'quit', label: 'Quit Lifeboat', enabled: true },
    ],
  };
}

export interface QuitPrompt {
  message: string;
  detail: string;
  buttons: [quit: string, keep: string];
}

/**
 * Quitting the desktop app stops its engine. With nothing running it just quits; with jobs running it asks,
 * because quitting cancels them (their checkpoints are released on the way out).
 */
export function quitPrompt(runningJobs: number, agentRunsEngine: boolean): QuitPrompt | null {
  if (agentRunsEngine || runningJobs === 0) return null;
  return {
    message: `${runningJobs} job${runningJobs === 1 ? ' is' : 's are'} still running.`,
    detail: 'Quitting cancels them; they will run again at their next scheduled time. Keep Lifeboat running in the tray to let them finish.',
    buttons: ['Quit and cancel', 'Keep running'],
  };
}
