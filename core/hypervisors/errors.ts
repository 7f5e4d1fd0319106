import { LifeboatError } from '../contract/errors';

/** The typed failures every provider raises, each with the user's next step. */

export function hostUnreachable(host: string, reason: string, fix?: string, cause?: unknown): LifeboatError {
  return new LifeboatError('HOST_UNREACHABLE', `Lifeboat cannot reach ${host}: ${reason}.`, {
    fix: fix ?? `Check that ${host} is switched on, that its name resolves from this computer, and that no firewall blocks the port.`,
    cause,
  });
}

export function accessDenied(host: string, detail: string, fix?: string): LifeboatError {
  return new LifeboatError('ACCESS_DENIED', `${host} refused the sign-in: ${detail}.`, {
    fix: fix ?? 'Check the user name and password (they are case-sensitive), and that the account may manage VMs on this host.',
  });
}

export function vmNotFound(host: string, vm: string): LifeboatError {
  return new LifeboatError('VM_NOT_FOUND', `There is no VM "${vm}" on ${host} any more.`, {
    fix: 'It may have been renamed, moved or deleted: run discovery again (Virtual machines → Refresh).',
  });
}

export function checkpointFailed(vm: string, reason: string, fix: string): LifeboatError {
  return new LifeboatError('CHECKPOINT_FAILED', `Lifeboat could not take a checkpoint of ${vm}: ${reason}.`, { fix });
}

export function outputInvalid(source: string, detail: string, cause?: unknown): LifeboatError {
  return new LifeboatError('PROVIDER_OUTPUT_INVALID', `${source} answered with something Lifeboat cannot read: ${detail}.`, {
    fix: 'Update the host (and Lifeboat) to a supported version; if it persists, export diagnostics from Settings and send them to support.',
    cause,
  });
}

export function notLifeboatVm(host: string, vm: string): LifeboatError {
  return new LifeboatError('CONFLICT', `${vm} on ${host} was not created by Lifeboat, so Lifeboat will not delete it.`, {
    fix: "Remove production VMs with the hypervisor's own tools.",
  });
}
