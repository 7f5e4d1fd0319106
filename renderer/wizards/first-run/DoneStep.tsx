import { Button, Group, List, Progress, Stack, Text, ThemeIcon, Title } from '@mantine/core';
import { IconAlertTriangle, IconCircleCheck, IconShieldCheck } from '@tabler/icons-react';
import { useEffect, useState } from 'react';
import type { Job, JobProgress } from '../../../core/contract/protection';
import { api, subscribe } from '../../api';
import { formatBytes, formatDuration, formatRate } from '../../format';
import type { PageId } from '../../router';

/** Step 7: the first copies as they run, and what to do next. */
export function DoneStep({ jobs, onFinish }: { jobs: Job[]; onFinish(page: PageId): void }) {
  const [progress, setProgress] = useState<Record<string, JobProgress | 'done' | 'failed'>>({});
  useEffect(
    () =>
      subscribe((event) => {
        if (event.type === 'job.progress') {
          const { type: _type, jobId, ...rest } = event;
          setProgress((current) => (current[jobId] === 'done' || current[jobId] === 'failed' ? current : { ...current, [jobId]: rest }));
        }
        if (event.type === 'job.finished')
          setProgress((current) => ({ ...current, [event.jobId]: event.status === 'succeeded' ? 'done' : 'failed' }));
      }),
    [],
  );
  useEffect(() => {
    // A copy that ended before this page subscribed: read how it ended.
    for (const job of jobs) {
      void api.getJob({ id: job.id }).then(
        (current) => {
          const ended =
            current.status === 'succeeded'
              ? 'done'
              : current.status === 'failed' || current.status === 'cancelled' || current.status === 'interrupted'
                ? 'failed'
                : null;
          if (ended) setProgress((known) => ({ ...known, [job.id]: ended }));
        },
        () => undefined,
      );
    }
  }, [jobs]);
  const headline = firstCopiesHeadline(jobs.map((job) => progress[job.id] ?? null));
  return (
    <Stack data-testid="first-run-done">
      <Group wrap="nowrap" align="flex-start">
        <ThemeIcon size={44} radius="xl" color={headline.color} variant="light">
          {headline.color === 'green' ? <IconShieldCheck /> : headline.color === 'red' ? <IconAlertTriangle /> : <IconCircleCheck />}
        </ThemeIcon>
        <div>
          <Title order={3}>{headline.title}</Title>
          <Text c="dimmed">{headline.detail}</Text>
        </div>
      </Group>
      <Stack gap="xs">
        {jobs.map((job) => {
          const state = progress[job.id] ?? job.progress;
          const live = state && typeof state === 'object' ? state : null;
          const percent = state === 'done' ? 100 : live && live.bytesTotal > 0 ? (live.bytesDone / live.bytesTotal) * 100 : 0;
          return (
            <div key={job.id} data-testid="first-copy">
              <Group justify="space-between">
                <Text size="sm" fw={500}>
                  {job.title}
                </Text>
                <Text size="sm" c={state === 'failed' ? 'red' : 'dimmed'}>
                  {state === 'done'
                    ? 'Copied'
                    : state === 'failed'
                      ? 'Failed: see Activity'
                      : live && live.bytesPerSecond > 0
                        ? `${formatBytes(live.bytesDone)} of ${formatBytes(live.bytesTotal)} · ${formatRate(live.bytesPerSecond)} · about ${formatDuration(live.etaSeconds)} left`
                        : 'Starting…'}
                </Text>
              </Group>
              <Progress
                value={percent}
                color={state === 'failed' ? 'red' : undefined}
                striped={state !== 'done'}
                animated={state !== 'done' && state !== 'failed'}
                aria-label={`${job.title} progress`}
              />
            </div>
          );
        })}
      </Stack>
      <List size="sm" spacing={4}>
        <List.Item>When a copy is done, run a drill: Lifeboat starts the copy in a sandbox and proves it works.</List.Item>
        <List.Item>Set up email alerts in Settings, so you hear when something needs you.</List.Item>
      </List>
      <Group justify="flex-end">
        <Button onClick={() => onFinish('dashboard')}>Go to the dashboard</Button>
      </Group>
    </Stack>
  );
}

/** The Done page's headline from how the first copies stand: "protected" only once a copy is in the vault. */
export function firstCopiesHeadline(states: readonly (JobProgress | 'done' | 'failed' | null)[]): {
  color: 'green' | 'red' | 'orange' | 'blue';
  title: string;
  detail: string;
} {
  const done = states.filter((state) => state === 'done').length;
  const failed = states.filter((state) => state === 'failed').length;
  const total = states.length;
  const vms = (count: number): string => `${count} VM${count === 1 ? '' : 's'}`;
  if (total > 0 && done === total)
    return {
      color: 'green',
      title: total === 1 ? 'Your VM is protected' : 'Your VMs are protected',
      detail: 'The first copies are in the vault. Later copies only send what changed, on the schedule you chose.',
    };
  if (failed > 0 && done + failed === total) {
    return done === 0
      ? {
          color: 'red',
          title: 'Not protected yet: the first copies failed',
          detail: 'Nothing is in the vault yet. Open Activity to see why, fix it, then press “Copy now” on the Dashboard.',
        }
      : {
          color: 'orange',
          title: `${vms(done)} protected, ${vms(failed)} not`,
          detail: `${failed === 1 ? 'One first copy' : `${failed} first copies`} failed: open Activity to see why, fix it, then copy again.`,
        };
  }
  return {
    color: failed > 0 ? 'orange' : 'blue',
    title: 'Not protected until the first copies finish',
    detail: `${done} of ${total} in the vault${failed > 0 ? `, ${failed} failed` : ''}. You can leave this page: the copies go on, and the Dashboard shows when each VM is protected.`,
  };
}
