import { ActionIcon, Anchor, Button, Card, Group, Menu, Stack, Text, Title } from '@mantine/core';
import { IconDots } from '@tabler/icons-react';
import type { Drill, RecoveryPlan } from '../../../core/contract/drills';
import type { PlanFailoverState } from '../../../core/contract/failover';
import { DrillBadge } from '../../components/DrillBadge';
import { FailedOverBanner } from '../../components/FailoverModal';
import { formatDate, formatDuration } from '../../format';
import { gateWords, scheduleWords } from '../../model/drills';

export interface PlanCardProps {
  plan: RecoveryPlan;
  /** The plan's newest test drill. */
  last: Drill | undefined;
  /** Set while the plan's VMs run at the recovery site. */
  state: PlanFailoverState | null;
  vmNames: ReadonlyMap<string, string>;
  starting: boolean;
  onTest(): void;
  onOpenDrill(drillId: string): void;
  /** Fail over (no state) or fail back (the state of the failover). */
  onFailover(back: PlanFailoverState | null): void;
  onChange(): void;
  onDelete(): void;
}

/** One recovery plan: its start order and goals, its last drill, and what can be done with it. */
export function PlanCard({ plan, last, state, vmNames, starting, onTest, onOpenDrill, onFailover, onChange, onDelete }: PlanCardProps) {
  return (
    <Card withBorder padding="lg" data-testid="plan-card">
      <Group justify="space-between" align="flex-start" wrap="nowrap">
        <Stack gap={4} style={{ flex: 1, minWidth: 0 }}>
          <Title order={3} size="h4">
            {plan.name}
          </Title>
          <Text size="sm">
            Start order:{' '}
            {plan.groups
              .map(
                (g, i) =>
                  `${g.vms.map((v) => vmNames.get(v.vmId) ?? 'removed VM').join(' + ')}${i < plan.groups.length - 1 ? ` → ${gateWords(g.then)} →` : ''}`,
              )
              .join(' ')}
          </Text>
          <Text size="sm" c="dimmed">
            Goals: running again within {formatDuration(plan.rtoTargetMinutes * 60)}, at most {formatDuration(plan.rpoTargetMinutes * 60)}{' '}
            of work lost · {scheduleWords(plan.schedule)}
          </Text>
          {state && (
            <div style={{ marginTop: 8 }}>
              <FailedOverBanner state={state} onFailBack={() => onFailover(state)} />
            </div>
          )}
          <Text size="sm">
            {last ? (
              <>
                Last drill{' '}
                <Anchor component="button" size="sm" onClick={() => onOpenDrill(last.id)}>
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
            <Button onClick={onTest} loading={starting} aria-label={`Test failover of ${plan.name}`}>
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
              <Menu.Item onClick={onChange}>Change…</Menu.Item>
              <Menu.Item color="red" onClick={onDelete}>
                Delete…
              </Menu.Item>
            </Menu.Dropdown>
          </Menu>
        </Group>
      </Group>
      {/* Far from "Test failover", under its own words: the one button here that touches production. */}
      {!state && (
        <Group
          justify="space-between"
          wrap="nowrap"
          mt="md"
          pt="sm"
          style={{ borderTop: '1px solid var(--mantine-color-red-3)' }}
          data-testid="danger-area"
        >
          <Text size="sm" c="dimmed">
            Real disaster only: start these VMs at the recovery site and run the business from there. Production VMs that still run are shut
            down first.
          </Text>
          <Button
            size="xs"
            variant="outline"
            color="red"
            style={{ flexShrink: 0 }}
            onClick={() => onFailover(null)}
            aria-label={`Fail over ${plan.name}`}
          >
            Fail over…
          </Button>
        </Group>
      )}
    </Card>
  );
}
