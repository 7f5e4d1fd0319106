import { ActionIcon, Badge, Group, NumberInput, Paper, Select, Stack, Text, Title } from '@mantine/core';
import { IconArrowDown, IconArrowUp, IconGripVertical } from '@tabler/icons-react';
import { useState, type DragEvent } from 'react';
import type { GroupGate } from '../../../core/contract/drills';
import { moveVm, type DraftGroup } from '../../model/drills';

const GATES: { value: GroupGate['kind']; label: string }[] = [
  { value: 'none', label: 'Start the next group at once' },
  { value: 'heartbeat', label: 'Wait until these VMs answer' },
  { value: 'delay', label: 'Wait a fixed time' },
];

/** Boot order: VMs in a group start together; groups start one after another. Drag VMs, or use the arrow buttons. */
export function OrderStep({
  groups,
  onChange,
  vmName,
}: {
  groups: DraftGroup[];
  onChange(groups: DraftGroup[]): void;
  vmName(id: string): string;
}) {
  const [over, setOver] = useState<number | null>(null);
  const drop = (event: DragEvent, group: number): void => {
    event.preventDefault();
    setOver(null);
    const vmId = event.dataTransfer.getData('text/plain');
    if (vmId) onChange(moveVm(groups, vmId, group));
  };
  const zone = (group: number) => ({
    onDragOver: (event: DragEvent) => {
      event.preventDefault();
      setOver(group);
    },
    onDragLeave: () => setOver(null),
    onDrop: (event: DragEvent) => drop(event, group),
  });
  return (
    <Stack gap="xs">
      <Title order={4}>In what order should the VMs start?</Title>
      <Text size="sm" c="dimmed">
        Put what others depend on first — usually the domain controller, then databases, then applications. Drag a VM to another group, or
        use its arrows.
      </Text>
      {groups.map((group, g) => (
        <Stack key={g} gap={4}>
          <Paper withBorder p="sm" bg={over === g ? 'var(--mantine-color-default-hover)' : undefined} {...zone(g)} data-testid="plan-group">
            <Group justify="space-between" mb={6}>
              <Text fw={600}>
                {g + 1}. {group.name}
              </Text>
              <Text size="sm" c="dimmed">
                {g === 0 ? 'Starts first' : 'Starts after the group above'}
              </Text>
            </Group>
            <Stack gap={4}>
              {group.vmIds.map((vmId) => (
                <Group
                  key={vmId}
                  draggable
                  onDragStart={(event) => event.dataTransfer.setData('text/plain', vmId)}
                  justify="space-between"
                  px="xs"
                  py={4}
                  style={{ border: '1px solid var(--mantine-color-default-border)', borderRadius: 6, cursor: 'grab' }}
                  data-testid="plan-vm"
                >
                  <Group gap={6}>
                    <IconGripVertical size={16} aria-hidden />
                    <Text size="sm">{vmName(vmId)}</Text>
                  </Group>
                  <Group gap={2}>
                    <ActionIcon
                      variant="subtle"
                      size="sm"
                      aria-label={`Start ${vmName(vmId)} earlier`}
                      disabled={g === 0 && group.vmIds.length === 1}
                      onClick={() => onChange(moveVm(groups, vmId, Math.max(0, g - 1)))}
                    >
                      <IconArrowUp size={16} />
                    </ActionIcon>
                    <ActionIcon
                      variant="subtle"
                      size="sm"
                      aria-label={`Start ${vmName(vmId)} later`}
                      disabled={g === groups.length - 1 && group.vmIds.length === 1}
                      onClick={() => onChange(moveVm(groups, vmId, g + 1))}
                    >
                      <IconArrowDown size={16} />
                    </ActionIcon>
                  </Group>
                </Group>
              ))}
            </Stack>
          </Paper>
          {g < groups.length - 1 && (
            <Group gap="xs" pl="md">
              <Badge variant="light" color="gray">
                then
              </Badge>
              <Select
                aria-label={`After group ${g + 1}`}
                size="xs"
                w={260}
                data={GATES}
                value={group.then.kind}
                allowDeselect={false}
                onChange={(kind) =>
                  onChange(
                    groups.map((each, i) =>
                      i === g
                        ? {
                            ...each,
                            then:
                              kind === 'delay'
                                ? { kind: 'delay', seconds: 60 }
                                : kind === 'heartbeat'
                                  ? { kind: 'heartbeat', timeoutSeconds: 600 }
                                  : { kind: 'none' },
                          }
                        : each,
                    ),
                  )
                }
              />
              {group.then.kind === 'delay' && (
                <NumberInput
                  aria-label="Seconds to wait"
                  size="xs"
                  w={120}
                  min={1}
                  max={3600}
                  suffix=" s"
                  value={group.then.seconds}
                  onChange={(v) =>
                    onChange(groups.map((each, i) => (i === g ? { ...each, then: { kind: 'delay', seconds: Number(v) || 1 } } : each)))
                  }
                />
              )}
            </Group>
          )}
        </Stack>
      ))}
      <Paper
        withBorder
        p="sm"
        style={{ borderStyle: 'dashed' }}
        bg={over === groups.length ? 'var(--mantine-color-default-hover)' : undefined}
        {...zone(groups.length)}
        data-testid="plan-new-group"
      >
        <Text size="sm" c="dimmed" ta="center">
          Drop a VM here to start it in a new, later group
        </Text>
      </Paper>
    </Stack>
  );
}
