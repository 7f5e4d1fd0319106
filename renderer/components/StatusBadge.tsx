import { Badge } from '@mantine/core';
import type { JobStatus, RpoState } from '../../core/contract/protection';

const RPO: Record<RpoState, { color: string; label: string }> = {
  ok: { color: 'green', label: 'Within RPO' },
  warning: { color: 'yellow', label: 'At risk' },
  breach: { color: 'red', label: 'Outside RPO' },
  pending: { color: 'gray', label: 'First copy pending' },
};

/** A status word is short and must be read whole: the badge never shrinks to "PAS…" in a tight row or cell. */
const WHOLE = { flexShrink: 0, minWidth: 'max-content' } as const;

const JOB: Record<JobStatus, { color: string; label: string }> = {
  queued: { color: 'gray', label: 'Waiting' },
  running: { color: 'blue', label: 'Running' },
  succeeded: { color: 'green', label: 'Succeeded' },
  failed: { color: 'red', label: 'Failed' },
  cancelled: { color: 'gray', label: 'Cancelled' },
  interrupted: { color: 'orange', label: 'Interrupted' },
};

/** A VM with no copy at all is "Not protected" (its first copy failed), not merely outside its RPO. */
export function RpoBadge({ status, neverCopied = false }: { status: RpoState; neverCopied?: boolean }) {
  return (
    <Badge color={RPO[status].color} variant="light" style={WHOLE}>
      {neverCopied && status === 'breach' ? 'Not protected' : RPO[status].label}
    </Badge>
  );
}

export function JobBadge({ status }: { status: JobStatus }) {
  return (
    <Badge color={JOB[status].color} variant="light" style={WHOLE}>
      {JOB[status].label}
    </Badge>
  );
}
