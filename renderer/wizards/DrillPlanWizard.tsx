import { ActionIcon, Alert, Badge, Button, Checkbox, Group, Modal, NumberInput, Paper, Select, SimpleGrid, Stack, Stepper, TagsInput, Text, TextInput, Title } from '@mantine/core';
import { IconArrowDown, IconArrowUp, IconGripVertical, IconInfoCircle } from '@tabler/icons-react';
import { useMemo, useState, type DragEvent } from 'react';
import type { GroupGate, RecoveryPlan } from '../../core/contract/drills';
import type { LifeboatError } from '../../core/contract/errors';
import { api } from '../api';
import { ErrorNotice } from '../components/ErrorNotice';
import { VmPicker } from '../components/VmPicker';
import { useEngineQuery } from '../hooks';
import { choiceOf, DEFAULT_CHECKS, moveVm, SCHEDULES, syncGroups, toPlanGroups, type CheckChoice, type DraftGroup } from '../model/drills';
import { minutesInWords } from '../model/protection';

const STEPS = ['VMs', 'Start order', 'Checks', 'Goals and schedule'] as const;
const STEP_OF_FIELD: Record<string, number> = { groups: 1, name: 3, schedule: 3, rtoTargetMinutes: 3, rpoTargetMinutes: 3 };

export function DrillPlanWizard({ opened, onClose, plan, onSaved }: { opened: boolean; onClose(): void; plan?: RecoveryPlan | null; onSaved(plan: RecoveryPlan): void }) {
  return (
    <Modal opened={opened} onClose={onClose} title={plan ? `Change “${plan.name}”` : 'New recovery plan'} size="60rem" closeOnClickOutside={false}>
      {opened && <PlanSteps plan={plan ?? null} onSaved={onSaved} />}
    </Modal>
  );
}

