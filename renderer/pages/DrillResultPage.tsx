import { Alert, Anchor, Button, Card, Group, Image, Loader, Paper, Progress, SimpleGrid, Stack, Text, ThemeIcon, Timeline, Title } from '@mantine/core';
import { IconArrowLeft, IconCheck, IconCircleDashed, IconPlayerSkipForward, IconX } from '@tabler/icons-react';
import { useEffect, useState } from 'react';
import type { ActionItem, Drill, DrillStep, DrillVmResult } from '../../core/contract/drills';
import type { LifeboatError } from '../../core/contract/errors';
import { api } from '../api';
import { DrillBadge } from '../components/DrillBadge';
import { ErrorNotice } from '../components/ErrorNotice';
import { formatDate, formatDuration } from '../format';
import { useEngine } from '../hooks';
import { drillProgress, verdict } from '../model/drills';
import type { PageId } from '../router';

type LiveDrill = Drill & { steps: DrillStep[] };

/** A drill while it runs (live step timeline) and afterwards (the evidence: goals met, checks, screenshots). */
export function DrillResultPage({ drillId, go }: { drillId: string; go(page: PageId, param?: string | null): void }) {
  // Until the job starts, the drill has no record yet: NOT_FOUND means "starting".
  const drill = useEngine<LiveDrill | null>(
    () => api.getDrill({ id: drillId }).catch((error: LifeboatError) => (error.code === 'NOT_FOUND' ? null : Promise.reject(error))),
    ['job.progress', 'job.finished'],
  );
  const items = useEngine<ActionItem[]>(() => api.listActionItems({}), ['job.finished']);
  const running = drill.data === null || drill.data?.status === 'running';
  const reload = drill.reload;
  // Steps are written as they happen; poll too, so the timeline moves even between progress events.
  useEffect(() => {
    if (!running) return;
    const timer = setInterval(reload, 1000);
    return () => clearInterval(timer);
  }, [running, reload]);

  const back = (
    <Button variant="subtle" leftSection={<IconArrowLeft size={16} />} onClick={() => go('drills')} px={0} style={{ alignSelf: 'flex-start' }}>
      All drills
    </Button>
  );
  if (drill.error && !drill.data) {
    return (
      <Stack>
        {back}
        <ErrorNotice error={drill.error} onRetry={drill.reload} />
      </Stack>
    );
  }
  if (!drill.data) {
    return (
      <Stack>
        {back}
        <Group>
          <Loader size="sm" aria-label="Starting" />
          <Text>Starting the drill…</Text>
        </Group>
      </Stack>
    );
  }
  const d = drill.data;
  const real = d.kind !== 'test';
  const heading = d.kind === 'planned' ? 'Planned failover' : d.kind === 'unplanned' ? 'Unplanned failover' : d.kind === 'failback' ? 'Failback' : 'Test failover';
  const raised = (items.data ?? []).filter((item) => item.drillId === d.id);
  return (
    <Stack>
      {back}
      <Group justify="space-between" align="flex-start">
        <div>
          <Title order={2}>{d.plan.startsWith('Test failover') ? d.plan : `${heading}: ${d.plan}`}</Title>
          <Text c="dimmed">
            Started {formatDate(d.startedAt)} by {d.operator}
            {d.finishedAt ? ` · took ${formatDuration((Date.parse(d.finishedAt) - Date.parse(d.startedAt)) / 1000)}` : ''}
          </Text>
        </div>
        <Group>
          <DrillBadge status={d.status} size="xl" />
          {d.status === 'running' && (
            <Button variant="default" onClick={() => void api.cancelJob({ id: d.id }).then(drill.reload)}>
              {real ? 'Stop' : 'Stop drill'}
            </Button>
          )}
        </Group>
      </Group>

      {d.status === 'running' && <Progress value={drillProgress(d, d.steps)} striped animated size="lg" aria-label="Drill progress" />}

      {d.status !== 'running' && (
        <SimpleGrid cols={{ base: 1, sm: 2, md: 4 }} data-testid="drill-summary">
          <Outcome
            title="Result"
            ok={d.status === 'passed'}
            value={d.status === 'passed' ? 'Every VM came back' : d.status === 'failed' ? `${d.vms.filter((v) => v.status === 'failed').length || 'Some'} VM(s) failed` : d.status === 'cancelled' ? 'Stopped before the end' : 'Lifeboat stopped during the drill'}
          />
          <GoalCard title="Recovery time (RTO)" seconds={d.rtoSeconds} target={d.rtoTargetSeconds} />
          <GoalCard title="Work that would be lost (RPO)" seconds={d.rpoSeconds} target={d.rpoTargetSeconds} />
          {real ? (
            <Outcome title="Where the VMs run" ok={d.status === 'passed'} value={d.status === 'passed' ? (d.kind === 'failback' ? 'Back at their own hosts' : 'At the recovery site') : 'See the notes below'} />
          ) : (
            <Outcome title="Sandbox cleaned up" ok={d.cleanupConfirmed} value={d.cleanupConfirmed ? 'Confirmed: nothing left behind' : 'Not confirmed: check Activity'} />
          )}
        </SimpleGrid>
      )}

      {real && d.notes && d.status !== 'running' && (
        <Alert color={d.status === 'passed' ? 'blue' : 'red'} variant="light" title={d.status === 'passed' ? 'Notes' : 'What happened'} data-testid="failover-notes">
          {d.notes}
        </Alert>
      )}
      {real && d.isolation && (
        <Text size="sm" c="dimmed">
          {d.isolation}.
        </Text>
      )}
      {!real && d.isolation && (
        <Text size="sm" c="dimmed">
          Isolation: {d.isolation}. Production VMs and their network {d.status === 'running' ? 'are not touched' : 'were not touched'}.
        </Text>
      )}

      {d.vms.map((vm) => (
        <VmEvidence key={vm.vm} drillId={d.id} vm={vm} />
      ))}

      <Card withBorder>
        <Title order={3} size="h4" mb="sm">
          Steps
        </Title>
        <StepTimeline steps={d.steps} />
      </Card>

      {raised.length > 0 && (
        <Alert color="orange" variant="light" title="Action items from this drill">
          <Stack gap={4}>
            {raised.map((item) => (
              <Text key={item.id} size="sm">
                {item.subject}: {item.description}
              </Text>
            ))}
          </Stack>
        </Alert>
      )}
      {d.status !== 'running' && (
        <Text size="sm">
          {real ? `This ${heading.toLowerCase()} is on record for your auditor.` : 'This drill is part of your audit evidence.'}{' '}
          <Anchor component="button" size="sm" onClick={() => go('reports')}>
            Export a report for your auditor
          </Anchor>
          .
        </Text>
      )}
    </Stack>
  );
}

