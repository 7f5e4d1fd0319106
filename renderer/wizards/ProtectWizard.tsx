import {
  ActionIcon,
  Alert,
  Box,
  Button,
  Chip,
  Group,
  List,
  Modal,
  NumberInput,
  Select,
  Paper,
  Radio,
  SegmentedControl,
  SimpleGrid,
  Stack,
  Stepper,
  Text,
  TextInput,
  ThemeIcon,
  Title,
} from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { IconDatabase, IconInfoCircle, IconPlus, IconTrash } from '@tabler/icons-react';
import { useMemo, useState } from 'react';
import type { LifeboatError } from '../../core/contract/errors';
import type { Vm } from '../../core/contract/hosts';
import type { BandwidthWindow, Consistency, Job, Policy, Retention } from '../../core/contract/protection';
import type { Settings, VaultTarget } from '../../core/contract/types';
import { api } from '../api';
import { ErrorNotice } from '../components/ErrorNotice';
import { VmPicker } from '../components/VmPicker';
import { useEngineQuery } from '../hooks';
import {
  bandwidthSentence,
  CONSISTENCY,
  copyIntervalMinutes,
  estimateFirstCopy,
  estimateRate,
  sharedLimit,
  minutesInWords,
  presetOf,
  RETENTION_PRESETS,
  retentionReach,
  retentionSentence,
  RPO_CHOICES,
  rpoSentence,
  suggestPolicyName,
  WEEKDAYS,
} from '../model/protection';

const STEPS = ['VMs', 'Where', 'How often', 'How long', 'Consistency', 'Bandwidth', 'Review'] as const;
/** The parts of a policy that the Protection page lets the user change one at a time. */
export type PolicySection = 'vms' | 'where' | 'rpo' | 'retention' | 'consistency' | 'bandwidth';
const STEP_OF_SECTION: Record<PolicySection, number> = { vms: 0, where: 1, rpo: 2, retention: 3, consistency: 4, bandwidth: 5 };
const STEP_OF_FIELD: Record<string, number> = { vmIds: 0, targetId: 1, rpoMinutes: 2, schedule: 2, retention: 3, consistency: 4, bandwidth: 5, name: 6 };
const MB = 1_000_000;

export interface ProtectWizardProps {
  opened: boolean;
  onClose(): void;
  settings: Settings;
  /** Edit this policy instead of creating one. */
  policy?: Policy | null;
  /** VMs ticked when the wizard opens (e.g. from the VM page). */
  preselected?: string[];
  /** Editing: the section to open at (its step); every other step is a click away and Save works from any. */
  section?: PolicySection;
  onDone(policy: Policy, started: Job[]): void;
}

export function ProtectWizard(props: ProtectWizardProps) {
  // A fresh wizard every time it opens: no half-filled answers from last time.
  return (
    <Modal opened={props.opened} onClose={props.onClose} title={props.policy ? `Change “${props.policy.name}”` : 'Protect VMs'} size="70rem" closeOnClickOutside={false}>
      {props.opened && <ProtectSteps {...props} />}
    </Modal>
  );
}

