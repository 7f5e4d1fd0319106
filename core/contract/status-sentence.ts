import type { VmRpoStatus } from './protection';

export interface StatusSentence {
  tone: 'ok' | 'warning' | 'breach' | 'idle';
  text: string;
}

/** The one sentence at the top of the dashboard (and in the tray and the report): how protected are we? */
export function statusSentence(rpo: readonly VmRpoStatus[]): StatusSentence {
  if (rpo.length === 0) return { tone: 'idle', text: 'Nothing is protected yet.' };
  const names = (list: VmRpoStatus[]) => (list.length <= 3 ? list.map((s) => s.vm).join(', ') : `${list.slice(0, 3).map((s) => s.vm).join(', ')} and ${list.length - 3} more`);
  const breach = rpo.filter((s) => s.status === 'breach');
  const warning = rpo.filter((s) => s.status === 'warning');
  if (breach.length > 0) {
    return { tone: 'breach', text: `${breach.length} VM${breach.length === 1 ? ' is' : 's are'} outside ${breach.length === 1 ? 'its' : 'their'} RPO: ${names(breach)}.` };
  }
  if (warning.length > 0) return { tone: 'warning', text: `${warning.length} VM${warning.length === 1 ? '' : 's'} at risk: ${names(warning)}.` };
  const pending = rpo.filter((s) => s.status === 'pending').length;
  const ok = rpo.length - pending;
  if (ok === 0) return { tone: 'ok', text: `${rpo.length} VM${rpo.length === 1 ? ' is' : 's are'} protected; the first copies are on their way.` };
  return { tone: 'ok', text: `All ${ok} VM${ok === 1 ? '' : 's'} within ${ok === 1 ? 'its' : 'their'} RPO${pending ? ` (${pending} waiting for a first copy)` : ''}.` };
}
