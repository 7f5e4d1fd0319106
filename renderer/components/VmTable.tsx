import { Anchor, Badge, Table, Text, Tooltip } from '@mantine/core';
import { useVirtualizer } from '@tanstack/react-virtual';
import { useRef } from 'react';
import type { GuestHeartbeat, PowerState, Vm } from '../../core/contract/hosts';
import { formatBytes, guestOsWords } from '../format';

const ROW_HEIGHT = 58;

/** Fixed widths keep every row one height (two short lines), which the virtualizer relies on. */
const COLUMNS: { label: string; width?: number }[] = [
  { label: 'Name' },
  { label: 'Host', width: 120 },
  { label: 'Power', width: 105 },
  { label: 'CPU / memory', width: 140 },
  { label: 'Disks', width: 95 },
  { label: 'Network', width: 130 },
  { label: 'Guest', width: 145 },
  { label: 'Protection', width: 140 },
];

/**
 * The Name column takes what the fixed columns leave, but never less than this: below it the table scrolls
 * sideways (Name stays put, sticky) instead of squeezing names to nothing on a 1024-pixel screen. The sum
 * fits a 1366-pixel laptop without scrolling.
 */
const NAME_MIN_WIDTH = 190;
const TABLE_MIN_WIDTH = NAME_MIN_WIDTH + COLUMNS.reduce((sum, column) => sum + (column.width ?? 0), 0);

const cell = { whiteSpace: 'nowrap', overflow: 'hidden', textOverflow: 'ellipsis' } as const;
/** The first column stays in view while the rest scroll sideways; it needs an opaque background to cover them. */
const sticky = {
  position: 'sticky',
  left: 0,
  zIndex: 1,
  background: 'var(--mantine-color-body)',
  boxShadow: 'inset -1px 0 0 var(--table-border-color)',
} as const;
/** A badge shows its whole word: the cell grows or scrolls, the badge is never cut to "PAS…". */
const whole = { flexShrink: 0, minWidth: 'max-content' } as const;

const POWER_COLOR: Record<PowerState, string> = {
  running: 'green',
  off: 'gray',
  suspended: 'yellow',
  paused: 'yellow',
  starting: 'blue',
  stopping: 'blue',
  unknown: 'gray',
};

const HEARTBEAT: Record<GuestHeartbeat, { label: string; color: string }> = {
  ok: { label: 'OK', color: 'green' },
  degraded: { label: 'Degraded', color: 'yellow' },
  lost: { label: 'Lost', color: 'red' },
  'no-contact': { label: 'No contact', color: 'gray' },
  'not-installed': { label: 'No tools', color: 'gray' },
  unknown: { label: 'Unknown', color: 'gray' },
};

const KIND_LABEL = { hyperv: 'Hyper-V', vsphere: 'vSphere', workstation: 'Workstation', azure: 'Azure' } as const;

/**
 * The VM list as a real table (rows and cells for screen readers), virtualized: only the rows in view are
 * in the DOM, with spacer rows above and below, so thousands of VMs scroll without freezing the page.
 */