function Outcome({ title, ok, value }: { title: string; ok: boolean; value: string }) {
  return (
    <Paper withBorder p="md">
      <Text size="sm" c="dimmed">
        {title}
      </Text>
      <Group gap="xs" mt={4} wrap="nowrap">
        <ThemeIcon color={ok ? 'green' : 'red'} variant="light" radius="xl">
          {ok ? <IconCheck size={18} /> : <IconX size={18} />}
        </ThemeIcon>
        <Text fw={600}>{value}</Text>
      </Group>
    </Paper>
  );
}

function GoalCard({ title, seconds, target }: { title: string; seconds: number | null; target: number | null }) {
  const result = verdict(seconds, target);
  const share = seconds !== null && target ? Math.min(100, (seconds / target) * 100) : 0;
  return (
    <Paper withBorder p="md" data-testid="goal-card">
      <Text size="sm" c="dimmed">
        {title}
      </Text>
      <Text fw={700} size="xl">
        {formatDuration(seconds)}
      </Text>
      <Progress value={share} color={result === 'missed' ? 'red' : 'green'} size="sm" mt={4} aria-label={`${title} against its goal`} />
      <Text size="sm" mt={4} c={result === 'missed' ? 'red' : undefined}>
        {result === 'unknown' ? 'Not measured' : `${result === 'met' ? 'Within' : 'Over'} the goal of ${formatDuration(target)}`}
      </Text>
    </Paper>
  );
}

