import { Button, Group, Paper, Stack, Text } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { IconPlus, IconRefresh } from '@tabler/icons-react';
import { useMemo, useState } from 'react';
import type { LifeboatError } from '../../core/contract/errors';
import type { PowerState } from '../../core/contract/hosts';
import { api } from '../api';
import { AddHostModal } from '../components/AddHostModal';
import { ErrorNotice } from '../components/ErrorNotice';
import { PageHeader } from '../components/PageHeader';
import { VmTable } from '../components/VmTable';
import { guestOsWords } from '../format';
import { useEngineQuery } from '../hooks';
import { navigate } from '../router';
import { HostBadges } from './vms/HostBadges';
import { NoHostsYet } from './vms/NoHostsYet';
import { VmFilters } from './vms/VmFilters';

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
        (needle === '' ||
          vm.name.toLowerCase().includes(needle) ||
          guestOsWords(vm.guestOs).toLowerCase().includes(needle) ||
          vm.nics.some((n) => n.ips.some((ip) => ip.includes(needle)))),
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
      for (const r of failed)
        notifications.show({
          color: 'red',
          title: `${r.hostName} could not be read`,
          message: `${r.error?.message ?? ''} ${r.error?.fix ?? ''}`,
        });
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
          <NoHostsYet onAddHost={() => setAdding(true)} onSampleLab={() => void createLab()} creatingLab={creatingLab} />
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
        <HostBadges hosts={hostList} onPick={(id) => setHostFilter(hostFilter === id ? null : id)} />
        <Paper withBorder p="sm">
          <VmFilters
            hosts={hostList}
            search={search}
            hostFilter={hostFilter}
            powerFilter={powerFilter}
            onSearch={setSearch}
            onHostFilter={setHostFilter}
            onPowerFilter={setPowerFilter}
            shown={filtered.length}
            total={vms.data?.length ?? 0}
          />
          {filtered.length === 0 ? (
            <Text c="dimmed" ta="center" py="xl">
              {vms.data && vms.data.length > 0
                ? 'No VM matches these filters.'
                : 'No VMs on these hosts yet: press Refresh after creating some.'}
            </Text>
          ) : (
            <VmTable vms={filtered} height="calc(100vh - 330px)" onOpen={(vm) => navigate('vms', vm.id)} />
          )}
        </Paper>
      </Stack>
    </>
  );
}
