import type { CheckEvidence } from '../contract/drills';
import { findBootFailure, findReadiness, tail } from './boot-evidence';
import type { CheckResult } from './sandbox';
import { wait } from './steps';

/** Without a configured readiness line, a guest whose consoles stay unchanged this long has shown all it will. */
export const QUIET_SECONDS = 30;
const POLL_MS = 500;

export const UNVERIFIED_FIX =
  "Add a TCP check for a port the guest serves, or set the guest's own readiness text (a line it prints on its serial console, such as its login prompt) on the plan's boot check.";

/** What a QEMU VM shows of itself while it boots: the drill sandbox and the failover standby both give this. */
export interface BootConsole {
  serial(): string;
  /** The VGA text screen; may reject while QEMU is busy (the last reading stands then). */
  screen(): Promise<string>;
  /** Null while running; `reason` says how it stopped where there is no QEMU exit code (a cloud VM). */
  exitStatus(): { code: number | null; stderr: string; reason?: string } | null;
  /** KVM opened but cannot run this guest ("KVM internal error"): the VM must start again under TCG. */
  kvmFailed(): Promise<boolean>;
  /** Milliseconds (performance.now()) when the VM was powered on. */
  poweredOn(): number;
}

export interface WatchOptions {
  timeoutSeconds: number;
  signal: AbortSignal;
  readyText: string | null;
  /** Restarts the VM under software emulation; watching goes on with the console it returns. */
  restartUnderTcg(): Promise<BootConsole>;
}

/**
 * Watches a booting VM's serial output and text screen until the guest proves it came up (its readiness
 * line or a login prompt), firmware or the guest says it failed, QEMU stops, or nothing more happens.
 * A VM that merely keeps running is unverified.
 */
export async function watchBoot(first: BootConsole, options: WatchOptions): Promise<CheckResult> {
  let vm = first;
  const notes: string[] = [];
  const { readyText, signal } = options;
  const deadline = performance.now() + options.timeoutSeconds * 1000;
  const since = (): string => `${((performance.now() - vm.poweredOn()) / 1000).toFixed(1)} s`;
  const result = (r: CheckResult): CheckResult => (notes.length ? { ...r, detail: `${r.detail} ${notes.join(' ')}` } : r);
  let lastSerial = -1;
  let lastScreen = '';
  let lastChange = performance.now();
  for (;;) {
    signal.throwIfAborted();
    if (await vm.kvmFailed()) {
      vm = await options.restartUnderTcg();
      notes.push('KVM on this machine could not run the guest ("KVM internal error"), so it was restarted under software emulation (TCG).');
      lastChange = performance.now();
      continue;
    }
    const serial = vm.serial();
    const exit = vm.exitStatus();
    const screen: string = exit ? lastScreen : await vm.screen().catch(() => lastScreen);
    const onSerial = findReadiness(serial, readyText);
    const onScreen = onSerial ? null : findReadiness(screen, readyText);
    if (onSerial || onScreen) {
      const evidence: CheckEvidence[] = [];
      if (onSerial) evidence.push({ kind: 'serial-line', text: onSerial.line });
      if (screen.trim()) evidence.push({ kind: 'screen-text', text: tail(screen, 25) });
      return result({
        status: 'passed',
        detail: `The guest printed "${(onSerial ?? onScreen)!.line}" on its ${onSerial ? 'serial console' : 'screen'} ${since()} after power-on.`,
        evidence,
      });
    }
    const failure = findBootFailure(screen) ?? findBootFailure(serial);
    if (failure) {
      return result({
        status: 'failed',
        detail: `The console showed "${failure}" ${since()} after power-on: the restored disk did not boot.`,
        fix: "Check that the recovery point holds the VM's system disk (first in its disk order) and that the VM's firmware (BIOS or UEFI) matches the source.",
        evidence: consoleEvidence(serial, screen),
      });
    }
    if (exit) {
      return result({
        status: 'failed',
        detail: `The VM stopped ${since()} after power-on (${exit.reason ?? `QEMU exit ${exit.code ?? 'by signal'}`})${exit.stderr ? `: ${exit.stderr.split('\n').pop()}` : ''}.`,
        fix: 'Look at the serial output below: the guest may have crashed or rebooted while starting.',
        evidence: consoleEvidence(serial, screen),
      });
    }
    if (serial.length !== lastSerial || screen !== lastScreen) {
      lastSerial = serial.length;
      lastScreen = screen;
      lastChange = performance.now();
    }
    // With a readiness text configured the guest gets its whole timeout: the user told us what to wait for.
    const quiet = !readyText && performance.now() - lastChange > QUIET_SECONDS * 1000;
    if (quiet || performance.now() > deadline) {
      return result({
        status: 'unverified',
        detail: `The VM was still running ${since()} after power-on, but showed no ${readyText ? `"${readyText}"` : 'readiness line or login prompt'} on its serial console or screen${quiet ? ` (nothing changed for ${QUIET_SECONDS} s)` : ''}: running alone does not prove the guest came up.`,
        fix: UNVERIFIED_FIX,
        evidence: consoleEvidence(serial, screen),
      });
    }
    await wait(POLL_MS, signal); // a guest sends no event for "I am up": its consoles are sampled
  }
}

function consoleEvidence(serial: string, screen: string): CheckEvidence[] {
  const evidence: CheckEvidence[] = [];
  if (serial.trim()) evidence.push({ kind: 'serial-line', text: tail(serial) });
  if (screen.trim()) evidence.push({ kind: 'screen-text', text: tail(screen, 25) });
  return evidence;
}
