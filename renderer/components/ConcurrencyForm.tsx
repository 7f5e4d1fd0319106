import { Button, Group, NumberInput, Stack, Text } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useState } from 'react';
import type { LifeboatError } from '../../core/contract/errors';
import type { ConcurrencyLimits, Settings } from '../../core/contract/types';
import { api } from '../api';

const FIELDS: { key: keyof ConcurrencyLimits; label: string; description: string; max: number }[] = [
  { key: 'total', label: 'In all', description: 'Copies and drills running at once.', max: 16 },
  { key: 'perHost', label: 'Per host', description: 'More at once slows the host’s own work.', max: 8 },
  { key: 'perTarget', label: 'Per vault', description: 'Copies to a vault share its speed limit.', max: 8 },
];

/** How many jobs run side by side; the rest wait their turn in Activity. */
export function ConcurrencyForm({ settings, onSaved }: { settings: Settings; onSaved(settings: Settings): void }) {
  const [limits, setLimits] = useState<ConcurrencyLimits>(settings.concurrency);
  const [error, setError] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  const unchanged = FIELDS.every(({ key }) => limits[key] === settings.concurrency[key]);

  const save = async (): Promise<void> => {
    setSaving(true);
    try {
      const saved = await api.updateSettings({ concurrency: limits });
      setError(null);
      onSaved(saved);
      notifications.show({ color: 'green', message: 'Saved. Waiting jobs start as soon as the new limits allow.' });
    } catch (failure) {
      setError((failure as LifeboatError).message);
    } finally {
      setSaving(false);
    }
  };

  return (
    <Stack gap="xs">
      <Group align="flex-start">
        {FIELDS.map(({ key, label, description, max }) => (
          <NumberInput
            key={key}
            label={label}
            description={description}
            min={1}
            max={max}
            clampBehavior="strict"
            allowDecimal={false}
            value={limits[key]}
            onChange={(value) => setLimits((current) => ({ ...current, [key]: typeof value === 'number' ? value : current[key] }))}
            w={260}
          />
        ))}
      </Group>
      {error && (
        <Text size="sm" c="red" role="alert">
          {error}
        </Text>
      )}
      <Group>
        <Button onClick={() => void save()} loading={saving} disabled={unchanged}>
          Save limits
        </Button>
      </Group>
    </Stack>
  );
}
