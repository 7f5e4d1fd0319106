import { List, Paper, Stack, Text, TextInput, Title } from '@mantine/core';
import type { Vm } from '../../../core/contract/hosts';
import { intervalMinutesFor, type BandwidthWindow, type Consistency, type Retention } from '../../../core/contract/protection';
import type { VaultTarget } from '../../../core/contract/types';
import {
  bandwidthSentence,
  CONSISTENCY,
  minutesInWords,
  retentionSentence,
  rpoSentence,
  suggestPolicyName,
  targetWords,
  type FirstCopyEstimate,
  type SharedLimit,
} from '../../model/protection';

export interface ReviewStepProps {
  name: string;
  onName(name: string): void;
  nameProblem: string | undefined;
  chosen: Vm[];
  target: VaultTarget | null;
  rpoMinutes: number;
  retention: Retention;
  consistency: Consistency;
  bandwidth: BandwidthWindow[];
  estimate: FirstCopyEstimate;
  shared: SharedLimit | null;
}

/** Step 7: the policy in sentences, its name, and what the first copy will take. */
export function ReviewStep({
  name,
  onName,
  nameProblem,
  chosen,
  target,
  rpoMinutes,
  retention,
  consistency,
  bandwidth,
  estimate,
  shared,
}: ReviewStepProps) {
  return (
    <Stack gap="sm">
      <Title order={4}>Check and start</Title>
      <TextInput
        label="Name of this protection policy"
        value={name}
        placeholder={suggestPolicyName(chosen)}
        onChange={(e) => onName(e.currentTarget.value)}
        description="Shown on the dashboard and in reports."
        error={nameProblem}
      />
      <List spacing={4} size="sm">
        <List.Item>
          <b>{chosen.length === 1 ? chosen[0]!.name : `${chosen.length} VMs`}</b>
          {chosen.length > 1 && chosen.length <= 6 ? `: ${chosen.map((vm) => vm.name).join(', ')}` : ''}
        </List.Item>
        <List.Item>Copies go to {target ? `${target.name}: ${targetWords(target)}` : '—'}</List.Item>
        <List.Item>
          {rpoSentence(rpoMinutes)} — a copy every {minutesInWords(intervalMinutesFor(rpoMinutes))}
        </List.Item>
        <List.Item>{retentionSentence(retention)}</List.Item>
        <List.Item>{CONSISTENCY.find((c) => c.value === consistency)!.label.replace(' (recommended)', '')}</List.Item>
        <List.Item>{bandwidth.length === 0 ? 'No bandwidth limit' : bandwidth.map(bandwidthSentence).join('; ')}</List.Item>
      </List>
      <Paper withBorder p="md" data-testid="first-copy-estimate">
        <Text fw={600}>
          First copy: {estimate.sizeWords}, {estimate.timeWords} (estimate)
        </Text>
        <Text size="sm" c="dimmed">
          The size is the full size of the VMs&apos; disks: only the parts in use are read and empty blocks are skipped, so the real copy is
          usually smaller. The time assumes {estimate.basis}. Later copies only send what changed.
        </Text>
        {shared && (
          <Text size="sm" mt="xs" c="orange.9" data-testid="shared-limit">
            {shared.words}
          </Text>
        )}
      </Paper>
    </Stack>
  );
}
