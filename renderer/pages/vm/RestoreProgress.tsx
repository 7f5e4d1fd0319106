import { Alert, Anchor, Button, Group, Paper, Progress, Stack, Text } from '@mantine/core';
import { IconCircleCheck } from '@tabler/icons-react';
import { useEffect, useState } from 'react';
import type { LifeboatError } from '../../../core/contract/errors';
import { LifeboatError as Failure } from '../../../core/contract/errors';
import type { ConsoleEvent } from '../../../core/contract/events';
import type { RestoreOutcome } from '../../../core/contract/restore';
import { subscribe } from '../../api';
import { ErrorNotice } from '../../components/ErrorNotice';
import { formatBytes, formatDuration, formatRate } from '../../format';
import { useEngineQuery } from '../../hooks';
import { navigate } from '../../router';

type Progress = Extract<ConsoleEvent, { type: 'job.progress' }>;

const WHAT: Record<RestoreOutcome['kind'], string> = {
  disk: 'Restoring the disk',
  'new-vm': 'Restoring as a new VM',
  'over-original': 'Restoring over the VM',
};

/**
 * One restore as it runs (bytes, rate, time left from the job's progress events) and how it ended: where the
 * result is, or what went wrong with the fix. Small restores end before the first progress event, so the
 * outcome is read on mount as well as when the job finishes.
 */
export function RestoreProgress({ jobId, onDismiss }: { jobId: string; onDismiss(): void }) {
  const outcome = useEngineQuery('getRestore', { jobId });
  const [progress, setProgress] = useState<Progress | null>(null);
  useEffect(
    () =>
      subscribe((event) => {
        if (event.type === 'job.progress' && event.jobId === jobId) setProgress(event);
      }),
    [jobId],
  );

  if (outcome.error && !outcome.data) return <ErrorNotice error={outcome.error} onRetry={outcome.reload} />;
  const o = outcome.data;
  if (!o || o.status === 'running') {
    const percent = progress && progress.bytesTotal > 0 ? Math.min(100, (progress.bytesDone / progress.bytesTotal) * 100) : 0;
    return (
      <Paper withBorder p="md" data-testid="restore-progress">
        <Stack gap="xs">
          <Text fw={500}>{o ? WHAT[o.kind] : 'Starting the restore'}…</Text>
          <Progress value={percent} animated aria-label="Restore progress" />
          <Text size="sm" c="dimmed">
            {progress
              ? `${progress.phase}: ${formatBytes(progress.bytesDone)} of ${formatBytes(progress.bytesTotal)} at ${formatRate(progress.bytesPerSecond)} · ${progress.etaSeconds === null ? 'working out the time left' : `about ${formatDuration(progress.etaSeconds)} left`}`
              : 'Opening the vault…'}
          </Text>
        </Stack>
      </Paper>
    );
  }
  if (o.status === 'failed' || o.status === 'cancelled') {
    const error: LifeboatError = o.error
      ? Failure.fromBody(o.error)
      : new Failure('CANCELLED', 'The restore was cancelled.', { fix: 'Nothing it wrote was kept. Start it again when you are ready.' });
    return (
      <Stack gap="xs" data-testid="restore-failed">
        <ErrorNotice error={error} title={o.status === 'cancelled' ? 'Restore cancelled' : 'The restore failed'} />
        <Button variant="subtle" size="xs" onClick={onDismiss} style={{ alignSelf: 'flex-start' }}>
          Dismiss
        </Button>
      </Stack>
    );
  }
  return (
    <Alert
      color="green"
      variant="light"
      icon={<IconCircleCheck />}
      title={o.kind === 'over-original' ? 'VM restored' : o.kind === 'new-vm' ? 'New VM restored' : 'Disk restored'}
      withCloseButton
      onClose={onDismiss}
      closeButtonLabel="Dismiss"
      data-testid="restore-done"
    >
      <Stack gap={4}>
        {o.kind === 'disk' && o.file && (
          <Text size="sm">
            The disk is in a new file: <code data-testid="restored-file">{o.file}</code>
          </Text>
        )}
        {o.kind === 'over-original' && (
          <Text size="sm">Its disks now hold the recovery point. It is still off: start it in the hypervisor when you are ready.</Text>
        )}
        {o.newVm && (
          <Group gap="xs">
            <Text size="sm">
              {o.newVm.name} is registered on {o.newVm.hostName}, powered off and with no network adapter. Connect it to a network in the
              hypervisor when you are ready to use it.
            </Text>
            {o.newVm.vmId && (
              <Anchor size="sm" component="button" onClick={() => navigate('vms', o.newVm!.vmId)}>
                Open {o.newVm.name}
              </Anchor>
            )}
          </Group>
        )}
      </Stack>
    </Alert>
  );
}
