import { Anchor, Badge, Button, Group, Loader, Paper, Radio, SimpleGrid, Stack, Table, Text, Title, VisuallyHidden } from '@mantine/core';
import { IconArrowLeft, IconDatabaseExport, IconRestore } from '@tabler/icons-react';
import { useState, type ReactNode } from 'react';
import type { PointConsistency, VmPoint, VmRecovery } from '../../core/contract/restore';
import { DrillBadge } from '../components/DrillBadge';
import { ErrorNotice } from '../components/ErrorNotice';
import { PageEmptyState } from '../components/PageEmptyState';
import { formatAgo, formatBytes, formatDate, guestOsWords } from '../format';
import { useEngineQuery } from '../hooks';
import type { PageId } from '../router';
import { RestoreDiskModal } from './vm/RestoreDiskModal';
import { RestoreProgress } from './vm/RestoreProgress';
import { RestoreVmModal } from './vm/RestoreVmModal';

const KIND_LABEL = { hyperv: 'Hyper-V', vsphere: 'vSphere', workstation: 'Workstation', azure: 'Azure' } as const;

/** How a point was taken, in words. Crash-consistent is the weaker promise (like pulling the plug), so it is yellow. */
const CONSISTENCY: Record<PointConsistency, { label: string; color: string }> = {
  'app-consistent': { label: 'Application-consistent', color: 'blue' },
  'powered-off': { label: 'Taken while off', color: 'blue' },
  'crash-consistent': { label: 'Crash-consistent', color: 'yellow' },
};

const DRILL_KIND = { test: 'Drill', planned: 'Planned failover', unplanned: 'Unplanned failover', failback: 'Failback' } as const;

/**
 * One VM: what it is, the recovery points it has (with what drills proved about each), and restoring from a
 * chosen point. Restore VM is the page's one primary action; restoring a single disk sits beside it.
 */
