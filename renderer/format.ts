/** Plain-words formatting for numbers the user reads: sizes, rates, durations, ages. */

// Sizes and rates have one home, shared with the CLI and the engine's messages, so every screen counts alike.
export { formatBytes, formatRate } from '../core/contract/units';

export function formatDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return '—';
  if (seconds < 0.5) return 'under 1 s';
  if (seconds < 60) return `${Math.round(seconds)} s`;
  const minutes = Math.floor(seconds / 60);
  const rest = (value: number, unit: string): string => (value ? ` ${value} ${unit}` : '');
  if (minutes < 60) return `${minutes} min${rest(Math.round(seconds % 60), 's')}`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} h${rest(minutes % 60, 'min')}`;
  return `${Math.floor(hours / 24)} days${rest(hours % 24, 'h')}`;
}

/** "3 min ago", "2 h ago", or the date for anything older than a week. */
export function formatAgo(iso: string | null, now: number = Date.now()): string {
  if (!iso) return 'never';
  const seconds = (now - Date.parse(iso)) / 1000;
  if (seconds < 45) return 'just now';
  if (seconds < 7 * 86400)
    return `${formatDuration(seconds)
      .replace(/ \d+ s$/, '')
      .replace(/ \d+ min$/, '')} ago`;
  return formatDate(iso);
}

export function formatDate(iso: string | null): string {
  if (!iso) return '—';
  return new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

export function plural(count: number, one: string, many = `${one}s`): string {
  return `${count} ${count === 1 ? one : many}`;
}

/** VMware's guestOS identifiers (Workstation .vmx), as a person would say them; names in words pass unchanged. */
const VMWARE_GUESTS: Record<string, string> = {
  'windows2019srvnext-64': 'Windows Server 2022',
  'windows2022srvnext-64': 'Windows Server 2025',
  'windows2019srv-64': 'Windows Server 2019',
  'windows9srv-64': 'Windows Server 2016',
  'windows8srv-64': 'Windows Server 2012',
  'windows7srv-64': 'Windows Server 2008 R2',
  'windows11-64': 'Windows 11',
  'windows9-64': 'Windows 10',
  windows9: 'Windows 10 (32-bit)',
  'ubuntu-64': 'Ubuntu Linux',
  ubuntu: 'Ubuntu Linux (32-bit)',
  'centos-64': 'CentOS Linux',
  'rhel9-64': 'Red Hat Enterprise Linux 9',
  'rhel8-64': 'Red Hat Enterprise Linux 8',
  'rhel7-64': 'Red Hat Enterprise Linux 7',
  'sles15-64': 'SUSE Linux Enterprise 15',
  'other5xlinux-64': 'Linux 5.x',
  'other4xlinux-64': 'Linux 4.x',
  'otherlinux-64': 'Linux',
  'other-64': 'Other (64-bit)',
  other: 'Other',
};

export function guestOsWords(guestOs: string | null | undefined): string {
  if (!guestOs) return '';
  const known = VMWARE_GUESTS[guestOs.toLowerCase()];
  if (known) return known;
  const debian = /^debian(\d+)(-64)?$/i.exec(guestOs);
  if (debian) return `Debian ${debian[1]}`;
  return guestOs;
}
