import { Group, Radio, Stack, Text, ThemeIcon, Title } from '@mantine/core';
import { IconDatabase } from '@tabler/icons-react';
import type { Settings, VaultTarget } from '../../../core/contract/types';
import { targetWords } from '../../model/protection';

/** Step 2: the vault the copies go to; before the target list loads, the first-run vault stands in. */
export function WhereStep({
  targets,
  settings,
  targetId,
  onChange,
}: {
  targets: VaultTarget[] | null | undefined;
  settings: Settings;
  targetId: string | null;
  onChange(targetId: string): void;
}) {
  return (
    <Stack gap="xs">
      <Title order={4}>Where should the copies go?</Title>
      <Radio.Group value={targetId} onChange={onChange}>
        <Stack gap="xs">
          {(targets ?? (settings.vault ? [settings.vault] : [])).map((each) => (
            <Radio.Card key={each.id} value={each.id} p="sm" radius="md">
              <Group wrap="nowrap">
                <Radio.Indicator />
                <ThemeIcon size="lg" variant="light" radius="xl">
                  <IconDatabase size={18} />
                </ThemeIcon>
                <div>
                  <Text fw={600}>{each.name}</Text>
                  <Text size="sm" c="dimmed" data-testid={each.id === settings.vault?.id ? 'wizard-vault' : undefined}>
                    {targetWords(each)}
                  </Text>
                </div>
              </Group>
            </Radio.Card>
          ))}
        </Stack>
      </Radio.Group>
      <Text size="sm" c="dimmed">
        Copies are encrypted with your vault passphrase before they leave this computer, and identical blocks are stored once. More targets
        (another disk, Azure, S3) can be added in Settings.
      </Text>
    </Stack>
  );
}
