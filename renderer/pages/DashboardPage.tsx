import { AreaChart } from '@mantine/charts';
import {
  Alert,
  Anchor,
  Button,
  Card,
  Group,
  Paper,
  Progress,
  SimpleGrid,
  Skeleton,
  Stack,
  Table,
  Text,
  ThemeIcon,
  Title,
} from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { IconAlertTriangle, IconCircleCheck, IconShieldCheck, IconShieldX } from '@tabler/icons-react';
import { useEffect, useState } from 'react';
import type { RecoveryPlan } from '../../core/contract/drills';
import type { PlanFailoverState } from '../../core/contract/failover';
import { FailedOverBanner, FailoverModal } from '../components/FailoverModal';
import type { LifeboatError } from '../../core/contract/errors';
import type { Overview } from '../../core/contract/overview';
import type { VmRpoStatus } from '../../core/contract/protection';
import { statusSentence } from '../../core/contract/status-sentence';
import type { Settings } from '../../core/contract/types';
import { VAULT_DOWN, type VaultHealth } from '../../core/contract/vault-health';
import { api } from '../api';
import { DrillBadge } from '../components/DrillBadge';
import { ErrorNotice } from '../components/ErrorNotice';
import { PageEmptyState } from '../components/PageEmptyState';
import { PageHeader } from '../components/PageHeader';
import { RpoRing } from '../components/RpoRing';
import { RpoBadge } from '../components/StatusBadge';
import { formatAgo, formatBytes, formatDate, formatDuration } from '../format';
import { useEngineQuery } from '../hooks';
import { achievedRto, unprovenVms } from '../model/drills';
import type { PageId } from '../router';

const TONE = { ok: 'green', warning: 'yellow', breach: 'red', idle: 'blue' } as const;
const WORST_FIRST = { breach: 0, warning: 1, pending: 2, ok: 3 } as const;
const ROWS_SHOWN = 10;

