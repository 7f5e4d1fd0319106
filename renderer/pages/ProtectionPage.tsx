import {
  ActionIcon,
  Alert,
  Anchor,
  Badge,
  Button,
  Card,
  Group,
  Menu,
  Modal,
  Stack,
  Table,
  Text,
  Title,
  Tooltip,
  VisuallyHidden,
} from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { IconDots, IconPlayerPause, IconPlayerPlay, IconPlus, IconShieldCheck } from '@tabler/icons-react';
import { useState } from 'react';
import type { LifeboatError } from '../../core/contract/errors';
import { intervalMinutesFor, type Job, type Policy, type VmRpoStatus } from '../../core/contract/protection';
import type { Settings } from '../../core/contract/types';
import { api } from '../api';
import { ErrorNotice } from '../components/ErrorNotice';
import { PageEmptyState } from '../components/PageEmptyState';
import { PageHeader } from '../components/PageHeader';
import { RpoRing } from '../components/RpoRing';
import { RpoBadge } from '../components/StatusBadge';
import { formatAgo, formatDate } from '../format';
import { useEngineQuery } from '../hooks';
import { bandwidthSentence, CONSISTENCY, minutesInWords, retentionSentence, rpoSentence } from '../model/protection';
import type { PageId } from '../router';
import { ProtectWizard, type PolicySection } from '../wizards/ProtectWizard';

const ROWS_SHOWN = 8;

export function ProtectionPage({ settings, go }: { settings: Settings; go(page: PageId, param?: string | null): void }) {
  const policies = useEngineQuery('listPolicies');
  const rpo = useEngineQuery('getRpoStatus');
  const overview = useEngineQuery('getOverview', { days: 2 });
  const targets = useEngineQuery('listTargets');
  const [wizard, setWizard] = useState<{ policy: Policy | null; section?: PolicySection | undefined } | null>(null);
  const [deleting, setDeleting] = useState<Policy | null>(null);
  const [failure, setFailure] = useState<LifeboatError | null>(null);
  const paused = overview.data?.schedulesPaused ?? false;

  const act = async (work: () => Promise<unknown>, done?: string): Promise<void> => {
    setFailure(null);
    try {
      await work();
      if (done) notifications.show({ color: 'green', message: done });
    } catch (error) {
      setFailure(error as LifeboatError);
    }
  };

  const runNow = (policyId: string, vmId?: string): Promise<void> =>
    act(async () => {
      const jobs: Job[] = await api.runNow({ policyId, ...(vmId ? { vmId } : {}) });
      notifications.show({
        color: 'blue',
        title: 'Copying now',
        message: `${jobs.map((j) => j.title.replace(/^Copy /, '')).join(', ')}: follow it on Activity.`,
      });
    });

  const testFailover = (vmId: string): Promise<void> =>
    act(async () => {
      const { drillId } = await api.startDrill({ vmIds: [vmId] });
      go('drills', drillId);
    });

  const setPaused = (value: boolean): Promise<void> =>
    act(
      async () => {
        await api.setSchedulesPaused({ paused: value });
      },
      value ? 'Every schedule is paused. The RPO watchdog keeps watching.' : 'Schedules resumed.',
    );

  const header = (
    <PageHeader
      title="Protection"
      subtitle="Which VMs are copied, where to, and how often."
      action={
        <Group>
          {(policies.data?.length ?? 0) > 0 && (
            <Button
              variant="default"
              leftSection={paused ? <IconPlayerPlay size={18} /> : <IconPlayerPause size={18} />}
              onClick={() => void setPaused(!paused)}
            >
              {paused ? 'Resume schedules' : 'Pause all'}
            </Button>
          )}
          {(policies.data?.length ?? 0) > 0 && (
            <Button leftSection={<IconPlus size={18} />} onClick={() => setWizard({ policy: null })}>
              Protect VMs
            </Button>
          )}
        </Group>
      }
    />
  );

  const wizardModal = (
    <ProtectWizard
      opened={wizard !== null}
      onClose={() => setWizard(null)}
      settings={settings}
      policy={wizard?.policy ?? null}
      {...(wizard?.section ? { section: wizard.section } : {})}
      onDone={(policy, started) => {
        setWizard(null);
        notifications.show({
          color: 'green',
          title: wizard?.policy ? `${policy.name} changed` : `${policy.name} is protected`,
          message:
            started.length > 0
              ? `The first ${started.length === 1 ? 'copy has' : `${started.length} copies have`} started: follow ${started.length === 1 ? 'it' : 'them'} on Activity.`
              : 'Saved.',
        });
      }}
    />
  );

  if (policies.data && policies.data.length === 0) {
    return (
      <>
        {header}
        {wizardModal}
        <PageEmptyState
          icon={<IconShieldCheck />}
          title="No protection policies yet"
          description="A policy copies chosen VMs to your vault on a schedule — for example every 15 minutes, so you never lose more than 15 minutes of work. Pick the VMs, say how much work you could afford to lose, and Lifeboat does the rest."
          action={{ label: 'Protect VMs', onClick: () => setWizard({ policy: null }) }}
        />
        <Text ta="center" size="sm" mt="sm" c="dimmed">
          No VMs listed yet?{' '}
          <Anchor component="button" size="sm" onClick={() => go('vms')}>
            Add a host first
          </Anchor>
          .
        </Text>
      </>
    );
  }

  return (
    <>
      {header}
      {wizardModal}
      <Stack>
        {paused && (
          <Alert color="yellow" variant="light" title="Every schedule is paused" icon={<IconPlayerPause />}>
            No copy or drill starts on its own until you resume. VMs drift out of their RPO meanwhile, and the dashboard says so.
          </Alert>
        )}
        {failure && <ErrorNotice error={failure} />}
        {policies.error && <ErrorNotice error={policies.error} onRetry={policies.reload} />}
        {(policies.data ?? []).map((policy) => (
          <PolicyCard
            key={policy.id}
            policy={policy}
            targetName={(targets.data ?? []).find((t) => t.id === policy.targetId)?.name ?? null}
            statuses={(rpo.data ?? []).filter((s) => s.policyId === policy.id)}
            nextRun={overview.data?.upcomingRuns.find((r) => r.policyId === policy.id)?.at ?? null}
            paused={paused}
            onRunNow={(vmId) => void runNow(policy.id, vmId)}
            onTestFailover={(vmId) => void testFailover(vmId)}
            onEdit={(section) => setWizard({ policy, section })}
            onToggle={() =>
              void act(
                () => api.updatePolicy({ id: policy.id, enabled: !policy.enabled }),
                policy.enabled ? `${policy.name} will not start copies until you turn it on again.` : `${policy.name} is on again.`,
              )
            }
            onDelete={() => setDeleting(policy)}
          />
        ))}
      </Stack>
      <Modal opened={deleting !== null} onClose={() => setDeleting(null)} title={`Stop protecting with “${deleting?.name}”?`}>
        <Text size="sm">No new copies will be made of its VMs. The copies already in the vault stay there and can still be restored.</Text>
        <Group justify="flex-end" mt="lg">
          <Button variant="default" onClick={() => setDeleting(null)}>
            Keep it
          </Button>
          <Button
            color="red"
            onClick={() => {
              const policy = deleting!;
              setDeleting(null);
              void act(() => api.deletePolicy({ id: policy.id }), `${policy.name} removed.`);
            }}
          >
            Stop protecting
          </Button>
        </Group>
      </Modal>
    </>
  );
}

