import { Button, Group, Paper, SegmentedControl, Switch, Text, TextInput, Title } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useState } from 'react';
import type { LifeboatError } from '../../core/contract/errors';
import type { ReportFrequency, ReportSchedule } from '../../core/contract/reports';
import { api } from '../api';

/** Export a workbook automatically after every month or quarter, into a folder the auditor can reach. */
export function ReportScheduleCard({ schedule, onSaved }: { schedule: ReportSchedule; onSaved(schedule: ReportSchedule): void }) {
  const [enabled, setEnabled] = useState(schedule.enabled);
  const [frequency, setFrequency] = useState<ReportFrequency>(schedule.frequency);
  const [folder, setFolder] = useState(schedule.folder ?? '');
  const [error, setError] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  const changed = enabled !== schedule.enabled || frequency !== schedule.frequency || folder !== (schedule.folder ?? '');

  const save = async (): Promise<void> => {
    setSaving(true);
    try {
      const saved = await api.setReportSchedule({ enabled, frequency, folder: folder.trim() === '' ? null : folder.trim() });
      setError(null);
      onSaved(saved);
      notifications.show({
        color: 'green',
        message: saved.enabled
          ? `Reports will be written to ${saved.folder} after each ${saved.frequency === 'monthly' ? 'month' : 'quarter'}.`
          : 'Scheduled reports are off.',
      });
    } catch (failure) {
      setError((failure as LifeboatError).message.replace(/^\w+: /, ''));
    } finally {
      setSaving(false);
    }
  };

  return (
    <Paper withBorder p="lg" radius="md">
      <Title order={4} mb={4}>
        Scheduled export
      </Title>
      <Text size="sm" c="dimmed" mb="md">
        Lifeboat writes the workbook for the month or quarter that just ended, on the first day after it, while it is running.
      </Text>
      <Group align="flex-end" gap="md">
        <Switch label="Export automatically" checked={enabled} onChange={(e) => setEnabled(e.currentTarget.checked)} mb={8} />
        <SegmentedControl
          value={frequency}
          onChange={(value) => setFrequency(value as ReportFrequency)}
          data={[
            { value: 'monthly', label: 'Monthly' },
            { value: 'quarterly', label: 'Quarterly' },
          ]}
          disabled={!enabled}
        />
        <TextInput
          label="Folder"
          placeholder="D:\Audit\Lifeboat"
          value={folder}
          onChange={(e) => setFolder(e.currentTarget.value)}
          error={error}
          w={340}
          disabled={!enabled}
        />
        <Button onClick={() => void save()} loading={saving} disabled={!changed}>
          Save schedule
        </Button>
      </Group>
      <Text size="sm" mt="sm" data-testid="report-schedule-state">
        {schedule.next
          ? schedule.next.dueNow
            ? `Next: ${schedule.next.from} to ${schedule.next.to}, due now; it appears on Activity while it is written.`
            : `Next: ${schedule.next.from} to ${schedule.next.to}, written from ${new Date(schedule.next.due).toLocaleString()}.`
          : 'Not scheduled.'}
        {schedule.last ? ` Last written: ${schedule.last.file}.` : ''}
      </Text>
    </Paper>
  );
}
