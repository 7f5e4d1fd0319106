import { Alert, NumberInput, SegmentedControl, SimpleGrid, Stack, Title } from '@mantine/core';
import { IconInfoCircle } from '@tabler/icons-react';
import type { Retention } from '../../../core/contract/protection';
import { retentionBounds, type Problems } from '../../model/policy-problems';
import { presetOf, RETENTION_PRESETS, retentionReach, retentionSentence } from '../../model/protection';

const FIELDS: { field: keyof Retention; label: string }[] = [
  { field: 'keepLast', label: 'Newest copies' },
  { field: 'daily', label: 'Daily, for days' },
  { field: 'weekly', label: 'Weekly, for weeks' },
  { field: 'monthly', label: 'Monthly, for months' },
  { field: 'yearly', label: 'Yearly, for years' },
];

/** Step 4: retention, as a preset or five numbers. */
export function HowLongStep({
  retention,
  rpoMinutes,
  problems,
  onChange,
}: {
  retention: Retention;
  rpoMinutes: number;
  problems: Problems;
  onChange(retention: Retention): void;
}) {
  return (
    <Stack gap="xs">
      <Title order={4}>How long should copies be kept?</Title>
      <SegmentedControl
        aria-label="Retention"
        value={presetOf(retention)}
        onChange={(value) => {
          const preset = RETENTION_PRESETS.find((p) => p.id === value);
          if (preset) onChange(preset.retention);
          else onChange({ ...retention });
        }}
        data={[...RETENTION_PRESETS.map((p) => ({ value: p.id, label: p.label })), { value: 'custom', label: 'Custom' }]}
      />
      <SimpleGrid cols={{ base: 2, sm: 5 }}>
        {FIELDS.map(({ field, label }) => (
          <NumberInput
            key={field}
            label={label}
            {...retentionBounds(field)}
            clampBehavior="none"
            value={retention[field]}
            onChange={(v) => onChange({ ...retention, [field]: Number(v) || 0 })}
            error={problems[`retention.${field}`]}
          />
        ))}
      </SimpleGrid>
      <Alert variant="light" icon={<IconInfoCircle />}>
        {retentionSentence(retention)} You can go back about {retentionReach(retention, rpoMinutes)}. Unchanged data is stored once, so old
        copies cost little space.
      </Alert>
    </Stack>
  );
}