function PlanSteps({ plan, onSaved }: { plan: RecoveryPlan | null; onSaved(plan: RecoveryPlan): void }) {
  const vms = useEngineQuery('listVms');
  const hosts = useEngineQuery('listHosts');
  const [step, setStep] = useState(0);
  const [groups, setGroups] = useState<DraftGroup[]>(() => plan?.groups.map((g) => ({ name: g.name, vmIds: g.vms.map((v) => v.vmId), then: g.then })) ?? []);
  const [checks, setChecks] = useState<Record<string, CheckChoice>>(() => Object.fromEntries(plan?.groups.flatMap((g) => g.vms.map((v) => [v.vmId, choiceOf(v.checks)])) ?? []));
  const [rtoMinutes, setRtoMinutes] = useState(plan?.rtoTargetMinutes ?? 60);
  const [rpoMinutes, setRpoMinutes] = useState(plan?.rpoTargetMinutes ?? 60);
  const [schedule, setSchedule] = useState<string>(SCHEDULES.find((s) => s.cron === (plan?.schedule ?? null))?.value ?? 'custom');
  const [customCron, setCustomCron] = useState(plan?.schedule ?? '');
  const [name, setName] = useState(plan?.name ?? '');
  const [recoveryHostId, setRecoveryHostId] = useState<string>(plan?.recoveryHostId ?? '');
  const [mapping, setMapping] = useState<Record<string, string>>(() => Object.fromEntries((plan?.networkMapping ?? []).map((m) => [m.source, m.recovery])));
  const [problem, setProblem] = useState<string | null>(null);
  const [failure, setFailure] = useState<LifeboatError | null>(null);
  const [saving, setSaving] = useState(false);

  const byId = useMemo(() => new Map((vms.data ?? []).map((vm) => [vm.id, vm])), [vms.data]);
  const vmIds = groups.flatMap((g) => g.vmIds);
  const vmName = (id: string): string => byId.get(id)?.name ?? id;
  const sourceNetworks = [...new Set(vmIds.flatMap((id) => (byId.get(id)?.nics ?? []).map((nic) => nic.network ?? '').filter(Boolean)))].sort();
  // Recovery sites Lifeboat can start VMs on: this machine, vSphere hosts, the Hyper-V host it runs on.
  const sites = [{ value: '', label: 'This machine (QEMU standby): works when the production host is gone' }, ...(hosts.data ?? []).filter((h) => h.kind === 'vsphere' || (h.kind === 'hyperv' && h.address === null)).map((h) => ({ value: h.id, label: `${h.name} (${h.kind === 'vsphere' ? 'vSphere' : 'Hyper-V'})` }))];

  const next = (): void => {
    const found = step === 0 && vmIds.length === 0 ? 'Tick at least one VM for the plan.' : null;
    setProblem(found);
    if (!found) setStep((s) => s + 1);
  };

  const save = async (): Promise<void> => {
    const cron = schedule === 'custom' ? customCron.trim() || null : (SCHEDULES.find((s) => s.value === schedule)?.cron ?? null);
    const fields = {
      name: name.trim() || `Plan: ${vmIds.slice(0, 3).map(vmName).join(', ')}${vmIds.length > 3 ? ` and ${vmIds.length - 3} more` : ''}`.slice(0, 100),
      groups: toPlanGroups(groups, checks),
      rtoTargetMinutes: rtoMinutes,
      rpoTargetMinutes: rpoMinutes,
      schedule: cron,
      recoveryHostId: recoveryHostId || null,
      networkMapping: sourceNetworks.filter((n) => mapping[n]?.trim() && mapping[n]!.trim() !== n).map((n) => ({ source: n, recovery: mapping[n]!.trim() })),
    };
    setSaving(true);
    setFailure(null);
    try {
      onSaved(plan ? await api.updatePlan({ id: plan.id, ...fields }) : await api.createPlan(fields));
    } catch (error) {
      const failed = error as LifeboatError;
      setFailure(failed);
      const field = failed.field?.split('.')[0];
      if (field && STEP_OF_FIELD[field] !== undefined) setStep(STEP_OF_FIELD[field]);
    } finally {
      setSaving(false);
    }
  };

  return (
    <Stack>
      <Stepper active={step} onStepClick={(target) => target < step && setStep(target)} size="xs" allowNextStepsSelect={false}>
        {STEPS.map((label) => (
          <Stepper.Step key={label} label={label} />
        ))}
      </Stepper>

      {step === 0 && (
        <Stack gap="xs">
          <Title order={4}>Which VMs does this plan bring back?</Title>
          <Text size="sm" c="dimmed">
            A drill starts copies of these VMs in an isolated sandbox — never on your network — checks them, and cleans up. Only protected VMs have copies to test.
          </Text>
          <VmPicker
            vms={vms.data ?? []}
            hosts={hosts.data ?? []}
            selected={vmIds}
            onChange={(ids) => setGroups(syncGroups(groups, ids))}
            unavailable={(vm) => (vm.protection ? null : 'Not protected yet: no copy to test')}
          />
        </Stack>
      )}

      {step === 1 && <OrderStep groups={groups} onChange={setGroups} vmName={vmName} />}

      {step === 2 && (
        <Stack gap="xs">
          <Title order={4}>How should Lifeboat check each VM works?</Title>
          <Text size="sm" c="dimmed">
            Every VM must start from its copy (boot check), and a screenshot of its console is kept as evidence. Add more checks where they make sense.
          </Text>
          {vmIds.map((vmId) => {
            const choice = checks[vmId] ?? DEFAULT_CHECKS;
            const set = (change: Partial<CheckChoice>): void => setChecks({ ...checks, [vmId]: { ...choice, ...change } });
            return (
              <Paper key={vmId} withBorder p="sm" data-testid="plan-checks">
                <Text fw={600} mb={6}>
                  {vmName(vmId)}
                </Text>
                <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="xs">
                  <Checkbox label="It starts (boot check)" checked disabled />
                  <Checkbox label="Its data in the vault reads back intact" checked={choice.vaultVerify} onChange={(e) => set({ vaultVerify: e.currentTarget.checked })} />
                  <Checkbox label="Its guest tools answer (heartbeat)" checked={choice.heartbeat} onChange={(e) => set({ heartbeat: e.currentTarget.checked })} />
                  <TagsInput
                    label="These ports answer"
                    placeholder="e.g. 443, then Enter"
                    value={choice.ports.map(String)}
                    onChange={(values) => set({ ports: [...new Set(values.map(Number).filter((p) => Number.isInteger(p) && p > 0 && p < 65536))] })}
                    size="xs"
                  />
                </SimpleGrid>
              </Paper>
            );
          })}
        </Stack>
      )}

      {step === 3 && (
        <Stack gap="sm">
          <Title order={4}>What counts as a successful recovery, and when to practise?</Title>
          <SimpleGrid cols={{ base: 1, sm: 2 }}>
            <NumberInput
              label="Everything must be running again within (minutes)"
              description={`Recovery time objective (RTO): ${minutesInWords(rtoMinutes || 1)}`}
              min={1}
              max={7 * 24 * 60}
              value={rtoMinutes}
              onChange={(v) => setRtoMinutes(Number(v) || 1)}
            />
            <NumberInput
              label="Work lost may be at most (minutes)"
              description={`Recovery point objective (RPO): ${minutesInWords(rpoMinutes || 1)}`}
              min={1}
              max={7 * 24 * 60}
              value={rpoMinutes}
              onChange={(v) => setRpoMinutes(Number(v) || 1)}
            />
          </SimpleGrid>
          <Select
            label="Run a drill automatically"
            data={[...SCHEDULES.map((s) => ({ value: s.value, label: s.label })), { value: 'custom', label: 'Custom (cron expression)' }]}
            value={schedule}
            onChange={(value) => setSchedule(value ?? 'none')}
            allowDeselect={false}
          />
          {schedule === 'custom' && <TextInput label="Cron expression" placeholder="0 6 1 * *" value={customCron} onChange={(e) => setCustomCron(e.currentTarget.value)} error={failure?.field === 'schedule' ? failure.message : undefined} />}
          <Title order={5} mt="xs">
            For a real failover
          </Title>
          <Select label="Start the VMs at" data={sites} value={recoveryHostId} onChange={(value) => setRecoveryHostId(value ?? '')} allowDeselect={false} />
          {sourceNetworks.length > 0 && (
            <SimpleGrid cols={{ base: 1, sm: 2 }}>
              {sourceNetworks.map((network) => (
                <TextInput
                  key={network}
                  label={`Connect “${network}” to`}
                  description="The network at the recovery site (drills always stay isolated)."
                  value={mapping[network] ?? network}
                  onChange={(event) => {
                    const value = event.currentTarget.value;
                    setMapping((current) => ({ ...current, [network]: value }));
                  }}
                />
              ))}
            </SimpleGrid>
          )}
          <TextInput label="Name of this plan" placeholder="Office servers" value={name} onChange={(e) => setName(e.currentTarget.value)} error={failure?.field === 'name' ? failure.message.replace(/^name: /, '') : undefined} />
          <Alert variant="light" icon={<IconInfoCircle />}>
            Auditors (ISO 27001 A.5.30, SOC 2) usually expect a recovery test at least once a year; a monthly drill keeps the proof fresh and catches problems early.
          </Alert>
        </Stack>
      )}

      {problem && (
        <Text c="red" size="sm" role="alert">
          {problem}
        </Text>
      )}
      {failure && !['name', 'schedule'].includes(failure.field ?? '') && <ErrorNotice error={failure} title="The plan was not saved" />}
      <Group justify="space-between">
        <Button variant="default" onClick={() => setStep((s) => Math.max(0, s - 1))} disabled={step === 0 || saving}>
          Back
        </Button>
        {step < STEPS.length - 1 ? (
          <Button onClick={next}>Next</Button>
        ) : (
          <Button onClick={() => void save()} loading={saving}>
            Save plan
          </Button>
        )}
      </Group>
    </Stack>
  );
}

