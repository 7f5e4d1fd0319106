import { Group, Select, Text, TextInput } from '@mantine/core';
import { IconSearch } from '@tabler/icons-react';
import type { Host, PowerState } from '../../../core/contract/hosts';

const POWER_FILTERS: { value: PowerState | 'all'; label: string }[] = [
  { value: 'all', label: 'Any power state' },
  { value: 'running', label: 'Running' },
  { value: 'off', label: 'Off' },
  { value: 'suspended', label: 'Suspended' },
  { value: 'paused', label: 'Paused' },
];

export interface VmFiltersProps {
  hosts: Host[];
  search: string;
  hostFilter: string | null;
  powerFilter: PowerState | 'all';
  onSearch(search: string): void;
  onHostFilter(hostId: string | null): void;
  onPowerFilter(power: PowerState | 'all'): void;
  /** VMs the filters let through, of all VMs. */
  shown: number;
  total: number;
}

/** Search and filters above the VM table, and how many VMs they leave. */
export function VmFilters({ hosts, search, hostFilter, powerFilter, onSearch, onHostFilter, onPowerFilter, shown, total }: VmFiltersProps) {
  return (
    <Group mb="sm">
      <TextInput
        placeholder="Search by name, guest OS or IP"
        aria-label="Search VMs"
        leftSection={<IconSearch size={16} />}
        value={search}
        onChange={(e) => onSearch(e.currentTarget.value)}
        w={300}
      />
      <Select
        aria-label="Host"
        placeholder="All hosts"
        data={hosts.map((host) => ({ value: host.id, label: host.name }))}
        value={hostFilter}
        onChange={onHostFilter}
        clearable
        w={220}
      />
      <Select
        aria-label="Power state"
        data={POWER_FILTERS}
        value={powerFilter}
        onChange={(value) => onPowerFilter((value as PowerState | 'all' | null) ?? 'all')}
        allowDeselect={false}
        w={200}
      />
      <Text size="sm" c="dimmed" ml="auto" data-testid="vm-count">
        {shown === total ? `${shown} VMs` : `${shown} of ${total} VMs`}
      </Text>
    </Group>
  );
}