export function VmPage({ vmId, go }: { vmId: string; go(page: PageId, param?: string | null): void }) {
  const recovery = useEngineQuery('getVmRecovery', { vmId });
  const [chosen, setChosen] = useState<string | null>(null);
  const [modal, setModal] = useState<'vm' | 'disk' | null>(null);
  const [restoreJob, setRestoreJob] = useState<string | null>(null);

  const back = (
    <Button variant="subtle" leftSection={<IconArrowLeft size={16} />} onClick={() => go('vms')} px={0} style={{ alignSelf: 'flex-start' }}>
      All virtual machines
    </Button>
  );
  if (recovery.error && !recovery.data) {
    return (
      <Stack>
        {back}
        <ErrorNotice error={recovery.error} onRetry={recovery.reload} />
      </Stack>
    );
  }
  if (!recovery.data) {
    return (
      <Stack>
        {back}
        <Loader size="sm" role="status" aria-label="Loading" />
      </Stack>
    );
  }
  const r = recovery.data;
  const { vm } = r;
  const point = r.points.find((p) => p.id === chosen) ?? r.points[0] ?? null;
  const started = (jobId: string): void => {
    setModal(null);
    setRestoreJob(jobId);
  };

  return (
    <Stack>
      {back}
      <Group justify="space-between" align="flex-start">
        <div style={{ minWidth: 0 }}>
          <Title order={2} style={{ overflowWrap: 'anywhere' }}>
            {vm.name}
          </Title>
          <Text c="dimmed">
            {vm.hostName} · {KIND_LABEL[vm.hostKind]}
          </Text>
        </div>
        <Group gap="xs">
          <Badge variant="light" color={vm.powerState === 'running' ? 'green' : 'gray'} tt="capitalize" style={{ flexShrink: 0 }}>
            {vm.powerState}
          </Badge>
          {vm.protection ? (
            <Badge color="teal" variant="light" tt="none">
              Protected by {vm.protection.policyName}
            </Badge>
          ) : (
            <Badge color="gray" variant="outline" tt="none">
              Not protected
            </Badge>
          )}
        </Group>
      </Group>

      <Facts recovery={r} />

      <Paper withBorder p="md">
        <Group justify="space-between" mb="sm">
          <Title order={3} size="h4">
            Recovery points
          </Title>
          <Text size="sm" c="dimmed" data-testid="point-count">
            {r.points.length === 1 ? '1 point' : `${r.points.length} points`}
          </Text>
        </Group>
        {r.points.length === 0 ? (
          <PageEmptyState
            icon={<IconRestore />}
            title="No recovery points yet"
            description={
              vm.protection
                ? `${vm.name} is protected; its first copy has not finished yet. Copy it now from the Protection page.`
                : `Protect ${vm.name} to keep recovery points of it in the vault.`
            }
            action={{ label: 'Open Protection', onClick: () => go('protection') }}
          />
        ) : (
          <Points points={r.points} chosen={point?.id ?? null} onChoose={setChosen} go={go} />
        )}
      </Paper>

      {point && (
        <Paper withBorder p="md" data-testid="restore-panel">
          <Title order={3} size="h4" mb={4}>
            Restore from the point of {formatDate(point.time)}
          </Title>
          <Text size="sm" c="dimmed" mb="sm">
            Choose another point in the list above to restore from it instead.
          </Text>
          {/* Each kind of restore is one entry here; file-level restore joins them when it exists. */}
          <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="md">
            <RestoreChoice title="Restore VM" text={`The whole VM, as a new VM next to ${vm.name} or over it.`}>
              <Button leftSection={<IconRestore size={18} />} onClick={() => setModal('vm')}>
                Restore VM
              </Button>
            </RestoreChoice>
            <RestoreChoice
              title="Restore disk"
              text={`One disk to a ${r.diskFormat.toUpperCase()} file, to attach to another VM or open on this computer.`}
            >
              <Button variant="default" leftSection={<IconDatabaseExport size={18} />} onClick={() => setModal('disk')}>
                Restore disk
              </Button>
            </RestoreChoice>
          </SimpleGrid>
          <Text size="xs" c="dimmed" mt="sm">
            Single files cannot be restored from a point yet: restore the disk to a file and open it on this computer.
          </Text>
        </Paper>
      )}

      {restoreJob && <RestoreProgress key={restoreJob} jobId={restoreJob} onDismiss={() => setRestoreJob(null)} />}

      {point && modal === 'vm' && <RestoreVmModal recovery={r} point={point} opened onClose={() => setModal(null)} onStarted={started} />}
      {point && modal === 'disk' && (
        <RestoreDiskModal recovery={r} point={point} opened onClose={() => setModal(null)} onStarted={started} />
      )}
    </Stack>
  );
}

function RestoreChoice({ title, text, children }: { title: string; text: string; children: ReactNode }) {
  return (
    <Stack gap={6} justify="space-between">
      <div>
        <Text fw={500}>{title}</Text>
        <Text size="sm" c="dimmed">
          {text}
        </Text>
      </div>
      <Group>{children}</Group>
    </Stack>
  );
}

function Facts({ recovery }: { recovery: VmRecovery }) {
  const { vm } = recovery;
  const size = vm.disks.reduce((sum, d) => sum + (d.capacityBytes ?? 0), 0);
  const ips = vm.nics.flatMap((n) => n.ips);
  const facts: [string, string][] = [
    ['CPU and memory', `${vm.cpus ?? '?'} vCPU · ${vm.memoryMiB === null ? '?' : formatBytes(vm.memoryMiB * 1024 * 1024)}`],
    [
      'Firmware',
      vm.firmware === 'unknown' ? 'Unknown' : vm.firmware.toUpperCase() + (vm.generation ? ` (generation ${vm.generation})` : ''),
    ],
    ['Guest OS', guestOsWords(vm.guestOs) || 'Unknown'],
    ['Disks', `${vm.disks.length} · ${formatBytes(size)}`],
    [
      'Network',
      vm.nics.length === 0
        ? 'No network adapter'
        : `${vm.nics.map((n) => n.network ?? 'not connected').join(', ')}${ips.length ? ` · ${ips.join(', ')}` : ''}`,
    ],
    ['Last seen', formatAgo(vm.lastSeenAt)],
  ];
  return (
    <Paper withBorder p="md" data-testid="vm-facts">
      <SimpleGrid cols={{ base: 2, md: 3 }} spacing="md" verticalSpacing="sm">
        {facts.map(([label, value]) => (
          <div key={label} style={{ minWidth: 0 }}>
            <Text size="xs" c="dimmed">
              {label}
            </Text>
            <Text size="sm" style={{ overflowWrap: 'anywhere' }}>
              {value}
            </Text>
          </div>
        ))}
      </SimpleGrid>
      {vm.disks.length > 0 && (
        <Stack gap={2} mt="sm">
          {vm.disks.map((d) => (
            <Text key={d.key} size="xs" c="dimmed" style={{ overflowWrap: 'anywhere' }}>
              {d.label}: {d.path} ({d.format.toUpperCase()}, {d.capacityBytes === null ? 'size unknown' : formatBytes(d.capacityBytes)})
            </Text>
          ))}
        </Stack>
      )}
    </Paper>
  );
}

