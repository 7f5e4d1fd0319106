import { Modal, Stack, Stepper, Text, Title } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useMemo, useState } from 'react';
import type { LifeboatError } from '../../core/contract/errors';
import type { Vm } from '../../core/contract/hosts';
import type { BandwidthWindow, Consistency, Job, Policy, Retention } from '../../core/contract/protection';
import type { Settings } from '../../core/contract/types';
import { api } from '../api';
import { ErrorNotice } from '../components/ErrorNotice';
import { VmPicker } from '../components/VmPicker';
import { useEngineQuery } from '../hooks';
import {
  firstProblemStep,
  POLICY_STEPS,
  policyProblems,
  policyStepOf,
  problemsOfStep,
  stepProblem,
  type Problems,
} from '../model/policy-problems';
import { estimateFirstCopy, estimateRate, RETENTION_PRESETS, sharedLimit, suggestPolicyName } from '../model/protection';
import { BandwidthStep } from './protect/BandwidthStep';
import { ConsistencyStep } from './protect/ConsistencyStep';
import { HowLongStep } from './protect/HowLongStep';
import { HowOftenStep } from './protect/HowOftenStep';
import { ProtectButtons } from './protect/ProtectButtons';
import { ReviewStep } from './protect/ReviewStep';
import { WhereStep } from './protect/WhereStep';

/** The parts of a policy that the Protection page lets the user change one at a time. */
export type PolicySection = 'vms' | 'where' | 'rpo' | 'retention' | 'consistency' | 'bandwidth';
const STEP_OF_SECTION: Record<PolicySection, number> = { vms: 0, where: 1, rpo: 2, retention: 3, consistency: 4, bandwidth: 5 };
const LAST_STEP = POLICY_STEPS.length - 1;

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
    <Modal
      opened={props.opened}
      onClose={props.onClose}
      title={props.policy ? `Change “${props.policy.name}”` : 'Protect VMs'}
      size="70rem"
      closeOnClickOutside={false}
    >
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
  /** What the last Next or Save found, field by field; shown until the next check. */
  const [problems, setProblems] = useState<Problems>({});
  const [problem, setProblem] = useState<string | null>(null);
  const [failure, setFailure] = useState<LifeboatError | null>(null);
  const [saving, setSaving] = useState(false);

  const chosen = useMemo(() => (vms.data ?? []).filter((vm) => vmIds.includes(vm.id)), [vms.data, vmIds]);
  const target = (targets.data ?? []).find((t) => t.id === targetId) ?? (settings.vault?.id === targetId ? settings.vault : null);
  const rate = estimateRate(jobs.data ?? [], target?.location ?? null, bandwidth);
  const estimate = estimateFirstCopy(chosen, rate);
  const shared = sharedLimit(
    estimate,
    rate,
    (policies.data ?? []).filter((p) => p.targetId === targetId && p.id !== policy?.id),
  );
  const fields = {
    name: name.trim() || suggestPolicyName(chosen),
    vmIds,
    targetId: targetId ?? '',
    rpoMinutes,
    retention,
    consistency,
    bandwidth,
  };

  /** Checks the policy as the engine will parse it, and shows what the given step has to fix. */
  const check = (current: number): string | null => {
    // Only this step's fields are marked: a later step shows its own when the user goes on from it.
    const found = problemsOfStep(policyProblems(fields, policy?.id), current);
    const first = stepProblem(found, current);
    setProblems(found);
    setProblem(first);
    return first;
  };

  const next = (): void => {
    if (!check(step)) setStep((s) => Math.min(s + 1, LAST_STEP));
  };

  /** Saving checks every step first, and shows the first with a problem. */
  const saveChecked = (): void => {
    const found = policyProblems(fields, policy?.id);
    const first = firstProblemStep(found);
    setProblems(found);
    setProblem(first === null ? null : stepProblem(found, first));
    if (first === null) void save();
    else setStep(first);
  };

  const goTo = (target: number): void => {
    // Creating walks forward one checked step at a time; editing jumps to any section once this one is fine.
    if (target < step) return setStep(target);
    if (policy && !check(step)) setStep(target);
  };

  const save = async (): Promise<void> => {
    setSaving(true);
    setFailure(null);
    try {
      const saved = policy ? await api.updatePolicy({ id: policy.id, ...fields }) : await api.createPolicy(fields);
      let started: Job[] = [];
      if (!policy) {
        // The policy stands even if the first copy cannot start right now; the scheduler retries it.
        started = await api.runNow({ policyId: saved.id }).catch((error: LifeboatError) => {
          notifications.show({
            color: 'yellow',
            title: 'Protected, but the first copy did not start',
            message: `${error.message} ${error.fix ?? ''}`,
          });
          return [];
        });
      }
      onDone(saved, started);
    } catch (error) {
      const failed = error as LifeboatError;
      setFailure(failed);
      const failedStep = failed.field ? policyStepOf(failed.field) : null;
      if (failedStep !== null) setStep(failedStep);
    } finally {
      setSaving(false);
    }
  };

  const protectedElsewhere = (vm: Vm): string | null =>
    vm.protection && vm.protection.policyId !== policy?.id ? `Already protected by “${vm.protection.policyName}”` : null;

  return (
    <Stack>
      <Stepper active={step} onStepClick={goTo} size="xs" allowNextStepsSelect={policy != null}>
        {POLICY_STEPS.map((label) => (
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
      {step === 1 && <WhereStep targets={targets.data} settings={settings} targetId={targetId} onChange={setTargetId} />}
      {step === 2 && <HowOftenStep rpoMinutes={rpoMinutes} onChange={setRpoMinutes} />}
      {step === 3 && <HowLongStep retention={retention} rpoMinutes={rpoMinutes} problems={problems} onChange={setRetention} />}
      {step === 4 && <ConsistencyStep consistency={consistency} onChange={setConsistency} />}
      {step === 5 && <BandwidthStep windows={bandwidth} problems={problems} onChange={setBandwidth} />}
      {step === 6 && (
        <ReviewStep
          name={name}
          onName={setName}
          nameProblem={problems['name']}
          chosen={chosen}
          target={target}
          rpoMinutes={rpoMinutes}
          retention={retention}
          consistency={consistency}
          bandwidth={bandwidth}
          estimate={estimate}
          shared={shared}
        />
      )}

      {problem && (
        <Text c="red" size="sm" role="alert">
          {problem}
        </Text>
      )}
      {failure && <ErrorNotice error={failure} title={policy ? 'The changes were not saved' : 'The VMs were not protected'} />}

      <ProtectButtons
        editing={policy != null}
        first={step === 0}
        last={step === LAST_STEP}
        saving={saving}
        onBack={() => setStep((s) => Math.max(0, s - 1))}
        onNext={next}
        onSave={saveChecked}
      />
    </Stack>
  );
}
