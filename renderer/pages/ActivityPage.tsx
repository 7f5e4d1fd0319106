import { Button, Card, Code, Drawer, Group, Progress, ScrollArea, Stack, Table, Text, Title } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { IconActivity } from '@tabler/icons-react';
import { useEffect, useState } from 'react';
import type { LifeboatError } from '../../core/contract/errors';
import type { BandwidthInForce, Job, JobProgress, JobWithLog } from '../../core/contract/protection';
import { api, subscribe } from '../api';
import { ErrorNotice } from '../components/ErrorNotice';
import { PageEmptyState } from '../components/PageEmptyState';
import { PageHeader } from '../components/PageHeader';
import { JobBadge } from '../components/StatusBadge';
import { formatBytes, formatDate, formatDuration, formatRate } from '../format';
import { useEngineQuery } from '../hooks';

const NOWRAP = { whiteSpace: 'nowrap' } as const;

/** Live progress by job id, fed by job.progress events between list refreshes. */
function useLiveProgress(): Record<string, JobProgress> {
  const [live, setLive] = useState<Record<string, JobProgress>>({});
  useEffect(
    () =>
      subscribe((event) => {
        if (event.type === 'job.progress') {
          const { type: _type, jobId, ...progress } = event;
          setLive((current) => ({ ...current, [jobId]: progress }));
        }
      }),
    [],
  );
  return live;
}

export function ActivityPage() {
  const jobs = useEngineQuery('listJobs', { limit: 200 });
  const live = useLiveProgress();
  const [open, setOpen] = useState<JobWithLog | null>(null);

  const running = (jobs.data ?? []).filter((job) => job.status === 'running' || job.status === 'queued');
  const past = (jobs.data ?? []).filter((job) => job.status !== 'running' && job.status !== 'queued');

  const cancel = async (job: Job): Promise<void> => {
    try {
      await api.cancelJob({ id: job.id });
      notifications.show({ message: `Cancelling “${job.title}”…` });
    } catch (error) {
      notifications.show({ color: 'red', title: 'Could not cancel', message: (error as LifeboatError).message });
    }
  };

  return (
    <Stack>
      <PageHeader title="Activity" subtitle="Copies, drills and exports: running now and finished." />
      {jobs.error && <ErrorNotice error={jobs.error} onRetry={jobs.reload} />}
      {jobs.data && jobs.data.length === 0 && (
        <PageEmptyState
          icon={<IconActivity />}
          title="No activity yet"
          description="When Lifeboat copies a VM, runs a drill or exports a report, it appears here with a progress bar and the time left, and stays listed afterwards with its log."
        />
      )}
      {running.length > 0 && (
        <Stack gap="sm">
          <Title order={4}>Running now</Title>
          {running.map((job) => (
            <RunningJob
              key={job.id}
              job={job}
              progress={live[job.id] ?? job.progress}
              onCancel={() => void cancel(job)}
              onLog={() => void api.getJob({ id: job.id }).then(setOpen)}
            />
          ))}
        </Stack>
      )}
      {past.length > 0 && (
        <Card withBorder padding={0}>
          <Table striped highlightOnHover verticalSpacing="xs" stickyHeader>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Job</Table.Th>
                <Table.Th w={130}>Result</Table.Th>
                <Table.Th>Started</Table.Th>
                <Table.Th>Took</Table.Th>
                <Table.Th>Read</Table.Th>
                <Table.Th>Stored</Table.Th>
                <Table.Th />
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {past.map((job) => (
                <Table.Tr key={job.id}>
                  <Table.Td>
                    <Text size="sm" fw={500}>
                      {job.title}
                    </Text>
                    {job.error && (
                      <Text size="xs" c="red">
                        {job.error}
                      </Text>
                    )}
                  </Table.Td>
                  <Table.Td style={NOWRAP}>
                    <JobBadge status={job.status} />
                  </Table.Td>
                  <Table.Td>{formatDate(job.startedAt ?? job.createdAt)}</Table.Td>
                  <Table.Td style={NOWRAP}>
                    {job.startedAt && job.finishedAt
                      ? formatDuration((Date.parse(job.finishedAt) - Date.parse(job.startedAt)) / 1000)
                      : '—'}
                  </Table.Td>
                  <Table.Td style={NOWRAP}>{formatBytes(job.bytesRead)}</Table.Td>
                  <Table.Td style={NOWRAP}>{formatBytes(job.bytesStored)}</Table.Td>
                  <Table.Td>
                    <Button size="compact-xs" variant="subtle" onClick={() => void api.getJob({ id: job.id }).then(setOpen)}>
                      Log
                    </Button>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Card>
      )}
      <Drawer opened={open !== null} onClose={() => setOpen(null)} title={open?.title} position="right" size="xl">
        <ScrollArea h="calc(100vh - 120px)">
          <Code block>{open?.log || 'This job wrote no log.'}</Code>
        </ScrollArea>
      </Drawer>
    </Stack>
  );
}

function RunningJob({ job, progress, onCancel, onLog }: { job: Job; progress: JobProgress | null; onCancel(): void; onLog(): void }) {
  const percent = progress && progress.bytesTotal > 0 ? Math.min(100, (progress.bytesDone / progress.bytesTotal) * 100) : 0;
  return (
    <Card withBorder data-testid="running-job">
      <Group justify="space-between" mb="xs">
        <div>
          <Text fw={600}>{job.title}</Text>
          <Text size="sm" c="dimmed">
            {job.status === 'queued' ? 'Waiting for a free slot on its host or target' : (progress?.phase ?? 'Starting')}
          </Text>
        </div>
        <Group gap="xs">
          <Button variant="subtle" size="xs" onClick={onLog}>
            Log so far
          </Button>
          <Button variant="default" size="xs" onClick={onCancel}>
            Cancel
          </Button>
        </Group>
      </Group>
      <Progress value={percent} size="lg" striped animated={job.status === 'running'} aria-label={`${job.title} progress`} />
      <Group justify="space-between" mt={6}>
        <Text size="sm">
          {progress ? `${formatBytes(progress.bytesDone)} of ${formatBytes(progress.bytesTotal)} (${Math.floor(percent)}%)` : '—'}
        </Text>
        <Text size="sm" c="dimmed" data-testid="job-rate-eta">
          {progress && progress.bytesPerSecond > 0 && progress.etaSeconds !== null
            ? `${formatRate(progress.bytesPerSecond)} · about ${formatDuration(progress.etaSeconds)} left`
            : 'Measuring speed…'}
        </Text>
      </Group>
      {progress?.limit && (
        <Text size="sm" c="dimmed" mt={4} data-testid="job-limit">
          {limitWords(progress.limit, job.policyId)}
        </Text>
      )}
    </Card>
  );
}

/** Which limit slows this copy, and why another policy's can: copies to one vault share its tightest limit. */
function limitWords(limit: BandwidthInForce, ownPolicyId: string | null): string {
  const rate = `${formatRate(limit.bytesPerSecond)}`;
  if (limit.policyId === ownPolicyId) return `Limited to ${rate} by this policy's bandwidth schedule.`;
  return `Limited to ${rate} by the bandwidth schedule of policy “${limit.policyName}”: copies to the same vault share the lowest limit in force while they run together.`;
}
