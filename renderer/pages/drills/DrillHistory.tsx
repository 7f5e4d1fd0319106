import { Anchor, Card, Table, Text, Title } from '@mantine/core';
import type { Drill } from '../../../core/contract/drills';
import { DrillBadge } from '../../components/DrillBadge';
import { formatDate, formatDuration } from '../../format';
import { achievedRto, verdict } from '../../model/drills';

/** Every drill and failover, newest first, with what it measured against the plan's goals. */
export function DrillHistory({ drills, onOpen }: { drills: Drill[]; onOpen(drillId: string): void }) {
  return (
    <Card withBorder padding={0}>
      <Title order={3} size="h4" p="md" pb="xs">
        Drill history
      </Title>
      <Table highlightOnHover verticalSpacing="xs">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Started</Table.Th>
            <Table.Th>Plan</Table.Th>
            <Table.Th>Result</Table.Th>
            <Table.Th>Recovery time</Table.Th>
            <Table.Th>Work lost</Table.Th>
            <Table.Th>Cleaned up</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {drills.map((drill) => (
            <Table.Tr key={drill.id} data-testid="drill-row">
              <Table.Td>
                <Anchor component="button" size="sm" onClick={() => onOpen(drill.id)}>
                  {formatDate(drill.startedAt)}
                </Anchor>
              </Table.Td>
              <Table.Td>
                {drill.plan}
                {drill.kind !== 'test' && (
                  <Text span size="xs" c="dimmed">
                    {' '}
                    · {drill.kind === 'failback' ? 'failback' : `${drill.kind} failover`}
                  </Text>
                )}
              </Table.Td>
              <Table.Td>
                <DrillBadge status={drill.status} />
              </Table.Td>
              <Table.Td>
                <Measured
                  seconds={achievedRto(drill)}
                  target={drill.rtoTargetSeconds}
                  unmeasured={drill.status === 'running' ? undefined : 'Not measured'}
                />
              </Table.Td>
              <Table.Td>
                <Measured
                  seconds={drill.status === 'passed' ? drill.rpoSeconds : null}
                  target={drill.rpoTargetSeconds}
                  unmeasured={drill.status === 'running' ? undefined : 'Not proven'}
                />
              </Table.Td>
              <Table.Td>
                {drill.status === 'running' || drill.kind !== 'test' ? '—' : drill.cleanupConfirmed ? 'Yes' : 'Not confirmed'}
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Card>
  );
}

/** A measured time against its goal, red when the goal was missed; `unmeasured` says why there is none. */
function Measured({ seconds, target, unmeasured }: { seconds: number | null; target: number | null; unmeasured?: string }) {
  const result = verdict(seconds, target);
  if (seconds === null && unmeasured)
    return (
      <Text size="sm" c="dimmed">
        {unmeasured}
      </Text>
    );
  return (
    <Text size="sm" c={result === 'missed' ? 'red' : undefined} fw={result === 'missed' ? 600 : undefined}>
      {formatDuration(seconds)}
      {target !== null && seconds !== null ? ` (goal ${formatDuration(target)})` : ''}
    </Text>
  );
}
