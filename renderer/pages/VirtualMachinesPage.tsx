import { Alert, Badge, Button, Group, Paper, Select, Stack, Text, TextInput, Tooltip } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { IconFlask, IconPlus, IconRefresh, IconSearch, IconServer2 } from '@tabler/icons-react';
import { useMemo, useState } from 'react';
import type { LifeboatError } from '../../core/contract/errors';
import type { PowerState } from '../../core/contract/hosts';
import { api } from '../api';
import { AddHostModal } from '../components/AddHostModal';
import { ErrorNotice } from '../components/ErrorNotice';
import { PageEmptyState } from '../components/PageEmptyState';
import { PageHeader } from '../components/PageHeader';
import { VmTable } from '../components/VmTable';
import { guestOsWords } from '../format';
import { useEngineQuery } from '../hooks';
import { navigate } from '../router';

const POWER_FILTERS: { value: PowerState | 'all'; label: string }[] = [
  { value: 'all', label: 'Any power state' },
  { value: 'running', label: 'Running' },
  { value: 'off', label: 'Off' },
  { value: 'suspended', label: 'Suspended' },
  { value: 'paused', label: 'Paused' },
];

const KIND_LABEL = { hyperv: 'Hyper-V', vsphere: 'vSphere', workstation: 'Workstation' } as const;

