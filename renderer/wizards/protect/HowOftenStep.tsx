import { Alert, Group, NumberInput, Radio, SimpleGrid, Stack, Text, Title } from '@mantine/core';
import { IconInfoCircle } from '@tabler/icons-react';
import { intervalMinutesFor } from '../../../core/contract/protection';
import { RPO_BOUNDS, rpoAccepted } from '../../model/policy-problems';
import { minutesInWords, RPO_CHOICES, rpoSentence } from '../../model/protection';

/** Step 3: the RPO, as a choice of plain sentences or a number of minutes. */
export function HowOftenStep({ rpoMinutes, onChange }: { rpoMinutes: number; onChange(minutes: number): void }) {
  const accepted = rpoAccepted(rpoMinutes);
  return (
    <Stack gap="xs">
      <Title order={4}>If a VM is lost, how much recent work could you afford to redo?</Title>
      <Radio.Group
        value={RPO_CHOICES.some((c) => c.minutes === rpoMinutes) ? String(rpoMinutes) : 'custom'}
        onChange={(value) => value !== 'custom' && onChange(Number(value))}
      >
        <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="xs">
          {RPO_CHOICES.map((choice) => (
            <Radio.Card key={choice.minutes} value={String(choice.minutes)} p="sm" radius="md">
              <Group wrap="nowrap" align="flex-start">
                <Radio.Indicator />
                <div>
                  <Text fw={600}>{rpoSentence(choice.minutes)}</Text>
                  <Text size="sm" c="dimmed">
                    Suits {choice.hint}
                  </Text>
                </div>
              </Group>
            </Radio.Card>
          ))}
        </SimpleGrid>
      </Radio.Group>
      <NumberInput
        label="Or another number of minutes"
        value={rpoMinutes}
        min={RPO_BOUNDS.min}
        max={RPO_BOUNDS.max}
        clampBehavior="none"
        allowDecimal={false}
        onChange={(value) => onChange(Number(value) || 0)}
        // While typing, the range in the field's own unit; the contract's message comes with Next or Save.
        error={accepted ? undefined : `Choose between 1 minute and 7 days (${RPO_BOUNDS.max} minutes).`}
        w={260}
      />
      {accepted && (
        <Alert variant="light" icon={<IconInfoCircle />} data-testid="rpo-explained">
          {rpoSentence(rpoMinutes)}: Lifeboat starts a copy every {minutesInWords(intervalMinutesFor(rpoMinutes))}, and warns you if the
          newest copy gets older than {minutesInWords(rpoMinutes)} (your recovery point objective, RPO).
        </Alert>
      )}
    </Stack>
  );
}
