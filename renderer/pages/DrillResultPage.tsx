import {
  Alert,
  Anchor,
  Button,
  Card,
  Code,
  Grid,
  Group,
  Image,
  Loader,
  Paper,
  Progress,
  SimpleGrid,
  Stack,
  Text,
  ThemeIcon,
  Timeline,
  Title,
} from '@mantine/core';
import { IconAlertTriangle, IconArrowLeft, IconCheck, IconCircleDashed, IconQuestionMark, IconX } from '@tabler/icons-react';
import { useEffect, useState } from 'react';
import type { DrillCheck, DrillStep, DrillVmResult } from '../../core/contract/drills';
import { api } from '../api';
import { CheckBadge, CheckIcon, DrillBadge } from '../components/DrillBadge';
import { ErrorNotice } from '../components/ErrorNotice';
import { formatDate, formatDuration } from '../format';
import { useEngineQuery } from '../hooks';
import { achievedRto, drillOutcome, drillProgress, evidenceLabel, verdict, type Tone, type Verdict } from '../model/drills';
import type { PageId } from '../router';

/** A drill while it runs (live step timeline) and afterwards (the evidence: goals met, checks, screenshots). */
export function DrillResultPage({ drillId, go }: { drillId: string; go(page: PageId, param?: string | null): void }) {
  // Until the job starts, the drill has no record yet: NOT_FOUND means "starting". Its steps are written as
  // they happen, so the drill is read again whenever its own job moves, not only when a list would be.
  const drill = useEngineQuery(
    'getDrill',
    { id: drillId },
    {
      absentOn: ['NOT_FOUND'],
      refetchOn: (event) => (event.type === 'job.started' || event.type === 'job.progress') && event.jobId === drillId,
    },
  );
  const items = useEngineQuery('listActionItems', {});

  const back = (
    <Button
      variant="subtle"
      leftSection={<IconArrowLeft size={16} />}
      onClick={() => go('drills')}
      px={0}
      style={{ alignSelf: 'flex-start' }}
    >
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
          <Loader size="sm" role="status" aria-label="Starting" />
          <Text>Starting the drill…</Text>
        </Group>
      </Stack>
    );
  }
  const d = drill.data;
  const real = d.kind !== 'test';
  const heading =
    d.kind === 'planned'
      ? 'Planned failover'
      : d.kind === 'unplanned'
        ? 'Unplanned failover'
        : d.kind === 'failback'
          ? 'Failback'
          : 'Test failover';
  const raised = (items.data ?? []).filter((item) => item.drillId === d.id);
  const outcome = drillOutcome(d);
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
          <Outcome title="Result" {...outcome} testId="drill-outcome" />
          <GoalCard
            title="Recovery time (RTO)"
            seconds={achievedRto(d)}
            target={d.rtoTargetSeconds}
            unmeasured={
              d.status === 'unverified' ? 'Not every guest proved it came up' : d.status === 'passed' ? null : 'The drill did not pass'
            }
          />
          {/* A point that did not come back proves no RPO: its age is not "within the goal" of anything. */}
          <GoalCard
            title="Work that would be lost (RPO)"
            seconds={d.status === 'passed' ? d.rpoSeconds : null}
            target={d.rpoTargetSeconds}
            unmeasured={
              d.status === 'passed'
                ? null
                : d.status === 'unverified'
                  ? 'Not proven: not every guest proved it came up'
                  : 'Not proven: the drill did not pass'
            }
          />
          {real ? (
            <Outcome
              title="Where the VMs run"
              tone={d.status === 'passed' ? 'ok' : d.status === 'unverified' ? 'warn' : 'bad'}
              value={
                d.status === 'passed'
                  ? d.kind === 'failback'
                    ? 'Back at their own hosts'
                    : 'At the recovery site'
                  : d.status === 'unverified'
                    ? 'Started, not proven'
                    : 'See the notes below'
              }
            />
          ) : (
            <Outcome
              title="Sandbox cleaned up"
              tone={d.cleanupConfirmed ? 'ok' : 'bad'}
              value={d.cleanupConfirmed ? 'Confirmed: nothing left behind' : 'Not confirmed: check Activity'}
            />
          )}
        </SimpleGrid>
      )}

      {real && d.notes && d.status !== 'running' && (
        <Alert
          color={d.status === 'passed' ? 'blue' : d.status === 'unverified' ? 'yellow' : 'red'}
          variant="light"
          title={d.status === 'passed' ? 'Notes' : 'What happened'}
          data-testid="failover-notes"
        >
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

const TONE: Record<Tone, { color: string; icon: typeof IconCheck }> = {
  ok: { color: 'green', icon: IconCheck },
  warn: { color: 'yellow', icon: IconQuestionMark },
  bad: { color: 'red', icon: IconX },
};

function Outcome({
  title,
  tone,
  value,
  hint,
  testId,
}: {
  title: string;
  tone: Tone;
  value: string;
  hint?: string | null;
  testId?: string;
}) {
  const { color, icon: Icon } = TONE[tone];
  return (
    <Paper withBorder p="md" data-testid={testId}>
      <Text size="sm" c="dimmed">
        {title}
      </Text>
      <Group gap="xs" mt={4} wrap="nowrap">
        <ThemeIcon color={color} variant="light" radius="xl">
          <Icon size={18} />
        </ThemeIcon>
        <Text fw={600}>{value}</Text>
      </Group>
      {hint && (
        <Text size="sm" mt={4}>
          {hint}
        </Text>
      )}
    </Paper>
  );
}

/** A measured goal; `unmeasured` says why there is no value (RTO counts only once every check passed). */
function GoalCard({
  title,
  seconds,
  target,
  unmeasured = null,
}: {
  title: string;
  seconds: number | null;
  target: number | null;
  unmeasured?: string | null;
}) {
  const result = verdict(seconds, target);
  const share = seconds !== null && target ? Math.min(100, (seconds / target) * 100) : 0;
  return (
    <Paper withBorder p="md" data-testid="goal-card">
      <Text size="sm" c="dimmed">
        {title}
      </Text>
      <Text fw={700} size="xl">
        {seconds === null ? 'Not measured' : formatDuration(seconds)}
      </Text>
      <Progress value={share} color={result === 'missed' ? 'red' : 'green'} size="sm" mt={4} aria-label={`${title} against its goal`} />
      <Text size="sm" mt={4} c={result === 'missed' ? 'red' : undefined}>
        {goalWords(result, seconds, target, unmeasured)}
      </Text>
    </Paper>
  );
}

function goalWords(result: Verdict, seconds: number | null, target: number | null, unmeasured: string | null): string {
  if (result !== 'unknown') return `${result === 'met' ? 'Within' : 'Over'} the goal of ${formatDuration(target)}`;
  if (seconds !== null) return 'No goal set';
  return [unmeasured, target !== null ? `Goal: ${formatDuration(target)}` : null].filter(Boolean).join('. ') || 'No goal set';
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
        <DrillBadge status={vm.status} size="lg" />
      </Group>
      <Stack gap="sm">
        <Text size="sm">
          From the copy of {formatDate(vm.recoveryPointTime)}
          {vm.status === 'passed' && vm.recoveredSeconds !== null ? ` · proven up after ${formatDuration(vm.recoveredSeconds)}` : ''}
        </Text>
        {vm.status === 'unverified' && (
          <Alert
            color="yellow"
            variant="light"
            icon={<IconQuestionMark size={18} />}
            title="It started, but nothing proved the guest came up"
            data-testid="vm-unverified"
          >
            <Stack gap={4}>
              {vm.unverified?.reason && <Text size="sm">{vm.unverified.reason}</Text>}
              <Text size="sm">
                <Text span fw={600} size="sm">
                  What to do next:{' '}
                </Text>
                {vm.unverified?.fix ??
                  'Add a check the guest must answer (a TCP port it serves, a heartbeat or a script), then run the drill again.'}
              </Text>
            </Stack>
          </Alert>
        )}
        {vm.status === 'failed' && (
          <Alert color="red" variant="light" icon={<IconAlertTriangle size={18} />} title="It did not come back" data-testid="vm-failure">
            <Text size="sm">{vm.failure ?? 'A check failed: see the checks below.'}</Text>
          </Alert>
        )}
        <Grid gap="md">
          <Grid.Col span={{ base: 12, md: vm.screenshot ? 7 : 12 }}>
            <Stack gap="sm">
              <Text size="sm" fw={600}>
                Checks
              </Text>
              {vm.checks.length === 0 && (
                <Text size="sm" c="dimmed">
                  No check ran.
                </Text>
              )}
              {vm.checks.map((check) => (
                <CheckRow key={`${check.name}-${check.at}`} check={check} />
              ))}
            </Stack>
          </Grid.Col>
          {vm.screenshot && (
            <Grid.Col span={{ base: 12, md: 5 }}>
              <Stack gap={4} data-testid="vm-screenshot">
                <Text size="sm" fw={600}>
                  Console screenshot
                </Text>
                {shot ? (
                  <Image
                    src={shot}
                    alt={`Console of ${vm.vm} during the drill`}
                    radius="sm"
                    fit="contain"
                    style={{ imageRendering: 'pixelated' }}
                  />
                ) : (
                  <Text size="sm" c="dimmed">
                    The screenshot file is no longer there.
                  </Text>
                )}
                <Text size="xs" c="dimmed">
                  {vm.status === 'unverified'
                    ? `What the console of ${vm.vm} showed during the drill. A picture alone does not prove the guest came up.`
                    : `What the console of ${vm.vm} showed during the drill, kept as evidence.`}
                </Text>
              </Stack>
            </Grid.Col>
          )}
        </Grid>
      </Stack>
    </Card>
  );
}

/** One check: its status, what was observed, what to do, and the guest's own words, verbatim. */
function CheckRow({ check }: { check: DrillCheck }) {
  return (
    <Group gap="xs" wrap="nowrap" align="flex-start" data-testid="drill-check">
      <CheckIcon status={check.status} />
      <Stack gap={4} style={{ flex: 1, minWidth: 0 }}>
        <Group gap="xs">
          <Text size="sm" fw={500}>
            {check.name}
          </Text>
          <CheckBadge status={check.status} />
        </Group>
        <Text size="sm" c={check.status === 'failed' ? 'red' : 'dimmed'}>
          {check.status === 'skipped' ? `Not run: ${check.detail}` : check.detail}
        </Text>
        {check.fix && check.status !== 'passed' && (
          <Text size="sm">
            <Text span fw={600} size="sm">
              What to do:{' '}
            </Text>
            {check.fix}
          </Text>
        )}
        {(check.evidence ?? []).map((evidence, i) => (
          <div key={i} data-testid="check-evidence">
            <Text size="xs" fw={600} c="dimmed" mb={2}>
              {evidenceLabel(evidence)}
            </Text>
            <Code
              block
              style={{
                whiteSpace: 'pre-wrap',
                overflowWrap: 'anywhere',
                maxHeight: 240,
                overflowY: 'auto',
                border: '1px solid var(--mantine-color-default-border)',
              }}
            >
              {evidence.text}
            </Code>
          </div>
        ))}
      </Stack>
    </Group>
  );
}

/** A step the engine may record as unverified (a check that ran but proved nothing): never drawn green. */
function unproven(step: DrillStep): boolean {
  return (step.status as string) === 'unverified';
}

export function StepTimeline({ steps }: { steps: readonly DrillStep[] }) {
  if (steps.length === 0) return <Text c="dimmed">Waiting for the first step…</Text>;
  // Every step is "active" so each bullet shows its own colour: green passed, blue running, red failed, yellow unproven.
  return (
    <Timeline active={steps.length - 1} bulletSize={22} lineWidth={2} data-testid="drill-timeline">
      {steps.map((step) => (
        <Timeline.Item
          key={step.id}
          color={
            step.status === 'failed'
              ? 'red'
              : step.status === 'running'
                ? 'blue'
                : step.status === 'skipped'
                  ? 'gray'
                  : unproven(step)
                    ? 'yellow'
                    : 'green'
          }
          bullet={
            step.status === 'running' ? (
              <Loader size={12} color="white" />
            ) : step.status === 'failed' ? (
              <IconX size={14} />
            ) : step.status === 'skipped' ? (
              <IconCircleDashed size={14} />
            ) : unproven(step) ? (
              <IconQuestionMark size={14} />
            ) : (
              <IconCheck size={14} />
            )
          }
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
