import type { VmRpoStatus } from '../core/contract/protection';
import { statusSentence } from '../core/contract/status-sentence';

export type TrayHealth = 'idle' | 'ok' | 'warning' | 'breach';

export interface TrayInput {
  /** The RPO status of every protected VM (vault health and failed first copies included). */
  rpo: readonly VmRpoStatus[];
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

/** What the tray shows for the engine's state: the Dashboard's own sentence and colour, never greener. */
export function trayView(input: TrayInput): TrayView {
  const sentence = statusSentence(input.rpo);
  const health: TrayHealth = input.rpo.length === 0 ? 'idle' : sentence.tone;
  const summary = input.rpo.length === 0 ? 'No VMs protected yet' : sentence.text.replace(/\.$/, '');
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
    detail:
      'Quitting cancels them; they will run again at their next scheduled time. Keep Lifeboat running in the tray to let them finish.',
    buttons: ['Quit and cancel', 'Keep running'],
  };
}
