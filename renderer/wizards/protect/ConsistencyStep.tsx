import { Group, Radio, Stack, Text, Title } from '@mantine/core';
import type { Consistency } from '../../../core/contract/protection';
import { CONSISTENCY } from '../../model/protection';

/** Step 5: what a copy does about running applications. */
export function ConsistencyStep({ consistency, onChange }: { consistency: Consistency; onChange(consistency: Consistency): void }) {
  return (
    <Stack gap="xs">
      <Title order={4}>How careful should each copy be with running applications?</Title>
      <Radio.Group value={consistency} onChange={(value) => onChange(value as Consistency)}>
        <Stack gap="xs">
          {CONSISTENCY.map((option) => (
            <Radio.Card key={option.value} value={option.value} p="sm" radius="md">
              <Group wrap="nowrap" align="flex-start">
                <Radio.Indicator />
                <div>
                  <Text fw={600}>{option.label}</Text>
                  <Text size="sm" c="dimmed">
                    {option.description}
                  </Text>
                </div>
              </Group>
            </Radio.Card>
          ))}
        </Stack>
      </Radio.Group>
    </Stack>
  );
}
