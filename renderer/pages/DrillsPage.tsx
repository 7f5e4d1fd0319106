import { ActionIcon, Anchor, Button, Card, Checkbox, Group, Menu, Modal, Stack, Table, Text, Title } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { IconDots, IconLifebuoy, IconPlus } from '@tabler/icons-react';
import { useState } from 'react';
import type { ActionItem, Drill, RecoveryPlan } from '../../core/contract/drills';
import type { LifeboatError } from '../../core/contract/errors';
import { api } from '../api';
import { DrillBadge } from '../components/DrillBadge';
import { FailedOverBanner, FailoverModal } from '../components/FailoverModal';
import type { PlanFailoverState } from '../../core/contract/failover';
import { ErrorNotice } from '../components/ErrorNotice';
import { PageEmptyState } from '../components/PageEmptyState';
import { PageHeader } from '../components/PageHeader';
import { formatDate, formatDuration } from '../format';
import { useEngineQuery } from '../hooks';
import { achievedRto, gateWords, scheduleWords, verdict } from '../model/drills';
import type { PageId } from '../router';
import { DrillPlanWizard } from '../wizards/DrillPlanWizard';

export function DrillsPage({ go }: { go(page: PageId, param?: string | null): void }) {
  const plans = useEngineQuery('listPlans');
  const drills = useEngineQuery('listDrills', { limit: 100 });
  const items = useEngineQuery('listActionItems', {});
  const vms = useEngineQuery('listVms');
  const failedOver = useEngineQuery('listFailoverStates');
  const [failover, setFailover] = useState<{ plan: RecoveryPlan; back: PlanFailoverState | null } | null>(null);
  const [wizard, setWizard] = useState<{ plan: RecoveryPlan | null } | null>(null);
  const [deleting, setDeleting] = useState<RecoveryPlan | null>(null);
  const [failure, setFailure] = useState<LifeboatError | null>(null);
  const [starting, setStarting] = useState<string | null>(null);

  const names = new Map((vms.data ?? []).map((vm) => [vm.id, vm.name]));
  const protectedVms = (vms.data ?? []).filter((vm) => vm.protection);
  const lastOf = (planId: string): Drill | undefined => (drills.data ?? []).find((d) => d.planId === planId && d.kind === 'test');

  const start = async (input: { planId: string } | { vmIds: string[] }, key: string): Promise<void> => {
    setStarting(key);
    setFailure(null);
    try {
      const { drillId } = await api.startDrill(input);
      go('drills', drillId);
    } catch (error) {
      setFailure(error as LifeboatError);
    } finally {
      setStarting(null);
    }
  };

  const wizardModal = (
    <DrillPlanWizard
      opened={wizard !== null}
      plan={wizard?.plan ?? null}
      onClose={() => setWizard(null)}
      onSaved={(plan) => {
        setWizard(null);
        notifications.show({ color: 'green', title: `${plan.name} saved`, message: 'Press “Test failover” on it to run a drill now.' });
      }}
    />
  );

  const empty = plans.data && drills.data && plans.data.length === 0 && drills.data.length === 0;
  if (empty) {
    return (
      <>
        <PageHeader title="Drills" subtitle="Practice recovery without touching production." />
        {wizardModal}
        <Stack>
          {failure && <ErrorNotice error={failure} />}
          {protectedVms.length === 0 ? (
            <PageEmptyState
              icon={<IconLifebuoy />}
              title="No drills yet"
              description="A drill starts copies of your VMs in an isolated sandbox, checks that they work, measures how long recovery took, and cleans up — the proof your auditor asks for. Protect some VMs first; then one click runs a drill."
              action={{ label: 'Protect VMs', onClick: () => go('protection') }}
            />
          ) : (
            <PageEmptyState
              icon={<IconLifebuoy />}
              title="No drills yet"
              description={`A drill starts copies of your VMs in an isolated sandbox, checks that they work, measures how long recovery took, and cleans up — the proof your auditor asks for. Test all ${protectedVms.length} protected VMs now, or make a plan with a start order and a schedule.`}
              action={{ label: `Test failover of ${protectedVms.length === 1 ? protectedVms[0]!.name : `${protectedVms.length} protected VMs`}`, onClick: () => void start({ vmIds: protectedVms.map((vm) => vm.id) }, 'all') }}
            />
          )}
          {protectedVms.length > 0 && (
            <Group justify="center">
              <Button variant="default" leftSection={<IconPlus size={18} />} onClick={() => setWizard({ plan: null })}>
                Make a recovery plan
              </Button>
            </Group>
          )}
        </Stack>
      </>
    );
  }

  return (
    <>
      <PageHeader
        title="Drills"
        subtitle="Practice recovery without touching production."
        action={
          <Button variant={(plans.data?.length ?? 0) > 0 ? 'default' : 'filled'} leftSection={<IconPlus size={18} />} onClick={() => setWizard({ plan: null })}>
            New recovery plan
          </Button>
        }
      />
      {wizardModal}
      {failover && (
        <FailoverModal
          plan={failover?.plan ?? null}
          failback={failover?.back ?? null}
          onClose={() => setFailover(null)}
          onStarted={(id) => {
            setFailover(null);
            go('drills', id);
          }}
        />
      )}
      <Stack>
        {failure && <ErrorNotice error={failure} title="The drill did not start" />}
        {(plans.data ?? []).map((plan) => {
          const last = lastOf(plan.id);
          const state = (failedOver.data ?? []).find((s) => s.planId === plan.id) ?? null;
          return (
            <Card key={plan.id} withBorder padding="lg" data-testid="plan-card">
              <Group justify="space-between" align="flex-start" wrap="nowrap">
                <Stack gap={4} style={{ flex: 1, minWidth: 0 }}>
                  <Title order={3} size="h4">
                    {plan.name}
                  </Title>
                  <Text size="sm">
                    Start order: {plan.groups.map((g, i) => `${g.vms.map((v) => names.get(v.vmId) ?? 'removed VM').join(' + ')}${i < plan.groups.length - 1 ? ` → ${gateWords(g.then)} →` : ''}`).join(' ')}
                  </Text>
                  <Text size="sm" c="dimmed">
                    Goals: running again within {formatDuration(plan.rtoTargetMinutes * 60)}, at most {formatDuration(plan.rpoTargetMinutes * 60)} of work lost · {scheduleWords(plan.schedule)}
                  </Text>
                  {state && (
                    <div style={{ marginTop: 8 }}>
                      <FailedOverBanner state={state} onFailBack={() => setFailover({ plan, back: state })} />
                    </div>
                  )}
                  <Text size="sm">
                    {last ? (
                      <>
                        Last drill{' '}
                        <Anchor component="button" size="sm" onClick={() => go('drills', last.id)}>
                          {formatDate(last.startedAt)}
                        </Anchor>
                        : <DrillBadge status={last.status} />
                      </>
                    ) : (
                      'Never tested yet.'
                    )}
                  </Text>
                </Stack>
                <Group wrap="nowrap" style={{ flexShrink: 0 }}>
                  {!state && (
                    <Button onClick={() => void start({ planId: plan.id }, plan.id)} loading={starting === plan.id} aria-label={`Test failover of ${plan.name}`}>
                      Test failover
                    </Button>
                  )}
                  <Menu position="bottom-end">
                    <Menu.Target>
                      <ActionIcon variant="default" size="lg" aria-label={`More actions for ${plan.name}`}>
                        <IconDots size={18} />
                      </ActionIcon>
                    </Menu.Target>
                    <Menu.Dropdown>
                      <Menu.Item onClick={() => setWizard({ plan })}>Change…</Menu.Item>
                      <Menu.Item color="red" onClick={() => setDeleting(plan)}>
                        Delete…
                      </Menu.Item>
                    </Menu.Dropdown>
                  </Menu>
                </Group>
              </Group>
              {/* Far from "Test failover", under its own words: the one button here that touches production. */}
              {!state && (
                <Group justify="space-between" wrap="nowrap" mt="md" pt="sm" style={{ borderTop: '1px solid var(--mantine-color-red-3)' }} data-testid="danger-area">
                  <Text size="sm" c="dimmed">
                    Real disaster only: start these VMs at the recovery site and run the business from there. Production VMs that still run are shut down first.
                  </Text>
                  <Button size="xs" variant="outline" color="red" style={{ flexShrink: 0 }} onClick={() => setFailover({ plan, back: null })} aria-label={`Fail over ${plan.name}`}>
                    Fail over…
                  </Button>
                </Group>
              )}
            </Card>
          );
        })}
        {(drills.data?.length ?? 0) > 0 && (
          <Card withBorder padding={0}>
            <Title order={3} size="h4" p="md" pb="xs">
              Drill history
            </Title>
            <Table highlightOnHover verticalSpacing="xs">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Started</Table.Th>
                  <Table.Th>Plan</Table.Th>
                  <Table.Th>Result</Table.Th>
                  <Table.Th>Recovery time</Table.Th>
                  <Table.Th>Work lost</Table.Th>
                  <Table.Th>Cleaned up</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {drills.data!.map((drill) => (
                  <Table.Tr key={drill.id} data-testid="drill-row">
                    <Table.Td>
                      <Anchor component="button" size="sm" onClick={() => go('drills', drill.id)}>
                        {formatDate(drill.startedAt)}
                      </Anchor>
                    </Table.Td>
                    <Table.Td>
                      {drill.plan}
                      {drill.kind !== 'test' && (
                        <Text span size="xs" c="dimmed">
                          {' '}
                          · {drill.kind === 'failback' ? 'failback' : `${drill.kind} failover`}
                        </Text>
                      )}
                    </Table.Td>
                    <Table.Td>
                      <DrillBadge status={drill.status} />
                    </Table.Td>
                    <Table.Td>
                      <Measured seconds={achievedRto(drill)} target={drill.rtoTargetSeconds} unmeasured={drill.status === 'running' ? undefined : 'Not measured'} />
                    </Table.Td>
                    <Table.Td>
                      <Measured seconds={drill.status === 'passed' ? drill.rpoSeconds : null} target={drill.rpoTargetSeconds} unmeasured={drill.status === 'running' ? undefined : 'Not proven'} />
                    </Table.Td>
                    <Table.Td>{drill.status === 'running' || drill.kind !== 'test' ? '—' : drill.cleanupConfirmed ? 'Yes' : 'Not confirmed'}</Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Card>
        )}
        <ActionItems items={items.data ?? []} go={go} />
      </Stack>
      <Modal opened={deleting !== null} onClose={() => setDeleting(null)} title={`Delete the plan “${deleting?.name}”?`}>
        <Text size="sm">Its past drills stay on record for your reports.</Text>
        <Group justify="flex-end" mt="lg">
          <Button variant="default" onClick={() => setDeleting(null)}>
            Keep it
          </Button>
          <Button
            color="red"
            onClick={() => {
              const plan = deleting!;
              setDeleting(null);
              void api
                .deletePlan({ id: plan.id })
                .catch((error: LifeboatError) => setFailure(error));
            }}
          >
            Delete plan
          </Button>
        </Group>
      </Modal>
    </>
  );
}

export function Measured({ seconds, target, unmeasured }: { seconds: number | null; target: number | null; unmeasured?: string }) {
  const result = verdict(seconds, target);
  if (seconds === null && unmeasured)
    return (
      <Text size="sm" c="dimmed">
        {unmeasured}
      </Text>
    );
  return (
    <Text size="sm" c={result === 'missed' ? 'red' : undefined} fw={result === 'missed' ? 600 : undefined}>
      {formatDuration(seconds)}
      {target !== null && seconds !== null ? ` (goal ${formatDuration(target)})` : ''}
    </Text>
  );
}

function ActionItems({ items, go }: { items: ActionItem[]; go(page: PageId, param?: string | null): void }) {
  const open = items.filter((item) => item.status === 'open');
  if (open.length === 0) return null;
  return (
    <Card withBorder>
      <Title order={3} size="h4" mb="xs">
        Action items ({open.length})
      </Title>
      <Text size="sm" c="dimmed" mb="sm">
        What drills and alerts found that needs fixing. Tick an item when it is done; reports list both.
      </Text>
      <Stack gap="xs">
        {open.map((item) => (
          <Group key={item.id} justify="space-between" wrap="nowrap" data-testid="action-item">
            <Checkbox
              label={item.description}
              description={`${item.subject} · raised ${formatDate(item.createdAt)}`}
              checked={false}
              onChange={() => void api.closeActionItem({ id: item.id })}
            />
            {item.drillId && (
              <Anchor component="button" size="sm" onClick={() => go('drills', item.drillId)}>
                See the drill
              </Anchor>
            )}
          </Group>
        ))}
      </Stack>
    </Card>
  );
}