function Points({
  points,
  chosen,
  onChoose,
  go,
}: {
  points: VmPoint[];
  chosen: string | null;
  onChoose(id: string): void;
  go(page: PageId, param?: string | null): void;
}) {
  return (
    <Table.ScrollContainer minWidth={640} maxHeight={360}>
      <Table highlightOnHover stickyHeader verticalSpacing={6} data-testid="points-table">
        <Table.Thead>
          <Table.Tr>
            <Table.Th w={40}>
              <VisuallyHidden>Restore from</VisuallyHidden>
            </Table.Th>
            <Table.Th>Time</Table.Th>
            <Table.Th>Consistency</Table.Th>
            <Table.Th>Size</Table.Th>
            <Table.Th>Added to vault</Table.Th>
            <Table.Th>Proved by</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {points.map((p) => {
            const consistency = CONSISTENCY[p.consistency];
            return (
              <Table.Tr
                key={p.id}
                data-testid="point-row"
                onClick={() => onChoose(p.id)}
                style={{ cursor: 'pointer' }}
                bg={p.id === chosen ? 'var(--mantine-primary-color-light)' : undefined}
              >
                <Table.Td>
                  <Radio
                    checked={p.id === chosen}
                    onChange={() => onChoose(p.id)}
                    aria-label={`Restore from the point of ${formatDate(p.time)}`}
                    name="point"
                  />
                </Table.Td>
                <Table.Td style={{ whiteSpace: 'nowrap' }}>
                  <Text size="sm">{formatDate(p.time)}</Text>
                  <Text size="xs" c="dimmed">
                    {formatAgo(p.time)}
                    {p.targetName ? ` · ${p.targetName}` : ''}
                  </Text>
                </Table.Td>
                <Table.Td>
                  <Badge variant="light" color={consistency.color} tt="none" style={{ flexShrink: 0, minWidth: 'max-content' }}>
                    {consistency.label}
                  </Badge>
                </Table.Td>
                <Table.Td style={{ whiteSpace: 'nowrap' }}>
                  <Text size="sm">{formatBytes(p.sizeBytes)}</Text>
                  <Text size="xs" c="dimmed">
                    {p.disks.length === 1 ? '1 disk' : `${p.disks.length} disks`}
                  </Text>
                </Table.Td>
                <Table.Td style={{ whiteSpace: 'nowrap' }}>{formatBytes(p.storedBytes)}</Table.Td>
                <Table.Td>
                  {p.drills.length === 0 ? (
                    <Text size="sm" c="dimmed">
                      Not drilled
                    </Text>
                  ) : (
                    <Stack gap={4}>
                      {p.drills.slice(0, 3).map((d) => (
                        <Group key={d.drillId} gap={6} wrap="nowrap">
                          <DrillBadge status={d.status} size="sm" />
                          <Anchor
                            size="sm"
                            style={{ whiteSpace: 'nowrap' }}
                            component="button"
                            onClick={(event) => {
                              event.stopPropagation();
                              go('drills', d.drillId);
                            }}
                          >
                            {DRILL_KIND[d.kind]} of {d.plan}
                          </Anchor>
                        </Group>
                      ))}
                    </Stack>
                  )}
                </Table.Td>
              </Table.Tr>
            );
          })}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}
