import { Group, RingProgress, Stack, Text } from '@mantine/core';
import type { RpoState, VmRpoStatus } from '../../core/contract/protection';

const COLOR: Record<RpoState, string> = { ok: 'green', warning: 'yellow', breach: 'red', pending: 'gray' };
const WORDS: Record<RpoState, string> = {
  ok: 'within RPO',
  warning: 'at risk',
  breach: 'outside RPO',
  pending: 'waiting for a first copy',
};

export function countByState(statuses: readonly VmRpoStatus[]): Record<RpoState, number> {
  const counts: Record<RpoState, number> = { ok: 0, warning: 0, breach: 0, pending: 0 };
  for (const status of statuses) counts[status.status]++;
  return counts;
}

/** RPO health of a group of VMs at a glance: a ring of green / yellow / red / grey, and the counts in words. */
export function RpoRing({ statuses, size = 84, label }: { statuses: readonly VmRpoStatus[]; size?: number; label?: string }) {
  const counts = countByState(statuses);
  const total = statuses.length || 1;
  const states = (['ok', 'warning', 'breach', 'pending'] as const).filter((state) => counts[state] > 0);
  return (
    <Group gap="sm" wrap="nowrap">
      <div role="img" aria-label={label ?? `${counts.ok} of ${statuses.length} VMs within their RPO`}>
        <RingProgress
          size={size}
          thickness={size / 9}
          roundCaps={false}
          sections={states.map((state) => ({
            value: (counts[state] / total) * 100,
            color: COLOR[state],
            tooltip: `${counts[state]} ${WORDS[state]}`,
          }))}
          label={
            <Text ta="center" fw={700} size="sm">
              {counts.ok}/{statuses.length}
            </Text>
          }
        />
      </div>
      <Stack gap={0}>
        {states.map((state) => (
          <Text key={state} size="sm" c={state === 'ok' || state === 'pending' ? undefined : COLOR[state]}>
            {counts[state]} {WORDS[state]}
          </Text>
        ))}
        {statuses.length === 0 && (
          <Text size="sm" c="dimmed">
            No VMs
          </Text>
        )}
      </Stack>
    </Group>
  );
}
