import { Badge } from '@mantine/core';
import type { DrillStatus } from '../../core/contract/drills';

const DRILL: Record<DrillStatus, { color: string; label: string }> = {
  running: { color: 'blue', label: 'Running' },
  passed: { color: 'green', label: 'Passed' },
  failed: { color: 'red', label: 'Failed' },
  cancelled: { color: 'gray', label: 'Cancelled' },
  interrupted: { color: 'orange', label: 'Interrupted' },
};

export function DrillBadge({ status, size }: { status: DrillStatus; size?: 'sm' | 'md' | 'lg' | 'xl' }) {
  return (
    <Badge color={DRILL[status].color} variant="light" size={size}>
      {DRILL[status].label}
    </Badge>
  );
}