export function DashboardPage({ settings, go }: { settings: Settings; go(page: PageId, param?: string | null): void }) {
  const rpo = useEngineQuery('getRpoStatus');
  const vaults = useEngineQuery('listVaultHealth');
  const alerts = useEngineQuery('listAlerts');
  const overview = useEngineQuery('getOverview', { days: 30 });
  const failedOver = useEngineQuery('listFailoverStates');
  const [failingBack, setFailingBack] = useState<{ plan: RecoveryPlan; state: PlanFailoverState } | null>(null);
  const openFailback = async (state: PlanFailoverState): Promise<void> =>
    setFailingBack({ plan: await api.getPlan({ id: state.planId }), state });
  // Ages grow with time: re-read once a minute even when nothing happens.
  const reloadRpo = rpo.reload;
  useEffect(() => {
    const timer = setInterval(reloadRpo, 60_000);
    return () => clearInterval(timer);
  }, [reloadRpo]);

  const copyNow = async (vmId: string): Promise<void> => {
    try {
      const jobs = await api.runNow({ vmId });
      notifications.show({
        color: 'blue',
        title: 'Copying now',
        message: `${jobs.map((j) => j.title).join(', ')}: follow it on Activity.`,
      });
    } catch (error) {
      const failed = error as LifeboatError;
      notifications.show({ color: 'red', title: failed.message, message: failed.fix ?? '' });
    }
  };

  const sentence = statusSentence(rpo.data ?? []);
  const worst = [...(rpo.data ?? [])]
    .sort((a, b) => WORST_FIRST[a.status] - WORST_FIRST[b.status] || a.vm.localeCompare(b.vm))
    .slice(0, ROWS_SHOWN);
  return (
    <Stack>
      <PageHeader title="Dashboard" subtitle={settings.organisation ?? undefined} />
      {(failedOver.data ?? []).map((state) => (
        <FailedOverBanner key={state.planId} state={state} onFailBack={() => void openFailback(state)} />
      ))}
      {failingBack && (
        <FailoverModal
          plan={failingBack?.plan ?? null}
          failback={failingBack?.state ?? null}
          onClose={() => setFailingBack(null)}
          onStarted={(id) => {
            setFailingBack(null);
            go('drills', id);
          }}
        />
      )}
      {rpo.error && <ErrorNotice error={rpo.error} onRetry={rpo.reload} />}
      {rpo.data && rpo.data.length === 0 && (
        <PageEmptyState
          icon={<IconShieldCheck />}
          title="Nothing is protected yet"
          description="Lifeboat copies your virtual machines to the vault on a schedule, so you can bring them back after a failure. Start by adding the Hyper-V host, VMware server or Workstation folder where your VMs run, then protect them."
          action={{ label: 'Add your VMs', onClick: () => go('vms') }}
        />
      )}
      {rpo.data && rpo.data.length > 0 && (
        <>
          <Paper withBorder p="lg" data-testid="status-sentence">
            <Group wrap="nowrap">
              <ThemeIcon size={44} radius="xl" color={TONE[sentence.tone]} variant="light">
                {sentence.tone === 'ok' ? (
                  <IconCircleCheck />
                ) : sentence.tone === 'breach' ? (
                  <IconShieldX />
                ) : sentence.tone === 'idle' ? (
                  <IconShieldCheck />
                ) : (
                  <IconAlertTriangle />
                )}
              </ThemeIcon>
              <Title order={2} size="h3">
                {sentence.text}
              </Title>
            </Group>
          </Paper>
          {(alerts.data ?? []).map((alert) => (
            <Alert
              key={alert.id}
              color={alert.severity === 'critical' ? 'red' : alert.severity === 'warning' ? 'orange' : 'blue'}
              icon={<IconAlertTriangle />}
              title={alert.message}
              data-testid="dashboard-alert"
            >
              {alert.fix && (
                <Text size="sm">
                  <b>What to do:</b> {alert.fix}
                </Text>
              )}
              <Group gap="xs" mt="xs">
                {alert.kind === 'vault' && (
                  <Button size="xs" onClick={() => void api.checkVaults({}).then(vaults.reload, vaults.reload)}>
                    Check again
                  </Button>
                )}
                {alert.kind === 'rpo' && (
                  <Button size="xs" onClick={() => void copyNow(alert.subject)}>
                    Copy now
                  </Button>
                )}
                <Button size="xs" variant="default" onClick={() => go('activity')}>
                  Open Activity
                </Button>
              </Group>
            </Alert>
          ))}
          <SimpleGrid cols={{ base: 1, sm: 2, lg: 4 }}>
            <Card withBorder>
              <Text size="sm" c="dimmed" mb="xs">
                Protected VMs
              </Text>
              <RpoRing statuses={rpo.data} />
            </Card>
            <LastDrillCard overview={overview.data} go={go} />
            <UpcomingCard overview={overview.data} />
            <StorageCard overview={overview.data} vaults={vaults.data} />
          </SimpleGrid>
          <Card withBorder padding={0}>
            <Group justify="space-between" p="md" pb="xs">
              <Title order={3} size="h4">
                Recovery point health
              </Title>
              {rpo.data.length > ROWS_SHOWN && (
                <Anchor component="button" size="sm" onClick={() => go('protection')}>
                  See all {rpo.data.length} VMs
                </Anchor>
              )}
            </Group>
            <Table verticalSpacing="sm" highlightOnHover data-testid="rpo-table">
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
                {worst.map((vm) => (
                  <RpoRow key={vm.vmId} status={vm} />
                ))}
              </Table.Tbody>
            </Table>
          </Card>
        </>
      )}
    </Stack>
  );
}

function LastDrillCard({ overview, go }: { overview: Overview | null; go(page: PageId, param?: string | null): void }) {
  const drill = overview?.lastDrill ?? null;
  return (
    <Card withBorder data-testid="last-drill">
      <Text size="sm" c="dimmed" mb="xs">
        Last drill
      </Text>
      {overview === null ? (
        <Skeleton h={60} />
      ) : drill ? (
        <Stack gap={4}>
          <Group gap="xs">
            <DrillBadge status={drill.status} />
            <Anchor component="button" size="sm" onClick={() => go('drills', drill.id)}>
              {formatDate(drill.startedAt)}
            </Anchor>
          </Group>
          <Text size="sm">{drill.plan}</Text>
          {achievedRto(drill) !== null && <Text size="sm">Back in {formatDuration(achievedRto(drill))}</Text>}
          {drill.status === 'unverified' && <UnprovenWords drill={drill} />}
        </Stack>
      ) : (
        <Stack gap={4} align="flex-start">
          <Text size="sm">No drill yet: nothing proves the copies start.</Text>
          <Button size="xs" variant="light" onClick={() => go('drills')}>
            Run a drill
          </Button>
        </Stack>
      )}
    </Card>
  );
}

/** "Started, not proven: lab-web01 started, but nothing proved its guest came up", VM names unbroken at their hyphens. */
function UnprovenWords({ drill }: { drill: Overview['lastDrill'] & object }) {
  const { parts, count } = unprovenVms(drill);
  return (
    <Text size="sm">
      <Text span size="sm" fw={600}>
        Started, not proven:
      </Text>{' '}
      {count === 0 ? (
        'nothing proved every guest came up.'
      ) : (
        <>
          {parts.map((part) => (
            <span key={part.name}>
              <Text span size="sm" style={{ whiteSpace: 'nowrap' }}>
                {part.name}
              </Text>
              {part.after}
            </span>
          ))}{' '}
          started, but nothing proved {count === 1 ? 'its guest' : 'their guests'} came up.
        </>
      )}{' '}
      Not counted as a pass.
    </Text>
  );
}

