import { Group, Progress, Text } from '@mantine/core';
import { passphraseStrength } from '../../core/contract/passphrase';

const COLORS = ['red', 'red', 'yellow', 'teal', 'green'] as const;

/** Live strength of a new passphrase, judged by the same rule the engine applies on save. */
export function PassphraseMeter({ value }: { value: string }) {
  const strength = passphraseStrength(value);
  return (
    <div aria-live="polite">
      <Progress
        value={value.length === 0 ? 0 : Math.max(10, strength.score * 25)}
        color={COLORS[strength.score]}
        size="sm"
        aria-label="Passphrase strength"
        transitionDuration={150}
      />
      <Group justify="space-between" mt={4}>
        <Text size="xs" fw={600} c={COLORS[strength.score]} data-testid="passphrase-strength">
          {value.length === 0 ? 'Strength' : strength.label}
        </Text>
        {value.length > 0 && strength.hint && (
          <Text size="xs" c="dimmed">
            {strength.hint}
          </Text>
        )}
      </Group>
    </div>
  );
}
