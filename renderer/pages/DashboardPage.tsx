import { Alert, Card, Group, Paper, Progress, Stack, Table, Text, ThemeIcon, Title } from '@mantine/core';
import { IconAlertTriangle, IconCircleCheck, IconShieldCheck, IconShieldX } from '@tabler/icons-react';
import { useEffect } from 'react';
import type { Alert as EngineAlert, VmRpoStatus } from '../../core/contract/protection';
import { statusSentence } from '../../core/contract/status-sentence';
import type { Settings } from '../../core/contract/types';
import { api } from '../api';
import { ErrorNotice } from '../components/ErrorNotice';
import { PageEmptyState } from '../components/PageEmptyState';
import { PageHeader } from '../components/PageHeader';
import { RpoBadge } from '../components/StatusBadge';
import { formatAgo, formatDuration } from '../format';
import { useEngine } from '../hooks';
import type { PageId } from '../router';

const TONE = { ok: 'green', warning: 'yellow', breach: 'red', idle: 'gray' } as const;

export function DashboardPage({ settings, go }: { settings: Settings; go(page: PageId): void }) {
  const rpo = useEngine<VmRpoStatus[]>(() => api.getRpoStatus(), ['job.finished', 'alert.raised', 'inventory.changed']);
  const alerts = useEngine<EngineAlert[]>(() => api.listAlerts(), ['alert.raised', 'job.finished']);
  // Ages grow with time: re-read once a minute even when nothing happens.
  const reloadRpo = rpo.reload;
  useEffect(() => {
    const timer = setInterval(reloadRpo, 60_000);
    return () => clearInterval(timer);
  }, [reloadRpo]);

  const sentence = statusSentence(rpo.data ?? []);
  return (
    <Stack>
      <PageHeader title="Dashboard" subtitle={settings.organisation ?? undefined} />
      {rpo.error && <ErrorNotice error={rpo.error} onRetry={rpo.reload} />}
      {rpo.data && rpo.data.length === 0 && (
        <PageEmptyState
          icon={<IconShieldCheck />}
          title="Nothing is protected yet"
          description="Lifeboat copies your virtual machines to the vault on a schedule, so you can bring them back after a failure. Start by adding the Hyper-V host, VMware server or Workstation folder where your VMs run."
          action={{ label: 'Add your VMs', onClick: () => go('vms') }}
        />
      )}
      {rpo.data && rpo.data.length > 0 && (
        <>
          <Paper withBorder p="lg" data-testid="status-sentence">
            <Group>
              <ThemeIcon size={44} radius="xl" color={TONE[sentence.tone]} variant="light">
                {sentence.tone === 'ok' ? <IconCircleCheck /> : sentence.tone === 'breach' ? <IconShieldX /> : <IconAlertTriangle />}
              </ThemeIcon>
              <Title order={3}>{sentence.text}</Title>
            </Group>
          </Paper>
          {(alerts.data ?? []).map((alert) => (
            <Alert key={alert.id} color={alert.severity === 'critical' ? 'red' : 'yellow'} icon={<IconAlertTriangle />} title={alert.message}>
              {alert.fix}
            </Alert>
          ))}
          <Card withBorder padding={0}>
            <Title order={4} p="md" pb="xs">
              Recovery point health
            </Title>
            <Table verticalSpacing="sm" highlightOnHover>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>VM</Table.Th>
                  <Table.Th>Policy</Table.Th>
                  <Table.Th>Newest copy</Table.Th>
                  <Table.Th w="28%">Age against RPO</Table.Th>
                  <Table.Th>Status</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {rpo.data.map((vm) => (
                  <RpoRow key={vm.vmId} status={vm} />
                ))}
              </Table.Tbody>
            </Table>
          </Card>
        </>
      )}
      {settings.vault && (
        <Text size="sm" c="dimmed">
          Copies are stored in {settings.vault.location.path}.
        </Text>
      )}
    </Stack>
  );
}

function RpoRow({ status }: { status: VmRpoStatus }) {
  const share = status.ageSeconds === null ? 0 : Math.min(100, (status.ageSeconds / (status.rpoMinutes * 60)) * 100);
  const color = status.status === 'breach' ? 'red' : status.status === 'warning' ? 'yellow' : 'green';
  return (
    <Table.Tr>
      <Table.Td fw={500}>{status.vm}</Table.Td>
      <Table.Td>{status.policy}</Table.Td>
      <Table.Td>{formatAgo(status.lastPointTime)}</Table.Td>
      <Table.Td>
        <Progress value={share} color={color} size="md" aria-label={`${status.vm} age against RPO`} />
        <Text size="xs" c="dimmed" mt={2}>
          {status.ageSeconds === null ? 'no copy yet' : formatDuration(status.ageSeconds)} of {status.rpoMinutes} min
        </Text>
      </Table.Td>
      <Table.Td>
        <RpoBadge status={status.status} />
      </Table.Td>
    </Table.Tr>
  );
}