function PolicyCard({
  policy,
  targetName,
  statuses,
  nextRun,
  paused,
  onRunNow,
  onTestFailover,
  onEdit,
  onToggle,
  onDelete,
}: {
  policy: Policy;
  targetName: string | null;
  statuses: VmRpoStatus[];
  nextRun: string | null;
  paused: boolean;
  onRunNow(vmId?: string): void;
  onTestFailover(vmId: string): void;
  onEdit(section?: PolicySection): void;
  onToggle(): void;
  onDelete(): void;
}) {
  const [showAll, setShowAll] = useState(false);
  const order = { breach: 0, warning: 1, pending: 2, ok: 3 } as const;
  const sorted = [...statuses].sort((a, b) => order[a.status] - order[b.status] || a.vm.localeCompare(b.vm));
  const rows = showAll ? sorted : sorted.slice(0, ROWS_SHOWN);
  return (
    <Card withBorder padding="lg" data-testid="policy-card">
      <Group justify="space-between" align="flex-start" wrap="nowrap">
        <Stack gap={4} style={{ flex: 1, minWidth: 0 }}>
          <Group gap="xs">
            <Title order={3} size="h4">
              {policy.name}
            </Title>
            {!policy.enabled && (
              <Badge color="gray" variant="outline">
                Off
              </Badge>
            )}
          </Group>
          <PolicyFacts policy={policy} targetName={targetName} onEdit={onEdit} />
          <Text size="sm" c="dimmed">
            {!policy.enabled || paused ? 'No copy is scheduled while paused or off.' : nextRun ? `Next copy: ${formatDate(nextRun)}` : ''}
          </Text>
        </Stack>
        <Group wrap="nowrap" align="flex-start" style={{ flexShrink: 0 }}>
          <RpoRing statuses={statuses} />
          <Button variant="default" onClick={() => onRunNow()}>
            Copy now
          </Button>
          <Menu position="bottom-end">
            <Menu.Target>
              <ActionIcon variant="default" size="lg" aria-label={`More actions for ${policy.name}`}>
                <IconDots size={18} />
              </ActionIcon>
            </Menu.Target>
            <Menu.Dropdown>
              <Menu.Item onClick={() => onEdit()}>Change…</Menu.Item>
              <Menu.Item onClick={onToggle}>{policy.enabled ? 'Turn off' : 'Turn on'}</Menu.Item>
              <Menu.Divider />
              <Menu.Item color="red" onClick={onDelete}>
                Stop protecting…
              </Menu.Item>
            </Menu.Dropdown>
          </Menu>
        </Group>
      </Group>
      <Table mt="md" verticalSpacing={6} highlightOnHover>
        <Table.Thead>
          <Table.Tr>
            <Table.Th>VM</Table.Th>
            <Table.Th>Newest copy</Table.Th>
            <Table.Th>Status</Table.Th>
            <Table.Th w={220}>
              <VisuallyHidden>Actions</VisuallyHidden>
            </Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {rows.map((status) => (
            <Table.Tr key={status.vmId} data-testid="policy-vm-row">
              <Table.Td fw={500}>
                <Anchor href={`#/vms/${encodeURIComponent(status.vmId)}`} size="sm" fw={500}>
                  {status.vm}
                </Anchor>
              </Table.Td>
              <Table.Td>{formatAgo(status.lastPointTime)}</Table.Td>
              <Table.Td>
                <RpoBadge status={status.status} neverCopied={status.lastPointTime === null} />
              </Table.Td>
              <Table.Td>
                <Group gap={4} justify="flex-end" wrap="nowrap">
                  <Button size="compact-sm" variant="subtle" onClick={() => onRunNow(status.vmId)} aria-label={`Copy now: ${status.vm}`}>
                    Copy now
                  </Button>
                  <Tooltip
                    label={
                      status.lastPointTime
                        ? 'Start this VM from its newest copy in an isolated sandbox, check it, then clean up'
                        : 'Needs a first copy'
                    }
                  >
                    <Button
                      size="compact-sm"
                      variant="light"
                      disabled={!status.lastPointTime}
                      onClick={() => onTestFailover(status.vmId)}
                      aria-label={`Test failover of ${status.vm}`}
                    >
                      Test failover
                    </Button>
                  </Tooltip>
                </Group>
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
      {sorted.length > ROWS_SHOWN && (
        <Group justify="center" mt="xs">
          <Button variant="subtle" size="xs" onClick={() => setShowAll(!showAll)}>
            {showAll ? 'Show fewer' : `Show all ${sorted.length} VMs`}
          </Button>
        </Group>
      )}
    </Card>
  );
}

/** Each part of a policy in words, with its own Change link that opens the wizard at that part. */
function PolicyFacts({ policy, targetName, onEdit }: { policy: Policy; targetName: string | null; onEdit(section: PolicySection): void }) {
  const facts: { section: PolicySection; label: string; words: string }[] = [
    { section: 'vms', label: 'VMs', words: `${policy.vmIds.length} VM${policy.vmIds.length === 1 ? '' : 's'}` },
    { section: 'where', label: 'Where', words: targetName ?? 'a target no longer configured' },
    {
      section: 'rpo',
      label: 'How often',
      words: `${rpoSentence(policy.rpoMinutes)} · ${policy.schedule ? `copies on schedule ${policy.schedule}` : `a copy every ${minutesInWords(intervalMinutesFor(policy.rpoMinutes))}`}`,
    },
    { section: 'retention', label: 'How long', words: retentionSentence(policy.retention) },
    {
      section: 'consistency',
      label: 'Consistency',
      words: CONSISTENCY.find((c) => c.value === policy.consistency)?.label.replace(' (recommended)', '') ?? policy.consistency,
    },
    {
      section: 'bandwidth',
      label: 'Bandwidth',
      words: policy.bandwidth.length === 0 ? 'No bandwidth limit' : policy.bandwidth.map(bandwidthSentence).join('; '),
    },
  ];
  return (
    <Table verticalSpacing={2} horizontalSpacing={0} withRowBorders={false} data-testid="policy-facts" style={{ maxWidth: 760 }}>
      <Table.Tbody>
        {facts.map((fact) => (
          <Table.Tr key={fact.section}>
            <Table.Td w={110} c="dimmed" fz="sm" style={{ verticalAlign: 'top' }}>
              {fact.label}
            </Table.Td>
            <Table.Td fz="sm">{fact.words}</Table.Td>
            <Table.Td w={80} ta="right" style={{ verticalAlign: 'top' }}>
              <Anchor
                component="button"
                size="sm"
                onClick={() => onEdit(fact.section)}
                aria-label={`Change ${fact.label.toLowerCase()} of ${policy.name}`}
              >
                Change
              </Anchor>
            </Table.Td>
          </Table.Tr>
        ))}
      </Table.Tbody>
    </Table>
  );
}
