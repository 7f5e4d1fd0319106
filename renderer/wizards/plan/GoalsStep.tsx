import { Alert, NumberInput, Select, SimpleGrid, Stack, TextInput, Title } from '@mantine/core';
import { IconInfoCircle } from '@tabler/icons-react';
import { SCHEDULES } from '../../model/drills';
import { GOAL_BOUNDS, type GOAL_FIELDS } from '../../model/plan-problems';
import { minutesInWords } from '../../model/protection';

/** What the last step of the plan wizard asks: goals, schedule, the failover site and networks, the name. */
export interface PlanGoals {
  rtoMinutes: number;
  rpoMinutes: number;
  /** A SCHEDULES value, or 'custom' for `customCron`. */
  schedule: string;
  customCron: string;
  name: string;
  recoveryHostId: string;
  /** Source network → the network at the recovery site. */
  mapping: Record<string, string>;
}

export interface GoalsStepProps {
  goals: PlanGoals;
  onChange(change: Partial<PlanGoals>): void;
  sites: { value: string; label: string }[];
  sourceNetworks: string[];
  fieldError(field: (typeof GOAL_FIELDS)[number]): string | undefined;
}

/** Step 4: what counts as a successful recovery, when to practise, and where a real failover goes. */
export function GoalsStep({ goals, onChange, sites, sourceNetworks, fieldError }: GoalsStepProps) {
  return (
    <Stack gap="sm">
      <Title order={4}>What counts as a successful recovery, and when to practise?</Title>
      <SimpleGrid cols={{ base: 1, sm: 2 }}>
        <NumberInput
          label="Everything must be running again within (minutes)"
          description={`Recovery time objective (RTO): ${minutesInWords(goals.rtoMinutes || 1)}`}
          {...GOAL_BOUNDS.rto}
          value={goals.rtoMinutes}
          onChange={(v) => onChange({ rtoMinutes: Number(v) || 1 })}
          error={fieldError('rtoTargetMinutes')}
        />
        <NumberInput
          label="Work lost may be at most (minutes)"
          description={`Recovery point objective (RPO): ${minutesInWords(goals.rpoMinutes || 1)}`}
          {...GOAL_BOUNDS.rpo}
          value={goals.rpoMinutes}
          onChange={(v) => onChange({ rpoMinutes: Number(v) || 1 })}
          error={fieldError('rpoTargetMinutes')}
        />
      </SimpleGrid>
      <Select
        label="Run a drill automatically"
        data={[...SCHEDULES.map((s) => ({ value: s.value, label: s.label })), { value: 'custom', label: 'Custom (cron expression)' }]}
        value={goals.schedule}
        onChange={(value) => onChange({ schedule: value ?? 'none' })}
        allowDeselect={false}
      />
      {goals.schedule === 'custom' && (
        <TextInput
          label="Cron expression"
          placeholder="0 6 1 * *"
          value={goals.customCron}
          onChange={(e) => onChange({ customCron: e.currentTarget.value })}
          error={fieldError('schedule')}
        />
      )}
      <Title order={5} mt="xs">
        For a real failover
      </Title>
      <Select
        label="Start the VMs at"
        data={sites}
        value={goals.recoveryHostId}
        onChange={(value) => onChange({ recoveryHostId: value ?? '' })}
        allowDeselect={false}
      />
      {sourceNetworks.length > 0 && (
        <SimpleGrid cols={{ base: 1, sm: 2 }}>
          {sourceNetworks.map((network) => (
            <TextInput
              key={network}
              label={`Connect “${network}” to`}
              description="The network at the recovery site (drills always stay isolated)."
              value={goals.mapping[network] ?? network}
              onChange={(event) => onChange({ mapping: { ...goals.mapping, [network]: event.currentTarget.value } })}
            />
          ))}
        </SimpleGrid>
      )}
      <TextInput
        label="Name of this plan"
        placeholder="Office servers"
        value={goals.name}
        onChange={(e) => onChange({ name: e.currentTarget.value })}
        error={fieldError('name')}
      />
      <Alert variant="light" icon={<IconInfoCircle />}>
        Auditors (ISO 27001 A.5.30, SOC 2) usually expect a recovery test at least once a year; a monthly drill keeps the proof fresh and
        catches problems early.
      </Alert>
    </Stack>
  );
}
