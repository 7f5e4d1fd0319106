import { Badge, Group, List, Paper, RingProgress, SimpleGrid, Stack, Text, Title } from '@mantine/core';
import { coverageText, overallLabel, type ReportSummary } from '../../core/contract/reports';

/** Badge colours; the words come from overallLabel, the same as on the workbook's Summary sheet. */
const OVERALL_COLOR = { ok: 'green', attention: 'yellow', failing: 'red', incomplete: 'gray' } as const;

/** "1:35:00" — how the workbook shows durations, so the preview reads the same. */
export function formatDuration(seconds: number): string {
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return `${h}:${String(m).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
}

function Stat({ label, value, hint, bad }: { label: string; value: string | number; hint?: string; bad?: boolean }) {
  return (
    <Paper withBorder p="sm" radius="md" data-testid={`stat-${label.toLowerCase().replace(/\W+/g, '-')}`}>
      <Text size="xs" c="dimmed" tt="uppercase" fw={600}>
        {label}
      </Text>
      <Text size="xl" fw={700} c={bad ? 'red' : undefined}>
        {value}
      </Text>
      {hint && (
        <Text size="xs" c="dimmed">
          {hint}
        </Text>
      )}
    </Paper>
  );
}

function versus(achieved: { seconds: number; targetSeconds: number | null } | null): { value: string; hint: string; bad: boolean } {
  if (!achieved) return { value: '—', hint: 'nothing measured', bad: false };
  const target = achieved.targetSeconds;
  return {
    value: formatDuration(achieved.seconds),
    hint: target === null ? 'no target set' : `target ${formatDuration(target)}`,
    bad: target !== null && achieved.seconds > target,
  };
}

/** The numbers the workbook's Summary sheet will show, before it is written. */
export function ReportSummaryCard({ summary }: { summary: ReportSummary }) {
  const overall = { color: OVERALL_COLOR[summary.overall], label: overallLabel(summary) };
  const coverage = coverageText(summary.coverage);
  const compliance = summary.rpoCompliancePercent;
  const worstAge = versus(summary.worstPointAge);
  const worstRpo = versus(summary.worstDrillRpo);
  const worstRto = versus(summary.worstDrillRto);
  return (
    <Paper withBorder p="lg" radius="md" data-testid="report-summary">
      <Group justify="space-between" align="flex-start" mb="md">
        <div>
          <Title order={4}>Summary</Title>
          <Text size="sm" c="dimmed">
            {summary.organisation ?? 'Organisation not set'} · {summary.from} to {summary.to} · times in {summary.timeZone}
          </Text>
          {summary.coverage.state !== 'complete' && (
            <Text size="sm" c="orange" fw={600} data-testid="report-period-state">
              {summary.coverage.state === 'partial'
                ? `Partial period: not over yet, measured until ${new Date(summary.coverage.asOf).toLocaleString()}. The figures can still change.`
                : 'Future period: it has not begun, so nothing in it is measured yet.'}
            </Text>
          )}
        </div>
        <Badge size="lg" color={overall.color} variant="light" data-testid="report-overall">
          {overall.label}
        </Badge>
      </Group>
      <Group align="flex-start" gap="xl" wrap="nowrap">
        <Stack align="center" gap={4} miw={150}>
          <RingProgress
            size={140}
            thickness={14}
            roundCaps
            sections={
              compliance === null ? [] : [{ value: compliance, color: compliance >= 99.9 ? 'green' : compliance >= 95 ? 'yellow' : 'red' }]
            }
            label={
              <Text ta="center" fw={700} size="lg" data-testid="report-compliance">
                {compliance === null ? '—' : `${compliance.toFixed(2)}%`}
              </Text>
            }
          />
          <Text size="xs" c="dimmed" ta="center" maw={160}>
            RPO compliance: share of protected VM-minutes within RPO
          </Text>
          <Text
            size="xs"
            fw={600}
            ta="center"
            maw={160}
            c={summary.overall === 'incomplete' ? 'orange' : 'dimmed'}
            data-testid="report-coverage"
          >
            {coverage}
          </Text>
        </Stack>
        <SimpleGrid cols={{ base: 2, md: 4 }} spacing="sm" style={{ flex: 1 }}>
          <Stat
            label="VMs"
            value={summary.vms}
            hint={`${summary.protectedVms} protected, ${summary.unprotectedVms} not`}
            bad={summary.unprotectedVms > 0}
          />
          <Stat
            label="RPO breaches"
            value={summary.rpoBreaches}
            hint={`${summary.minutesInBreach.toLocaleString()} minutes in breach`}
            bad={summary.rpoBreaches > 0}
          />
          <Stat
            label="Worst point age"
            value={worstAge.value}
            hint={summary.worstPointAge ? `${summary.worstPointAge.vm}, ${worstAge.hint}` : worstAge.hint}
            bad={worstAge.bad}
          />
          <Stat
            label="Drills"
            value={`${summary.drillsPassed} / ${summary.drillsRun}`}
            hint={[
              'passed',
              summary.drillsUnverified > 0 ? `${summary.drillsUnverified} not proven` : null,
              summary.drillsFailed > 0 ? `${summary.drillsFailed} failed` : null,
            ]
              .filter(Boolean)
              .join('; ')}
            bad={summary.drillsFailed > 0 || summary.drillsUnverified > 0 || summary.drillsRun === 0}
          />
          <Stat label="Worst drill RPO" value={worstRpo.value} hint={worstRpo.hint} bad={worstRpo.bad} />
          <Stat label="Worst drill RTO" value={worstRto.value} hint={worstRto.hint} bad={worstRto.bad} />
          <Stat
            label="Open action items"
            value={summary.openActionItems}
            hint={summary.breachesWithoutActionItem > 0 ? `${summary.breachesWithoutActionItem} breached VMs without one` : undefined}
            bad={summary.openActionItems + summary.breachesWithoutActionItem > 0}
          />
          <Stat
            label="Audit log"
            value={summary.auditIntact ? 'Intact' : 'Broken'}
            hint={`${summary.auditEntries} entries, ${summary.jobsRun.toLocaleString()} runs${summary.jobsUnfinished > 0 ? `, ${summary.jobsUnfinished} unfinished` : ''}`}
            bad={!summary.auditIntact}
          />
        </SimpleGrid>
      </Group>
      {summary.reasons.length > 0 && (
        <List size="sm" mt="md" c="dimmed" data-testid="report-reasons">
          {summary.reasons.map((reason) => (
            <List.Item key={reason}>{reason}</List.Item>
          ))}
        </List>
      )}
    </Paper>
  );
}
