import { Checkbox, Paper, SimpleGrid, Stack, TagsInput, Text, Title } from '@mantine/core';
import { DEFAULT_CHECKS, type CheckChoice } from '../../model/drills';

/** Step 3: the checks each VM must pass, beyond starting. */
export function ChecksStep({
  vmIds,
  checks,
  vmName,
  onChange,
}: {
  vmIds: string[];
  checks: Record<string, CheckChoice>;
  vmName(id: string): string;
  onChange(checks: Record<string, CheckChoice>): void;
}) {
  return (
    <Stack gap="xs">
      <Title order={4}>How should Lifeboat check each VM works?</Title>
      <Text size="sm" c="dimmed">
        Every VM must start from its copy (boot check), and a screenshot of its console is kept as evidence. Add more checks where they make
        sense.
      </Text>
      {vmIds.map((vmId) => {
        const choice = checks[vmId] ?? DEFAULT_CHECKS;
        const set = (change: Partial<CheckChoice>): void => onChange({ ...checks, [vmId]: { ...choice, ...change } });
        return (
          <Paper key={vmId} withBorder p="sm" data-testid="plan-checks">
            <Text fw={600} mb={6}>
              {vmName(vmId)}
            </Text>
            <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="xs">
              <Checkbox label="It starts (boot check)" checked disabled />
              <Checkbox
                label="Its data in the vault reads back intact"
                checked={choice.vaultVerify}
                onChange={(e) => set({ vaultVerify: e.currentTarget.checked })}
              />
              <Checkbox
                label="Its guest tools answer (heartbeat)"
                checked={choice.heartbeat}
                onChange={(e) => set({ heartbeat: e.currentTarget.checked })}
              />
              <TagsInput
                label="These ports answer"
                placeholder="e.g. 443, then Enter"
                value={choice.ports.map(String)}
                onChange={(values) =>
                  set({ ports: [...new Set(values.map(Number).filter((p) => Number.isInteger(p) && p > 0 && p < 65536))] })
                }
                size="xs"
              />
            </SimpleGrid>
          </Paper>
        );
      })}
    </Stack>
  );
}