export function VirtualMachinesPage() {
  const hosts = useEngineQuery('listHosts');
  const vms = useEngineQuery('listVms');
  const [adding, setAdding] = useState(false);
  const [refreshing, setRefreshing] = useState(false);
  const [creatingLab, setCreatingLab] = useState(false);
  const [failure, setFailure] = useState<LifeboatError | null>(null);
  const [search, setSearch] = useState('');
  const [hostFilter, setHostFilter] = useState<string | null>(null);
  const [powerFilter, setPowerFilter] = useState<PowerState | 'all'>('all');

  const filtered = useMemo(() => {
    const needle = search.trim().toLowerCase();
    return (vms.data ?? []).filter(
      (vm) =>
        (hostFilter === null || vm.hostId === hostFilter) &&
        (powerFilter === 'all' || vm.powerState === powerFilter) &&
        (needle === '' || vm.name.toLowerCase().includes(needle) || guestOsWords(vm.guestOs).toLowerCase().includes(needle) || vm.nics.some((n) => n.ips.some((ip) => ip.includes(needle)))),
    );
  }, [vms.data, search, hostFilter, powerFilter]);

  const refresh = async (hostId?: string): Promise<void> => {
    setRefreshing(true);
    setFailure(null);
    try {
      const results = await api.discover(hostId ? { hostId } : {});
      const failed = results.filter((r) => !r.ok);
      const summary = results
        .filter((r) => r.ok)
        .map((r) => `${r.hostName}: ${r.total} VMs (${r.added} added, ${r.removed} removed, ${r.changed} changed)`)
        .join('; ');
      if (summary) notifications.show({ color: 'green', title: 'Discovery finished', message: summary });
      for (const r of failed) notifications.show({ color: 'red', title: `${r.hostName} could not be read`, message: `${r.error?.message ?? ''} ${r.error?.fix ?? ''}` });
    } catch (error) {
      setFailure(error as LifeboatError);
    } finally {
      setRefreshing(false);
      hosts.reload();
      vms.reload();
    }
  };

  const createLab = async (): Promise<void> => {
    setCreatingLab(true);
    setFailure(null);
    try {
      const lab = await api.createSampleLab({});
      notifications.show({ color: 'green', title: 'Sample lab ready', message: `${lab.vms.join(', ')} in ${lab.folder}` });
    } catch (error) {
      setFailure(error as LifeboatError);
    } finally {
      setCreatingLab(false);
      hosts.reload();
      vms.reload();
    }
  };

  const hostList = hosts.data ?? [];
  const header = (
    <PageHeader
      title="Virtual machines"
      subtitle="Every VM Lifeboat has found on your hosts."
      action={
        hostList.length > 0 && (
          <Group>
            <Button variant="default" leftSection={<IconRefresh size={18} />} onClick={() => void refresh()} loading={refreshing}>
              Refresh
            </Button>
            <Button leftSection={<IconPlus size={18} />} onClick={() => setAdding(true)}>
              Add host
            </Button>
          </Group>
        )
      }
    />
  );
  const modal = (
    <AddHostModal
      opened={adding}
      onClose={() => setAdding(false)}
      onAdded={(host) => {
        setAdding(false);
        notifications.show({ color: 'green', title: `${host.name} added`, message: 'Listing its VMs…' });
        void refresh(host.id);
      }}
    />
  );

  if (hosts.error && !hosts.data) return <ErrorNotice error={hosts.error} onRetry={hosts.reload} />;
  if (hosts.data && hostList.length === 0) {
    return (
      <>
        {header}
        {modal}
        <Stack>
          {failure && <ErrorNotice error={failure} />}
          <PageEmptyState
            icon={<IconServer2 />}
            title="No virtual machines found yet"
            description="Add the Hyper-V host, ESXi or vCenter server, or VMware Workstation folder where your VMs run. Lifeboat lists their VMs here within seconds; nothing on the host changes until you protect a VM. No hypervisor at hand? The sample lab gives you three small VMs to try everything with."
            action={{ label: 'Add host', onClick: () => setAdding(true) }}
          />
          <Group justify="center">
            <Button variant="light" leftSection={<IconFlask size={18} />} onClick={() => void createLab()} loading={creatingLab}>
              Try the sample lab
            </Button>
          </Group>
        </Stack>
      </>
    );
  }

  return (
    <>
      {header}
      {modal}
      <Stack>
        {failure && <ErrorNotice error={failure} />}
        <Group gap="xs" data-testid="host-list">
          {hostList.map((host) => (
            <Tooltip key={host.id} label={host.statusMessage ?? 'Not contacted yet'} multiline maw={420} withinPortal>
              <Badge
                size="lg"
                variant="light"
                color={host.status === 'ok' ? 'teal' : host.status === 'error' ? 'red' : 'gray'}
                style={{ textTransform: 'none', cursor: 'pointer' }}
                onClick={() => setHostFilter(hostFilter === host.id ? null : host.id)}
              >
                {host.name} · {KIND_LABEL[host.kind]} · {host.vmCount} VMs
              </Badge>
            </Tooltip>
          ))}
        </Group>
        {hostList
          .filter((host) => host.status === 'error')
          .map((host) => (
            <Alert key={host.id} color="red" variant="light" title={`${host.name} could not be read`}>
              {host.statusMessage}
            </Alert>
          ))}
        <Paper withBorder p="sm">
          <Group mb="sm">
            <TextInput
              placeholder="Search by name, guest OS or IP"
              aria-label="Search VMs"
              leftSection={<IconSearch size={16} />}
              value={search}
              onChange={(e) => setSearch(e.currentTarget.value)}
              w={300}
            />
            <Select
              aria-label="Host"
              placeholder="All hosts"
              data={hostList.map((host) => ({ value: host.id, label: host.name }))}
              value={hostFilter}
              onChange={setHostFilter}
              clearable
              w={220}
            />
            <Select
              aria-label="Power state"
              data={POWER_FILTERS}
              value={powerFilter}
              onChange={(value) => setPowerFilter((value as PowerState | 'all' | null) ?? 'all')}
              allowDeselect={false}
              w={200}
            />
            <Text size="sm" c="dimmed" ml="auto" data-testid="vm-count">
              {filtered.length === (vms.data?.length ?? 0) ? `${filtered.length} VMs` : `${filtered.length} of ${vms.data?.length ?? 0} VMs`}
            </Text>
          </Group>
          {filtered.length === 0 ? (
            <Text c="dimmed" ta="center" py="xl">
              {vms.data && vms.data.length > 0 ? 'No VM matches these filters.' : 'No VMs on these hosts yet: press Refresh after creating some.'}
            </Text>
          ) : (
            <VmTable vms={filtered} height="calc(100vh - 330px)" onOpen={(vm) => navigate('vms', vm.id)} />
          )}
        </Paper>
      </Stack>
    </>
  );
}