function ProtectSteps({ settings, policy, preselected, section, onDone }: ProtectWizardProps) {
  const vms = useEngineQuery('listVms');
  const hosts = useEngineQuery('listHosts');
  const jobs = useEngineQuery('listJobs', { status: 'succeeded', limit: 50 });
  const targets = useEngineQuery('listTargets');
  const policies = useEngineQuery('listPolicies');
  const [targetId, setTargetId] = useState<string | null>(policy?.targetId ?? settings.vault?.id ?? null);
  const [step, setStep] = useState(section ? STEP_OF_SECTION[section] : 0);
  const [vmIds, setVmIds] = useState<string[]>(policy?.vmIds ?? preselected ?? []);
  const [rpoMinutes, setRpoMinutes] = useState(policy?.rpoMinutes ?? 60);
  const [retention, setRetention] = useState<Retention>(policy?.retention ?? RETENTION_PRESETS[0]!.retention);
  const [consistency, setConsistency] = useState<Consistency>(policy?.consistency ?? 'prefer');
  const [bandwidth, setBandwidth] = useState<BandwidthWindow[]>(policy?.bandwidth ?? []);
  const [name, setName] = useState(policy?.name ?? '');
  const [problem, setProblem] = useState<string | null>(null);
  const [failure, setFailure] = useState<LifeboatError | null>(null);
  const [saving, setSaving] = useState(false);

  const chosen = useMemo(() => (vms.data ?? []).filter((vm) => vmIds.includes(vm.id)), [vms.data, vmIds]);
  const target = (targets.data ?? []).find((t) => t.id === targetId) ?? (settings.vault?.id === targetId ? settings.vault : null);
  const rate = estimateRate(jobs.data ?? [], target?.location ?? null, bandwidth);
  const estimate = estimateFirstCopy(chosen, rate);
  const shared = sharedLimit(estimate, rate, (policies.data ?? []).filter((p) => p.targetId === targetId && p.id !== policy?.id));
  const policyName = name.trim() || suggestPolicyName(chosen);

  const check = (current: number): string | null => {
    if (current === 0 && vmIds.length === 0) return 'Tick at least one VM to protect.';
    if (current === 1 && !targetId) return 'Choose where the copies go.';
    if (current === 2 && !(rpoMinutes >= 1 && rpoMinutes <= 7 * 24 * 60)) return 'Choose between 1 minute and 7 days.';
    if (current === 3 && retention.keepLast < 1) return 'Keep at least the newest copy.';
    if (current === 5 && bandwidth.some((w) => w.days.length === 0)) return 'Every bandwidth limit needs at least one day.';
    if (current === 5 && bandwidth.some((w) => w.from === w.to)) return 'A bandwidth limit starts and ends at the same time.';
    return null;
  };

  const next = (): void => {
    const found = check(step);
    setProblem(found);
    if (!found) setStep((s) => Math.min(s + 1, STEPS.length - 1));
  };

  /** Editing saves from any step: every step is checked first, and the first with a problem is shown. */
  const saveChecked = (): void => {
    for (let current = 0; current < STEPS.length; current++) {
      const found = check(current);
      if (found) {
        setStep(current);
        setProblem(found);
        return;
      }
    }
    setProblem(null);
    void save();
  };

  const goTo = (target: number): void => {
    // Creating walks forward one checked step at a time; editing jumps to any section once this one is fine.
    if (target < step) return setStep(target);
    if (!policy) return;
    const found = check(step);
    setProblem(found);
    if (!found) setStep(target);
  };

  const save = async (): Promise<void> => {
    setSaving(true);
    setFailure(null);
    const fields = { name: policyName, vmIds, targetId: targetId!, rpoMinutes, retention, consistency, bandwidth };
    try {
      const saved = policy ? await api.updatePolicy({ id: policy.id, ...fields }) : await api.createPolicy(fields);
      let started: Job[] = [];
      if (!policy) {
        // The policy stands even if the first copy cannot start right now; the scheduler retries it.
        started = await api.runNow({ policyId: saved.id }).catch((error: LifeboatError) => {
          notifications.show({ color: 'yellow', title: 'Protected, but the first copy did not start', message: `${error.message} ${error.fix ?? ''}` });
          return [];
        });
      }
      onDone(saved, started);
    } catch (error) {
      const failed = error as LifeboatError;
      setFailure(failed);
      const field = failed.field?.split('.')[0];
      if (field && STEP_OF_FIELD[field] !== undefined) setStep(STEP_OF_FIELD[field]);
    } finally {
      setSaving(false);
    }
  };

  const protectedElsewhere = (vm: Vm): string | null => (vm.protection && vm.protection.policyId !== policy?.id ? `Already protected by “${vm.protection.policyName}”` : null);

  return (
    <Stack>
      <Stepper active={step} onStepClick={goTo} size="xs" allowNextStepsSelect={policy != null}>
        {STEPS.map((label) => (
          <Stepper.Step key={label} label={label} />
        ))}
      </Stepper>

      {step === 0 && (
        <Stack gap="xs">
          <Title order={4}>Which VMs should be protected?</Title>
          {vms.error && <ErrorNotice error={vms.error} onRetry={vms.reload} />}
          <VmPicker vms={vms.data ?? []} hosts={hosts.data ?? []} selected={vmIds} onChange={setVmIds} unavailable={protectedElsewhere} />
        </Stack>
      )}

      {step === 1 && (
        <Stack gap="xs">
          <Title order={4}>Where should the copies go?</Title>
          <Radio.Group value={targetId} onChange={setTargetId}>
            <Stack gap="xs">
              {(targets.data ?? (settings.vault ? [settings.vault] : [])).map((each) => (
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
            Copies are encrypted with your vault passphrase before they leave this computer, and identical blocks are stored once. More targets (another disk, Azure, S3) can be added in Settings.
          </Text>
        </Stack>
      )}

      {step === 2 && (
        <Stack gap="xs">
          <Title order={4}>If a VM is lost, how much recent work could you afford to redo?</Title>
          <Radio.Group value={RPO_CHOICES.some((c) => c.minutes === rpoMinutes) ? String(rpoMinutes) : 'custom'} onChange={(value) => value !== 'custom' && setRpoMinutes(Number(value))}>
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
            min={1}
            max={7 * 24 * 60}
            clampBehavior="none"
            allowDecimal={false}
            onChange={(value) => setRpoMinutes(Number(value) || 0)}
            error={rpoMinutes >= 1 && rpoMinutes <= 7 * 24 * 60 ? undefined : 'Choose between 1 minute and 7 days (10080 minutes).'}
            w={260}
          />
          {rpoMinutes >= 1 && rpoMinutes <= 7 * 24 * 60 && (
          <Alert variant="light" icon={<IconInfoCircle />} data-testid="rpo-explained">
            {rpoSentence(rpoMinutes)}: Lifeboat starts a copy every {minutesInWords(copyIntervalMinutes(rpoMinutes))}, and warns you if the newest copy gets older than {minutesInWords(rpoMinutes)} (your recovery point objective, RPO).
          </Alert>
          )}
        </Stack>
      )}

      {step === 3 && (
        <Stack gap="xs">
          <Title order={4}>How long should copies be kept?</Title>
          <SegmentedControl
            aria-label="Retention"
            value={presetOf(retention)}
            onChange={(value) => {
              const preset = RETENTION_PRESETS.find((p) => p.id === value);
              if (preset) setRetention(preset.retention);
              else setRetention({ ...retention });
            }}
            data={[...RETENTION_PRESETS.map((p) => ({ value: p.id, label: p.label })), { value: 'custom', label: 'Custom' }]}
          />
          <SimpleGrid cols={{ base: 2, sm: 5 }}>
            <NumberInput label="Newest copies" min={1} max={10000} clampBehavior="none" value={retention.keepLast} onChange={(v) => setRetention({ ...retention, keepLast: Number(v) || 0 })} />
            <NumberInput label="Daily, for days" min={0} max={3650} clampBehavior="none" value={retention.daily} onChange={(v) => setRetention({ ...retention, daily: Number(v) || 0 })} />
            <NumberInput label="Weekly, for weeks" min={0} max={520} clampBehavior="none" value={retention.weekly} onChange={(v) => setRetention({ ...retention, weekly: Number(v) || 0 })} />
            <NumberInput label="Monthly, for months" min={0} max={240} clampBehavior="none" value={retention.monthly} onChange={(v) => setRetention({ ...retention, monthly: Number(v) || 0 })} />
            <NumberInput label="Yearly, for years" min={0} max={100} clampBehavior="none" value={retention.yearly} onChange={(v) => setRetention({ ...retention, yearly: Number(v) || 0 })} />
          </SimpleGrid>
          <Alert variant="light" icon={<IconInfoCircle />}>
            {retentionSentence(retention)} You can go back about {retentionReach(retention, rpoMinutes)}. Unchanged data is stored once, so old copies cost little space.
          </Alert>
        </Stack>
      )}

      {step === 4 && (
        <Stack gap="xs">
          <Title order={4}>How careful should each copy be with running applications?</Title>
          <Radio.Group value={consistency} onChange={(value) => setConsistency(value as Consistency)}>
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
      )}

      {step === 5 && <BandwidthStep windows={bandwidth} onChange={setBandwidth} />}

      {step === 6 && (
        <Stack gap="sm">
          <Title order={4}>Check and start</Title>
          <TextInput label="Name of this protection policy" value={name} placeholder={suggestPolicyName(chosen)} onChange={(e) => setName(e.currentTarget.value)} description="Shown on the dashboard and in reports." />
          <List spacing={4} size="sm">
            <List.Item>
              <b>{chosen.length === 1 ? chosen[0]!.name : `${chosen.length} VMs`}</b>
              {chosen.length > 1 && chosen.length <= 6 ? `: ${chosen.map((vm) => vm.name).join(', ')}` : ''}
            </List.Item>
            <List.Item>Copies go to {target ? `${target.name}: ${targetWords(target)}` : '—'}</List.Item>
            <List.Item>
              {rpoSentence(rpoMinutes)} — a copy every {minutesInWords(copyIntervalMinutes(rpoMinutes))}
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
              The size is the full size of the VMs&apos; disks: only the parts in use are read and empty blocks are skipped, so the real copy is usually smaller. The time assumes {estimate.basis}. Later copies only send what changed.
            </Text>
            {shared && (
              <Text size="sm" mt="xs" c="orange.9" data-testid="shared-limit">
                {shared.words}
              </Text>
            )}
          </Paper>
        </Stack>
      )}

      {problem && (
        <Text c="red" size="sm" role="alert">
          {problem}
        </Text>
      )}
      {failure && <ErrorNotice error={failure} title={policy ? 'The changes were not saved' : 'The VMs were not protected'} />}

      <Group justify="space-between">
        <Button variant="default" onClick={() => setStep((s) => Math.max(0, s - 1))} disabled={step === 0 || saving}>
          Back
        </Button>
        {policy ? (
          <Group gap="xs">
            {step < STEPS.length - 1 && (
              <Button variant="default" onClick={next}>
                Next
              </Button>
            )}
            <Button onClick={saveChecked} loading={saving}>
              Save changes
            </Button>
          </Group>
        ) : step < STEPS.length - 1 ? (
          <Button onClick={next}>Next</Button>
        ) : (
          <Button onClick={() => void save()} loading={saving}>
            Protect and copy now
          </Button>
        )}
      </Group>
    </Stack>
  );
}

/** 24-hour times every half hour: a browser's time field follows the OS locale ("08:00 AM") and is cut off. */
const TIMES_OF_DAY = Array.from({ length: 48 }, (_, i) => `${String(Math.floor(i / 2)).padStart(2, '0')}:${i % 2 ? '30' : '00'}`);
/** The half hours, and a policy's own time when it is between them (set from the CLI or the API). */
const timesWith = (time: string): string[] => (TIMES_OF_DAY.includes(time) ? TIMES_OF_DAY : [...TIMES_OF_DAY, time].sort());

export function targetWords(target: VaultTarget): string {
  const location = target.location;
  if (location.kind === 'folder') return `the folder ${location.path}`;
  return `${location.kind === 'azure' ? 'Azure Blob Storage' : 'S3-compatible storage'} ${location.path}`;
}

function BandwidthStep({ windows, onChange }: { windows: BandwidthWindow[]; onChange(windows: BandwidthWindow[]): void }) {
  const update = (index: number, change: Partial<BandwidthWindow>): void => onChange(windows.map((w, i) => (i === index ? { ...w, ...change } : w)));
  return (
    <Stack gap="xs">
      <Title order={4}>Should copies hold back during working hours?</Title>
      <Text size="sm" c="dimmed">
        Without a limit, copies use all the bandwidth they can. A limit keeps the network and the vault responsive for people at work; outside its hours copies run at full speed.
      </Text>
      <SegmentedControl
        aria-label="Bandwidth"
        value={windows.length === 0 ? 'none' : 'limit'}
        onChange={(value) => onChange(value === 'none' ? [] : [{ days: [1, 2, 3, 4, 5], from: '08:00', to: '18:00', bytesPerSecond: 20 * MB }])}
        data={[
          { value: 'none', label: 'No limit' },
          { value: 'limit', label: 'Limit during working hours' },
        ]}
      />
      {windows.map((window, index) => (
        <Paper key={index} withBorder p="sm">
          <Group align="flex-end" wrap="wrap">
            <Box>
              <Text size="sm" fw={500} mb={4}>
                Days
              </Text>
              <Chip.Group multiple value={window.days.map(String)} onChange={(days) => update(index, { days: days.map(Number).sort((a, b) => a - b) })}>
                <Group gap={4}>
                  {WEEKDAYS.map((day, d) => (
                    <Chip key={day} value={String(d)} size="xs">
                      {day}
                    </Chip>
                  ))}
                </Group>
              </Chip.Group>
            </Box>
            <Select label="From" data={timesWith(window.from)} value={window.from} onChange={(value) => value && update(index, { from: value })} searchable allowDeselect={false} w={96} />
            <Select label="To" data={timesWith(window.to)} value={window.to} onChange={(value) => value && update(index, { to: value })} searchable allowDeselect={false} w={96} />
            <NumberInput label="At most (MB/s)" min={0.1} step={1} decimalScale={1} value={window.bytesPerSecond / MB} onChange={(v) => update(index, { bytesPerSecond: Math.max(64 * 1024, Math.round((Number(v) || 0) * MB)) })} w={140} />
            <ActionIcon variant="subtle" color="red" size="lg" aria-label="Remove this limit" onClick={() => onChange(windows.filter((_, i) => i !== index))}>
              <IconTrash size={18} />
            </ActionIcon>
          </Group>
          <Text size="xs" c="dimmed" mt={6}>
            {bandwidthSentence(window)}
          </Text>
        </Paper>
      ))}
      {windows.length > 0 && (
        <Group>
          <Button variant="subtle" leftSection={<IconPlus size={16} />} onClick={() => onChange([...windows, { days: [0, 6], from: '00:00', to: '23:59', bytesPerSecond: 50 * MB }])}>
            Add another limit
          </Button>
        </Group>
      )}
    </Stack>
  );
}