function VmEvidence({ drillId, vm }: { drillId: string; vm: DrillVmResult }) {
  const [shot, setShot] = useState<string | null>(null);
  useEffect(() => {
    if (!vm.screenshot) return;
    let live = true;
    void api.getDrillScreenshot({ drillId, vm: vm.vm }).then((result) => live && setShot(result.dataUrl));
    return () => {
      live = false;
    };
  }, [drillId, vm.vm, vm.screenshot]);
  return (
    <Card withBorder data-testid="drill-vm">
      <Group justify="space-between" mb="xs">
        <Title order={3} size="h4">
          {vm.vm}
        </Title>
        <DrillBadge status={vm.status} />
      </Group>
      <SimpleGrid cols={{ base: 1, md: shot ? 2 : 1 }}>
        <Stack gap={6}>
          <Text size="sm">
            From the copy of {formatDate(vm.recoveryPointTime)}
            {vm.recoveredSeconds !== null ? ` · running after ${formatDuration(vm.recoveredSeconds)}` : ''}
          </Text>
          {vm.checks.map((check) => (
            <Group key={`${check.name}-${check.at}`} gap="xs" wrap="nowrap" align="flex-start">
              <ThemeIcon size="sm" radius="xl" variant="light" color={check.status === 'passed' ? 'green' : check.status === 'failed' ? 'red' : 'gray'}>
                {check.status === 'passed' ? <IconCheck size={14} /> : check.status === 'failed' ? <IconX size={14} /> : <IconPlayerSkipForward size={14} />}
              </ThemeIcon>
              <div>
                <Text size="sm" fw={500}>
                  {check.name}
                </Text>
                <Text size="xs" c="dimmed">
                  {check.detail}
                </Text>
              </div>
            </Group>
          ))}
          {vm.failure && (
            <Text size="sm" c="red">
              {vm.failure}
            </Text>
          )}
        </Stack>
        {shot && <Image src={shot} alt={`Console of ${vm.vm} during the drill`} radius="sm" maw={480} fit="contain" style={{ imageRendering: 'pixelated' }} />}
      </SimpleGrid>
    </Card>
  );
}

export function StepTimeline({ steps }: { steps: readonly DrillStep[] }) {
  if (steps.length === 0) return <Text c="dimmed">Waiting for the first step…</Text>;
  // Every step is "active" so each bullet shows its own colour: green passed, blue running, red failed.
  return (
    <Timeline active={steps.length - 1} bulletSize={22} lineWidth={2} data-testid="drill-timeline">
      {steps.map((step) => (
        <Timeline.Item
          key={step.id}
          color={step.status === 'failed' ? 'red' : step.status === 'running' ? 'blue' : step.status === 'skipped' ? 'gray' : 'green'}
          bullet={step.status === 'running' ? <Loader size={12} color="white" /> : step.status === 'failed' ? <IconX size={14} /> : step.status === 'skipped' ? <IconCircleDashed size={14} /> : <IconCheck size={14} />}
          title={`${step.vm ? `${step.vm}: ` : ''}${step.name}`}
        >
          <Text size="xs" c="dimmed">
            {new Date(step.startedAt).toLocaleTimeString()}
            {step.finishedAt ? ` · ${formatDuration((Date.parse(step.finishedAt) - Date.parse(step.startedAt)) / 1000)}` : ' · running'}
            {step.detail ? ` · ${step.detail}` : ''}
          </Text>
        </Timeline.Item>
      ))}
    </Timeline>
  );
}