const GATES: { value: GroupGate['kind']; label: string }[] = [
  { value: 'none', label: 'Start the next group at once' },
  { value: 'heartbeat', label: 'Wait until these VMs answer' },
  { value: 'delay', label: 'Wait a fixed time' },
];

/** Boot order: VMs in a group start together; groups start one after another. Drag VMs, or use the arrow buttons. */
function OrderStep({ groups, onChange, vmName }: { groups: DraftGroup[]; onChange(groups: DraftGroup[]): void; vmName(id: string): string }) {
  const [over, setOver] = useState<number | null>(null);
  const drop = (event: DragEvent, group: number): void => {
    event.preventDefault();
    setOver(null);
    const vmId = event.dataTransfer.getData('text/plain');
    if (vmId) onChange(moveVm(groups, vmId, group));
  };
  const zone = (group: number) => ({
    onDragOver: (event: DragEvent) => {
      event.preventDefault();
      setOver(group);
    },
    onDragLeave: () => setOver(null),
    onDrop: (event: DragEvent) => drop(event, group),
  });
  return (
    <Stack gap="xs">
      <Title order={4}>In what order should the VMs start?</Title>
      <Text size="sm" c="dimmed">
        Put what others depend on first — usually the domain controller, then databases, then applications. Drag a VM to another group, or use its arrows.
      </Text>
      {groups.map((group, g) => (
        <Stack key={g} gap={4}>
          <Paper withBorder p="sm" bg={over === g ? 'var(--mantine-color-default-hover)' : undefined} {...zone(g)} data-testid="plan-group">
            <Group justify="space-between" mb={6}>
              <Text fw={600}>
                {g + 1}. {group.name}
              </Text>
              <Text size="sm" c="dimmed">
                {g === 0 ? 'Starts first' : 'Starts after the group above'}
              </Text>
            </Group>
            <Stack gap={4}>
              {group.vmIds.map((vmId) => (
                <Group
                  key={vmId}
                  draggable
                  onDragStart={(event) => event.dataTransfer.setData('text/plain', vmId)}
                  justify="space-between"
                  px="xs"
                  py={4}
                  style={{ border: '1px solid var(--mantine-color-default-border)', borderRadius: 6, cursor: 'grab' }}
                  data-testid="plan-vm"
                >
                  <Group gap={6}>
                    <IconGripVertical size={16} aria-hidden />
                    <Text size="sm">{vmName(vmId)}</Text>
                  </Group>
                  <Group gap={2}>
                    <ActionIcon variant="subtle" size="sm" aria-label={`Start ${vmName(vmId)} earlier`} disabled={g === 0 && group.vmIds.length === 1} onClick={() => onChange(moveVm(groups, vmId, Math.max(0, g - 1)))}>
                      <IconArrowUp size={16} />
                    </ActionIcon>
                    <ActionIcon variant="subtle" size="sm" aria-label={`Start ${vmName(vmId)} later`} disabled={g === groups.length - 1 && group.vmIds.length === 1} onClick={() => onChange(moveVm(groups, vmId, g + 1))}>
                      <IconArrowDown size={16} />
                    </ActionIcon>
                  </Group>
                </Group>
              ))}
            </Stack>
          </Paper>
          {g < groups.length - 1 && (
            <Group gap="xs" pl="md">
              <Badge variant="light" color="gray">
                then
              </Badge>
              <Select
                aria-label={`After group ${g + 1}`}
                size="xs"
                w={260}
                data={GATES}
                value={group.then.kind}
                allowDeselect={false}
                onChange={(kind) =>
                  onChange(groups.map((each, i) => (i === g ? { ...each, then: kind === 'delay' ? { kind: 'delay', seconds: 60 } : kind === 'heartbeat' ? { kind: 'heartbeat', timeoutSeconds: 600 } : { kind: 'none' } } : each)))
                }
              />
              {group.then.kind === 'delay' && (
                <NumberInput
                  aria-label="Seconds to wait"
                  size="xs"
                  w={120}
                  min={1}
                  max={3600}
                  suffix=" s"
                  value={group.then.seconds}
                  onChange={(v) => onChange(groups.map((each, i) => (i === g ? { ...each, then: { kind: 'delay', seconds: Number(v) || 1 } } : each)))}
                />
              )}
            </Group>
          )}
        </Stack>
      ))}
      <Paper withBorder p="sm" style={{ borderStyle: 'dashed' }} bg={over === groups.length ? 'var(--mantine-color-default-hover)' : undefined} {...zone(groups.length)} data-testid="plan-new-group">
        <Text size="sm" c="dimmed" ta="center">
          Drop a VM here to start it in a new, later group
        </Text>
      </Paper>
    </Stack>
  );
}
