import { Button, Group, Modal, Stack, Stepper, Text, Title } from '@mantine/core';
import { useMemo, useState } from 'react';
import type { RecoveryPlan } from '../../core/contract/drills';
import type { LifeboatError } from '../../core/contract/errors';
import { api } from '../api';
import { ErrorNotice } from '../components/ErrorNotice';
import { VmPicker } from '../components/VmPicker';
import { useEngineQuery } from '../hooks';
import { choiceOf, SCHEDULES, syncGroups, toPlanGroups, type CheckChoice, type DraftGroup } from '../model/drills';
import { problemsOf, type Problems } from '../model/input-problems';
import {
  firstPlanProblemStep,
  PLAN_STEPS,
  planProblems,
  planStepOf,
  stepAlert,
  type GOAL_FIELDS,
  type PlanInput,
} from '../model/plan-problems';
import { ChecksStep } from './plan/ChecksStep';
import { GoalsStep, type PlanGoals } from './plan/GoalsStep';
import { OrderStep } from './plan/OrderStep';

export function DrillPlanWizard({
  opened,
  onClose,
  plan,
  onSaved,
}: {
  opened: boolean;
  onClose(): void;
  plan?: RecoveryPlan | null;
  onSaved(plan: RecoveryPlan): void;
}) {
  return (
    <Modal
      opened={opened}
      onClose={onClose}
      title={plan ? `Change “${plan.name}”` : 'New recovery plan'}
      size="60rem"
      closeOnClickOutside={false}
    >
      {opened && <PlanSteps plan={plan ?? null} onSaved={onSaved} />}
    </Modal>
  );
}

function goalsOf(plan: RecoveryPlan | null): PlanGoals {
  return {
    rtoMinutes: plan?.rtoTargetMinutes ?? 60,
    rpoMinutes: plan?.rpoTargetMinutes ?? 60,
    schedule: SCHEDULES.find((s) => s.cron === (plan?.schedule ?? null))?.value ?? 'custom',
    customCron: plan?.schedule ?? '',
    name: plan?.name ?? '',
    recoveryHostId: plan?.recoveryHostId ?? '',
    mapping: Object.fromEntries((plan?.networkMapping ?? []).map((m) => [m.source, m.recovery])),
  };
}

function PlanSteps({ plan, onSaved }: { plan: RecoveryPlan | null; onSaved(plan: RecoveryPlan): void }) {
  const vms = useEngineQuery('listVms');
  const hosts = useEngineQuery('listHosts');
  const [step, setStep] = useState(0);
  const [groups, setGroups] = useState<DraftGroup[]>(
    () => plan?.groups.map((g) => ({ name: g.name, vmIds: g.vms.map((v) => v.vmId), then: g.then })) ?? [],
  );
  const [checks, setChecks] = useState<Record<string, CheckChoice>>(() =>
    Object.fromEntries(plan?.groups.flatMap((g) => g.vms.map((v) => [v.vmId, choiceOf(v.checks)])) ?? []),
  );
  const [goals, setGoals] = useState<PlanGoals>(() => goalsOf(plan));
  /** What the last Next or Save found, field by field; shown until the next check. */
  const [problems, setProblems] = useState<Problems>({});
  const [failure, setFailure] = useState<LifeboatError | null>(null);
  const [saving, setSaving] = useState(false);

  const byId = useMemo(() => new Map((vms.data ?? []).map((vm) => [vm.id, vm])), [vms.data]);
  const vmIds = groups.flatMap((g) => g.vmIds);
  const vmName = (id: string): string => byId.get(id)?.name ?? id;
  const sourceNetworks = [
    ...new Set(vmIds.flatMap((id) => (byId.get(id)?.nics ?? []).map((nic) => nic.network ?? '').filter(Boolean))),
  ].sort();
  // Recovery sites Lifeboat can start VMs on: this machine, vSphere hosts, Hyper-V hosts (a remote one gets the
  // restored disks through its administrative share).
  const siteLabel = (h: { name: string; kind: string; address: string | null }): string =>
    h.kind === 'vsphere'
      ? `${h.name} (vSphere)`
      : h.address === null
        ? `${h.name} (Hyper-V on this computer)`
        : `${h.name} (Hyper-V: disks copied to its virtual hard disk folder)`;
  const sites = [
    { value: '', label: 'This machine (QEMU standby): works when the production host is gone' },
    ...(hosts.data ?? []).filter((h) => h.kind === 'vsphere' || h.kind === 'hyperv').map((h) => ({ value: h.id, label: siteLabel(h) })),
  ];

  const input = (): PlanInput => ({
    name:
      goals.name.trim() ||
      `Plan: ${vmIds.slice(0, 3).map(vmName).join(', ')}${vmIds.length > 3 ? ` and ${vmIds.length - 3} more` : ''}`.slice(0, 100),
    groups: toPlanGroups(groups, checks),
    rtoTargetMinutes: goals.rtoMinutes,
    rpoTargetMinutes: goals.rpoMinutes,
    schedule:
      goals.schedule === 'custom' ? goals.customCron.trim() || null : (SCHEDULES.find((s) => s.value === goals.schedule)?.cron ?? null),
    recoveryHostId: goals.recoveryHostId || null,
    networkMapping: sourceNetworks
      .filter((n) => goals.mapping[n]?.trim() && goals.mapping[n]!.trim() !== n)
      .map((n) => ({ source: n, recovery: goals.mapping[n]!.trim() })),
  });

  const next = (): void => {
    // Only this step's problems: the later steps show theirs when the user gets there and goes on.
    const found = problemsOf(planProblems(input(), plan?.id), planStepOf, step);
    setProblems(Object.fromEntries(found));
    if (found.length === 0) setStep((s) => s + 1);
  };

  const save = async (): Promise<void> => {
    const fields = input();
    const found = planProblems(fields, plan?.id);
    setProblems(found);
    const first = firstPlanProblemStep(found);
    if (first !== null) return setStep(first);
    setSaving(true);
    setFailure(null);
    try {
      onSaved(plan ? await api.updatePlan({ id: plan.id, ...fields }) : await api.createPlan(fields));
    } catch (error) {
      const failed = error as LifeboatError;
      setFailure(failed);
      if (failed.field) setStep(planStepOf(failed.field));
    } finally {
      setSaving(false);
    }
  };

  const fieldError = (field: (typeof GOAL_FIELDS)[number]): string | undefined =>
    problems[field] ?? (failure?.field === field ? failure.message.replace(`${field}: `, '') : undefined);
  const problem = stepAlert(problems, step);

  return (
    <Stack>
      <Stepper active={step} onStepClick={(target) => target < step && setStep(target)} size="xs" allowNextStepsSelect={false}>
        {PLAN_STEPS.map((label) => (
          <Stepper.Step key={label} label={label} />
        ))}
      </Stepper>

      {step === 0 && (
        <Stack gap="xs">
          <Title order={4}>Which VMs does this plan bring back?</Title>
          <Text size="sm" c="dimmed">
            A drill starts copies of these VMs in an isolated sandbox — never on your network — checks them, and cleans up. Only protected
            VMs have copies to test.
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
      {step === 2 && <ChecksStep vmIds={vmIds} checks={checks} vmName={vmName} onChange={setChecks} />}
      {step === 3 && (
        <GoalsStep
          goals={goals}
          onChange={(change) => setGoals((current) => ({ ...current, ...change }))}
          sites={sites}
          sourceNetworks={sourceNetworks}
          fieldError={fieldError}
        />
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
        {step < PLAN_STEPS.length - 1 ? (
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