export function VmTable({ vms, height, onOpen }: { vms: Vm[]; height: number | string; onOpen?: (vm: Vm) => void }) {
  const scroller = useRef<HTMLDivElement>(null);
  // TanStack Virtual returns new functions each render by design; the React Compiler cannot memoize it.
  // eslint-disable-next-line react-hooks/incompatible-library
  const virtualizer = useVirtualizer({
    count: vms.length,
    getScrollElement: () => scroller.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 12,
  });
  const items = virtualizer.getVirtualItems();
  const top = items[0]?.start ?? 0;
  const bottom = virtualizer.getTotalSize() - (items.at(-1)?.end ?? 0);

  return (
    <div ref={scroller} style={{ height, overflow: 'auto' }} data-testid="vm-table-scroller">
      <Table
        stickyHeader
        highlightOnHover
        layout="fixed"
        verticalSpacing={6}
        aria-rowcount={vms.length + 1}
        data-testid="vm-table"
        style={{ minWidth: TABLE_MIN_WIDTH }}
      >
        <Table.Thead style={{ zIndex: 2 }}>
          <Table.Tr>
            {COLUMNS.map((column, index) => (
              <Table.Th key={column.label} w={column.width} style={index === 0 ? { ...cell, ...sticky, zIndex: 3 } : cell}>
                {column.label}
              </Table.Th>
            ))}
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {top > 0 && (
            <tr aria-hidden>
              <td colSpan={8} style={{ height: top, padding: 0, border: 0 }} />
            </tr>
          )}
          {items.map((item) => {
            const vm = vms[item.index]!;
            const size = vm.disks.reduce((sum, disk) => sum + (disk.capacityBytes ?? 0), 0);
            const ip = vm.nics.flatMap((nic) => nic.ips).find((address) => !address.includes(':')) ?? vm.nics.flatMap((nic) => nic.ips)[0];
            const heartbeat = HEARTBEAT[vm.heartbeat];
            return (
              <Table.Tr
                key={vm.id}
                style={{ height: ROW_HEIGHT, cursor: onOpen ? 'pointer' : undefined }}
                aria-rowindex={item.index + 2}
                data-testid="vm-row"
                onClick={onOpen ? () => onOpen(vm) : undefined}
              >
                <Table.Td style={{ ...cell, ...sticky }}>
                  {onOpen ? (
                    // A real link as well as the row click: reachable by keyboard, opens in a new tab with the middle button.
                    <Anchor
                      href={`#/vms/${encodeURIComponent(vm.id)}`}
                      size="sm"
                      fw={500}
                      truncate="end"
                      title={vm.name}
                      display="block"
                      onClick={(event) => event.stopPropagation()}
                    >
                      {vm.name}
                    </Anchor>
                  ) : (
                    <Text size="sm" fw={500} truncate="end" title={vm.name}>
                      {vm.name}
                    </Text>
                  )}
                  <Text size="xs" c="dimmed" truncate="end">
                    {vm.replication
                      ? `Hyper-V Replica ${vm.replication.mode.toLowerCase()} → ${vm.replication.partner ?? '?'} (${vm.replication.health})`
                      : (vm.configPath ?? '')}
                  </Text>
                </Table.Td>
                <Table.Td style={cell}>
                  <Text size="sm" truncate="end">
                    {vm.hostName}
                  </Text>
                  <Text size="xs" c="dimmed">
                    {KIND_LABEL[vm.hostKind]}
                  </Text>
                </Table.Td>
                <Table.Td style={cell}>
                  <Badge variant="light" color={POWER_COLOR[vm.powerState]} tt="capitalize" style={whole}>
                    {vm.powerState}
                  </Badge>
                </Table.Td>
                <Table.Td style={cell}>
                  <Text size="sm">{vm.cpus ?? '?'} vCPU</Text>
                  <Text size="xs" c="dimmed">
                    {vm.memoryMiB === null ? '?' : formatBytes(vm.memoryMiB * 1024 * 1024)} memory
                  </Text>
                </Table.Td>
                <Table.Td style={cell}>
                  <Tooltip label={vm.disks.map((d) => `${d.label}: ${d.path}`).join('\n') || 'No disks'} multiline maw={480} withinPortal>
                    <div>
                      <Text size="sm">{formatBytes(size)}</Text>
                      <Text size="xs" c="dimmed">
                        {vm.disks.length} {vm.disks.length === 1 ? 'disk' : 'disks'}
                      </Text>
                    </div>
                  </Tooltip>
                </Table.Td>
                <Table.Td style={cell}>
                  <Text size="sm" truncate="end">
                    {ip ?? (vm.nics.length === 0 ? 'No network' : '—')}
                  </Text>
                  <Text size="xs" c="dimmed" truncate="end">
                    {vm.nics
                      .map((nic) => nic.network)
                      .filter(Boolean)
                      .join(', ')}
                  </Text>
                </Table.Td>
                <Table.Td style={cell}>
                  <Badge variant="dot" color={heartbeat.color} size="sm" style={whole}>
                    {heartbeat.label}
                  </Badge>
                  <Text size="xs" c="dimmed" truncate="end" title={guestOsWords(vm.guestOs) || undefined}>
                    {guestOsWords(vm.guestOs)}
                  </Text>
                </Table.Td>
                <Table.Td style={cell}>
                  {vm.protection ? (
                    // A policy name is the user's own and may be long: it may be cut, with the whole name on hover.
                    <Badge color="teal" variant="light" tt="none" maw="100%" title={vm.protection.policyName}>
                      {vm.protection.policyName}
                    </Badge>
                  ) : (
                    <Badge color="gray" variant="outline" tt="none" style={whole}>
                      Not protected
                    </Badge>
                  )}
                </Table.Td>
              </Table.Tr>
            );
          })}
          {bottom > 0 && (
            <tr aria-hidden>
              <td colSpan={8} style={{ height: bottom, padding: 0, border: 0 }} />
            </tr>
          )}
        </Table.Tbody>
      </Table>
    </div>
  );
}
