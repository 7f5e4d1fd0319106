import { Badge, ThemeIcon } from '@mantine/core';
import { IconCheck, IconPlayerSkipForward, IconQuestionMark, IconX } from '@tabler/icons-react';
import type { DrillCheck, DrillStatus } from '../../core/contract/drills';

/**
 * One colour and one word per drill status, everywhere a drill is shown. `unverified` (it ran, nothing proved
 * the guest came up) is yellow and never green: it is not a pass.
 */
export const DRILL_STATUS: Record<DrillStatus, { color: string; label: string }> = {
  running: { color: 'blue', label: 'Running' },
  passed: { color: 'green', label: 'Passed' },
  unverified: { color: 'yellow', label: 'Unverified' },
  failed: { color: 'red', label: 'Failed' },
  cancelled: { color: 'gray', label: 'Cancelled' },
  interrupted: { color: 'orange', label: 'Interrupted' },
};

/** A status word is short and must be read whole: the badge never shrinks to "PAS…" in a tight row or cell. */
const WHOLE = { flexShrink: 0, minWidth: 'max-content' } as const;

export function DrillBadge({ status, size }: { status: DrillStatus; size?: 'sm' | 'md' | 'lg' | 'xl' }) {
  return (
    <Badge color={DRILL_STATUS[status].color} variant="light" size={size} style={WHOLE}>
      {DRILL_STATUS[status].label}
    </Badge>
  );
}

const CHECK: Record<DrillCheck['status'], { color: string; label: string }> = {
  passed: { color: 'green', label: 'Passed' },
  unverified: { color: 'yellow', label: 'Not proven' },
  failed: { color: 'red', label: 'Failed' },
  skipped: { color: 'gray', label: 'Skipped' },
};

export function checkStatusWords(status: DrillCheck['status']): string {
  return CHECK[status].label;
}

/** A check's status as an icon with its word for screen readers: tick, question mark, cross, skip. */
export function CheckIcon({ status }: { status: DrillCheck['status'] }) {
  const Icon =
    status === 'passed' ? IconCheck : status === 'failed' ? IconX : status === 'unverified' ? IconQuestionMark : IconPlayerSkipForward;
  return (
    <ThemeIcon size="sm" radius="xl" variant="light" color={CHECK[status].color} aria-hidden>
      <Icon size={14} />
    </ThemeIcon>
  );
}

export function CheckBadge({ status }: { status: DrillCheck['status'] }) {
  return (
    <Badge color={CHECK[status].color} variant="light" size="sm" style={WHOLE}>
      {CHECK[status].label}
    </Badge>
  );
}
