import { Badge, Checkbox, Group, Paper, Select, Text, TextInput } from '@mantine/core';
import { IconSearch } from '@tabler/icons-react';
import { useVirtualizer } from '@tanstack/react-virtual';
import { useDeferredValue, useMemo, useRef, useState } from 'react';
import type { Host, Vm } from '../../core/contract/hosts';
import { formatBytes, guestOsWords } from '../format';
import { vmDiskBytes } from '../model/protection';

const ROW = 46;

/**
 * Choose VMs: search, filter by host, tick many (or every VM shown at once). Virtualized, so a catalog of
 * thousands of VMs stays quick. `unavailable` says why a VM cannot be chosen (already protected elsewhere).
 */
export function VmPicker({
  vms,
  hosts,
  selected,
  onChange,
  unavailable = () => null,
  height = 320,
}: {
  vms: readonly Vm[];
  hosts: readonly Host[];
  selected: readonly string[];
  onChange(ids: string[]): void;
  unavailable?: (vm: Vm) => string | null;
  height?: number;
}) {
  const [search, setSearch] = useState('');
  const [hostId, setHostId] = useState<string | null>(null);
  const query = useDeferredValue(search.trim().toLowerCase());
  const chosen = useMemo(() => new Set(selected), [selected]);
  const shown = useMemo(
    () =>
      vms.filter(
        (vm) =>
          (hostId === null || vm.hostId === hostId) &&
          (!query || vm.name.toLowerCase().includes(query) || guestOsWords(vm.guestOs).toLowerCase().includes(query)),
      ),
    [vms, hostId, query],
  );
  const choosable = shown.filter((vm) => unavailable(vm) === null);
  const allShownChosen = choosable.length > 0 && choosable.every((vm) => chosen.has(vm.id));
  const someShownChosen = choosable.some((vm) => chosen.has(vm.id));

  const scroller = useRef<HTMLDivElement>(null);
  // eslint-disable-next-line react-hooks/incompatible-library
  const virtualizer = useVirtualizer({
    count: shown.length,
    getScrollElement: () => scroller.current,
    estimateSize: () => ROW,
    overscan: 8,
  });

  const toggle = (vm: Vm, on: boolean): void => onChange(on ? [...selected, vm.id] : selected.filter((id) => id !== vm.id));
  const toggleShown = (on: boolean): void => {
    const ids = new Set(choosable.map((vm) => vm.id));
    onChange(on ? [...new Set([...selected, ...ids])] : selected.filter((id) => !ids.has(id)));
  };

  return (
    <Paper withBorder p="sm" data-testid="vm-picker">
      <Group mb="xs" wrap="nowrap">
        <TextInput
          placeholder="Search VMs"
          aria-label="Search VMs"
          leftSection={<IconSearch size={16} />}
          value={search}
          onChange={(e) => setSearch(e.currentTarget.value)}
          style={{ flex: 1 }}
        />
        {hosts.length > 1 && (
          <Select
            aria-label="Filter by host"
            placeholder="All hosts"
            data={hosts.map((h) => ({ value: h.id, label: h.name }))}
            value={hostId}
            onChange={setHostId}
            clearable
            w={200}
          />
        )}
      </Group>
      <Group justify="space-between" px={4} py={6} style={{ borderBottom: '1px solid var(--mantine-color-default-border)' }}>
        <Checkbox
          label={shown.length === vms.length ? 'Select all' : `Select all ${shown.length} shown`}
          checked={allShownChosen}
          indeterminate={!allShownChosen && someShownChosen}
          disabled={choosable.length === 0}
          onChange={(e) => toggleShown(e.currentTarget.checked)}
        />
        <Text size="sm" c="dimmed" data-testid="vm-picker-count">
          {selected.length} of {vms.length} selected
        </Text>
      </Group>
      <div
        ref={scroller}
        style={{ height: Math.min(height, Math.max(ROW, shown.length * ROW)), overflowY: 'auto' }}
        role="group"
        aria-label="VMs"
      >
        {shown.length === 0 ? (
          <Text c="dimmed" ta="center" py="md">
            {vms.length === 0 ? 'No VMs yet: add a host first.' : 'No VM matches.'}
          </Text>
        ) : (
          <div style={{ height: virtualizer.getTotalSize(), position: 'relative' }}>
            {virtualizer.getVirtualItems().map((item) => {
              const vm = shown[item.index]!;
              const reason = unavailable(vm);
              return (
                <Group
                  key={vm.id}
                  wrap="nowrap"
                  justify="space-between"
                  px={4}
                  style={{ position: 'absolute', top: item.start, left: 0, right: 0, height: ROW }}
                  data-testid="vm-picker-row"
                >
                  <Checkbox
                    label={vm.name}
                    description={
                      reason ??
                      `${vm.hostName} · ${formatBytes(vmDiskBytes(vm))} of disks${vm.guestOs ? ` · ${guestOsWords(vm.guestOs)}` : ''}`
                    }
                    checked={chosen.has(vm.id)}
                    disabled={reason !== null}
                    onChange={(e) => toggle(vm, e.currentTarget.checked)}
                    styles={{ description: { whiteSpace: 'nowrap', overflow: 'hidden', textOverflow: 'ellipsis', maxWidth: 520 } }}
                  />
                  {vm.protection && (
                    <Badge color="teal" variant="light" tt="none" style={{ flexShrink: 0 }}>
                      {vm.protection.policyName}
                    </Badge>
                  )}
                </Group>
              );
            })}
          </div>
        )}
      </div>
    </Paper>
  );
}
