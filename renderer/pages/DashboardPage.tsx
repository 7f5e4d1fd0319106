import { Alert, Stack } from '@mantine/core';
import { IconShieldCheck } from '@tabler/icons-react';
import type { Settings, Status } from '../../core/contract/types';
import { api } from '../api';
import { ErrorNotice } from '../components/ErrorNotice';
import { PageEmptyState } from '../components/PageEmptyState';
import { PageHeader } from '../components/PageHeader';
import { useEngine } from '../hooks';
import type { PageId } from '../router';

export function DashboardPage({ settings, go }: { settings: Settings; go(page: PageId): void }) {
  const status = useEngine<Status>(() => api.getStatus(), ['inventory.changed', 'job.finished']);
  return (
    <Stack>
      <PageHeader title="Dashboard" subtitle={settings.organisation ?? undefined} />
      {status.error && <ErrorNotice error={status.error} onRetry={status.reload} />}
      {status.data && status.data.counts.policies === 0 && (
        <PageEmptyState
          icon={<IconShieldCheck />}
          title="Nothing is protected yet"
          description="Lifeboat copies your virtual machines to the vault on a schedule, so you can bring them back after a failure. Start by adding the Hyper-V host, VMware server or Workstation folder where your VMs run."
          action={{ label: 'Add your VMs', onClick: () => go('vms') }}
        />
      )}
      {settings.vault && (
        <Alert variant="light" color="gray" title="Vault">
          Copies will be stored in {settings.vault.location.path}.
        </Alert>
      )}
    </Stack>
  );
}