function UpcomingCard({ overview }: { overview: Overview | null }) {
  const run = overview?.upcomingRuns.find((r) => r.at !== null);
  const drill = overview?.upcomingDrills[0];
  return (
    <Card withBorder data-testid="upcoming">
      <Text size="sm" c="dimmed" mb="xs">
        Coming up
      </Text>
      {overview === null ? (
        <Skeleton h={60} />
      ) : (
        <Stack gap={6}>
          <div>
            <Text size="sm" fw={500}>
              Next copy
            </Text>
            <Text size="sm">{overview.schedulesPaused ? 'Paused' : run ? `${formatDate(run.at)} · ${run.policy}` : 'None scheduled'}</Text>
          </div>
          <div>
            <Text size="sm" fw={500}>
              Next drill
            </Text>
            <Text size="sm">{drill ? `${formatDate(drill.at)} · ${drill.plan}` : 'None scheduled'}</Text>
          </div>
        </Stack>
      )}
    </Card>
  );
}

function StorageCard({ overview, vaults }: { overview: Overview | null; vaults: VaultHealth[] | null }) {
  const storage = overview?.storage;
  // What the vaults really hold (walked or listed by the health check), not what the catalog believes it added.
  const measured = (vaults ?? []).filter((v) => v.bytesUsed !== null);
  const used = measured.reduce((sum, v) => sum + (v.bytesUsed ?? 0), 0);
  const free = (vaults ?? []).filter((v) => v.freeBytes !== null);
  const data = (storage?.trend ?? []).map((d) => ({ day: d.day.slice(5), GB: Number((d.storedBytes / 1e9).toFixed(3)) }));
  return (
    <Card withBorder data-testid="storage">
      <Text size="sm" c="dimmed">
        Vault storage used
      </Text>
      {measured.length > 0 ? (
        <Text fw={700} size="xl" data-testid="vault-bytes-used">
          {formatBytes(used)}
        </Text>
      ) : (
        <Text size="sm" c="dimmed">
          {(vaults ?? []).some((v) => VAULT_DOWN.has(v.state)) ? 'Cannot be measured: the vault is unavailable' : 'Not measured yet'}
        </Text>
      )}
      <Text size="xs" c="dimmed">
        for {formatBytes(storage?.protectedBytes ?? 0)} of protected disks
        {free.length > 0 && ` · ${formatBytes(free.reduce((sum, v) => sum + (v.freeBytes ?? 0), 0))} free`}
      </Text>
      {data.length > 1 && (
        <div role="img" aria-label={`Storage used over the last ${data.length} days`}>
          <AreaChart
            h={70}
            data={data}
            dataKey="day"
            series={[{ name: 'GB', color: 'orange.6' }]}
            curveType="monotone"
            withXAxis={false}
            withYAxis={false}
            gridAxis="none"
            withDots={false}
            withTooltip
          />
        </div>
      )}
    </Card>
  );
}

function RpoRow({ status }: { status: VmRpoStatus }) {
  const share = status.ageSeconds === null ? 0 : Math.min(100, (status.ageSeconds / (status.rpoMinutes * 60)) * 100);
  const color =
    status.status === 'breach' ? 'red' : status.status === 'warning' ? 'yellow' : status.status === 'pending' ? 'gray' : 'green';
  return (
    <Table.Tr>
      <Table.Td fw={500}>
        <Anchor href={`#/vms/${encodeURIComponent(status.vmId)}`} size="sm" fw={500}>
          {status.vm}
        </Anchor>
      </Table.Td>
      <Table.Td>{status.policy}</Table.Td>
      <Table.Td>{formatAgo(status.lastPointTime)}</Table.Td>
      <Table.Td>
        <Progress value={share} color={color} size="md" aria-label={`${status.vm} age against RPO`} />
        <Text size="xs" c="dimmed" mt={2}>
          {status.ageSeconds === null ? 'no copy yet' : formatDuration(status.ageSeconds)} of {status.rpoMinutes} min
        </Text>
      </Table.Td>
      <Table.Td>
        <RpoBadge status={status.status} neverCopied={status.lastPointTime === null} />
        {status.problem && (
          <Text size="xs" c="dimmed" mt={2} maw={260}>
            {status.reason === 'vault' ? 'Its vault is unavailable.' : status.problem}
          </Text>
        )}
      </Table.Td>
    </Table.Tr>
  );
}
