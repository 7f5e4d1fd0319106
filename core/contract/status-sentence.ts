import type { VmRpoStatus } from './protection';

export interface StatusSentence {
  tone: 'ok' | 'warning' | 'breach' | 'idle';
  text: string;
}

/**
 * The one sentence at the top of the dashboard (and in the tray and the report): how protected are we?
 * Green only when every protected VM has a recovery point within its RPO and its vault answers.
 */
export function statusSentence(rpo: readonly VmRpoStatus[]): StatusSentence {
  if (rpo.length === 0) return { tone: 'idle', text: 'Nothing is protected yet.' };
  const names = (list: VmRpoStatus[]) =>
    list.length <= 3
      ? list.map((s) => s.vm).join(', ')
      : `${list
          .slice(0, 3)
          .map((s) => s.vm)
          .join(', ')} and ${list.length - 3} more`;
  const count = (list: VmRpoStatus[]) => `${list.length} VM${list.length === 1 ? ' is' : 's are'}`;
  const vaultDown = rpo.filter((s) => s.reason === 'vault');
  if (vaultDown.length > 0)
    return {
      tone: 'breach',
      text: `${count(vaultDown)} not protected: ${vaultDown.length === 1 ? 'its' : 'their'} vault is unavailable (${names(vaultDown)}).`,
    };
  const firstFailed = rpo.filter((s) => s.reason === 'first-copy');
  if (firstFailed.length > 0) {
    return {
      tone: 'breach',
      text: `${count(firstFailed)} not protected yet: ${firstFailed.length === 1 ? 'its first copy' : 'their first copies'} failed (${names(firstFailed)}).`,
    };
  }
  const breach = rpo.filter((s) => s.status === 'breach');
  const warning = rpo.filter((s) => s.status === 'warning');
  if (breach.length > 0) {
    return {
      tone: 'breach',
      text: `${breach.length} VM${breach.length === 1 ? ' is' : 's are'} outside ${breach.length === 1 ? 'its' : 'their'} RPO: ${names(breach)}.`,
    };
  }
  if (warning.length > 0)
    return { tone: 'warning', text: `${warning.length} VM${warning.length === 1 ? '' : 's'} at risk: ${names(warning)}.` };
  const pending = rpo.filter((s) => s.status === 'pending').length;
  const ok = rpo.length - pending;
  // A VM without a recovery point is not protected, however normal that is just after setup: never green.
  if (ok === 0)
    return {
      tone: 'idle',
      text: `Not protected yet: the first ${rpo.length === 1 ? 'copy is' : `copies of ${rpo.length} VMs are`} on the way.`,
    };
  if (pending > 0)
    return {
      tone: 'idle',
      text: `${ok} VM${ok === 1 ? '' : 's'} within ${ok === 1 ? 'its' : 'their'} RPO; ${pending} not protected yet (waiting for a first copy).`,
    };
  return { tone: 'ok', text: `All ${ok} VM${ok === 1 ? '' : 's'} within ${ok === 1 ? 'its' : 'their'} RPO.` };
}
