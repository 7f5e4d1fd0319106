import { ActionIcon, Box, Button, Chip, Group, NumberInput, Paper, SegmentedControl, Select, Stack, Text, Title } from '@mantine/core';
import { IconPlus, IconTrash } from '@tabler/icons-react';
import type { BandwidthWindow } from '../../../core/contract/protection';
import type { Problems } from '../../model/policy-problems';
import { bandwidthSentence, WEEKDAYS } from '../../model/protection';

const MB = 1_000_000;

/** 24-hour times every half hour: a browser's time field follows the OS locale ("08:00 AM") and is cut off. */
const TIMES_OF_DAY = Array.from({ length: 48 }, (_, i) => `${String(Math.floor(i / 2)).padStart(2, '0')}:${i % 2 ? '30' : '00'}`);
/** The half hours, and a policy's own time when it is between them (set from the CLI or the API). */
const timesWith = (time: string): string[] => (TIMES_OF_DAY.includes(time) ? TIMES_OF_DAY : [...TIMES_OF_DAY, time].sort());

/** Step 6: bandwidth limits, each on some weekdays between two times. */
export function BandwidthStep({
  windows,
  problems,
  onChange,
}: {
  windows: BandwidthWindow[];
  problems: Problems;
  onChange(windows: BandwidthWindow[]): void;
}) {
  const update = (index: number, change: Partial<BandwidthWindow>): void =>
    onChange(windows.map((w, i) => (i === index ? { ...w, ...change } : w)));
  return (
    <Stack gap="xs">
      <Title order={4}>Should copies hold back during working hours?</Title>
      <Text size="sm" c="dimmed">
        Without a limit, copies use all the bandwidth they can. A limit keeps the network and the vault responsive for people at work;
        outside its hours copies run at full speed.
      </Text>
      <SegmentedControl
        aria-label="Bandwidth"
        value={windows.length === 0 ? 'none' : 'limit'}
        onChange={(value) =>
          onChange(value === 'none' ? [] : [{ days: [1, 2, 3, 4, 5], from: '08:00', to: '18:00', bytesPerSecond: 20 * MB }])
        }
        data={[
          { value: 'none', label: 'No limit' },
          { value: 'limit', label: 'Limit during working hours' },
        ]}
      />
      {windows.map((window, index) => (
        <BandwidthWindowCard
          key={index}
          window={window}
          problem={(field) => problems[`bandwidth.${index}.${field}`]}
          onChange={(change) => update(index, change)}
          onRemove={() => onChange(windows.filter((_, i) => i !== index))}
        />
      ))}
      {windows.length > 0 && (
        <Group>
          <Button
            variant="subtle"
            leftSection={<IconPlus size={16} />}
            onClick={() => onChange([...windows, { days: [0, 6], from: '00:00', to: '23:59', bytesPerSecond: 50 * MB }])}
          >
            Add another limit
          </Button>
        </Group>
      )}
    </Stack>
  );
}

function BandwidthWindowCard({
  window,
  problem,
  onChange,
  onRemove,
}: {
  window: BandwidthWindow;
  problem(field: keyof BandwidthWindow): string | undefined;
  onChange(change: Partial<BandwidthWindow>): void;
  onRemove(): void;
}) {
  return (
    <Paper withBorder p="sm">
      <Group align="flex-end" wrap="wrap">
        <Box>
          <Text size="sm" fw={500} mb={4}>
            Days
          </Text>
          <Chip.Group
            multiple
            value={window.days.map(String)}
            onChange={(days) => onChange({ days: days.map(Number).sort((a, b) => a - b) })}
          >
            <Group gap={4}>
              {WEEKDAYS.map((day, d) => (
                <Chip key={day} value={String(d)} size="xs">
                  {day}
                </Chip>
              ))}
            </Group>
          </Chip.Group>
          {problem('days') && (
            <Text size="xs" c="red" mt={4}>
              {problem('days')}
            </Text>
          )}
        </Box>
        <Select
          label="From"
          data={timesWith(window.from)}
          value={window.from}
          onChange={(value) => value && onChange({ from: value })}
          error={problem('from')}
          searchable
          allowDeselect={false}
          w={96}
        />
        <Select
          label="To"
          data={timesWith(window.to)}
          value={window.to}
          onChange={(value) => value && onChange({ to: value })}
          error={problem('to')}
          searchable
          allowDeselect={false}
          w={96}
        />
        <NumberInput
          label="At most (MB/s)"
          min={0.1}
          step={1}
          decimalScale={1}
          value={window.bytesPerSecond / MB}
          onChange={(v) => onChange({ bytesPerSecond: Math.max(64 * 1024, Math.round((Number(v) || 0) * MB)) })}
          error={problem('bytesPerSecond')}
          w={140}
        />
        <ActionIcon variant="subtle" color="red" size="lg" aria-label="Remove this limit" onClick={onRemove}>
          <IconTrash size={18} />
        </ActionIcon>
      </Group>
      <Text size="xs" c="dimmed" mt={6}>
        {bandwidthSentence(window)}
      </Text>
    </Paper>
  );
}
