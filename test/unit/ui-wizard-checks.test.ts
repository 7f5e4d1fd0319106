import { describe, expect, it } from 'vitest';
import { methods } from '../../core/contract/api';
import { setupProblems, Step } from '../../renderer/model/first-run-setup';
import { firstPlanProblemStep, planProblems, planStepOf, stepAlert, type PlanInput } from '../../renderer/model/plan-problems';
import {
  firstProblemStep,
  policyProblems,
  RPO_BOUNDS,
  retentionBounds,
  stepProblem,
  type PolicyFields,
} from '../../renderer/model/policy-problems';

const GOOD: PolicyFields = {
  name: 'Office servers',
  vmIds: ['vm-1'],
  targetId: 'target-1',
  rpoMinutes: 60,
  retention: { keepLast: 24, daily: 7, weekly: 4, monthly: 12, yearly: 0 },
  consistency: 'prefer',
  bandwidth: [{ days: [1, 2, 3, 4, 5], from: '08:00', to: '18:00', bytesPerSecond: 20_000_000 }],
};

/** What the engine answers: the message of the contract's first issue, at the path it names. */
function engineSays(fields: PolicyFields): { path: string; message: string } | null {
  const result = methods.createPolicy.input.safeParse(fields);
  const issue = result.success ? undefined : result.error.issues[0];
  return issue ? { path: issue.path.join('.'), message: issue.message } : null;
}

describe('the protect wizard checks with the contract', () => {
  it('accepts what the engine accepts', () => {
    expect(policyProblems(GOOD)).toEqual({});
    expect(firstProblemStep(policyProblems(GOOD))).toBeNull();
  });

  it.each([
    ['no VM', { ...GOOD, vmIds: [] }, 0, 'Tick at least one VM to protect.'],
    ['no target', { ...GOOD, targetId: '' }, 1, 'Choose where the copies go.'],
    ['an RPO of 0', { ...GOOD, rpoMinutes: 0 }, 2, 'Choose between 1 minute and 7 days.'],
    ['an RPO over a week', { ...GOOD, rpoMinutes: 7 * 24 * 60 + 1 }, 2, 'Choose between 1 minute and 7 days.'],
    ['keepLast 0', { ...GOOD, retention: { ...GOOD.retention!, keepLast: 0 } }, 3, 'Keep at least the newest copy.'],
    [
      'a limit without days',
      { ...GOOD, bandwidth: [{ ...GOOD.bandwidth![0]!, days: [] }] },
      5,
      'Every bandwidth limit needs at least one day.',
    ],
    [
      'a limit with from === to',
      { ...GOOD, bandwidth: [{ ...GOOD.bandwidth![0]!, to: '08:00' }] },
      5,
      'A bandwidth limit starts and ends at the same time.',
    ],
  ] satisfies [string, PolicyFields, number, string][])(
    'refuses %s on the step that asks for it, in the words the engine uses',
    (_, fields, step, message) => {
      const problems = policyProblems(fields);
      const engine = engineSays(fields)!;
      expect(engine.message).toBe(message);
      expect(problems[engine.path]).toBe(message);
      expect(firstProblemStep(problems)).toBe(step);
      expect(stepProblem(problems, step)).toBe(message);
      // The other steps let the user on: only the step that asks for the field stops.
      expect(stepProblem(problems, step === 0 ? 1 : 0)).toBeNull();
    },
  );

  it('names the bandwidth window and field zod names, so the wizard marks that field', () => {
    const fields = { ...GOOD, bandwidth: [GOOD.bandwidth![0]!, { days: [0, 6], from: '00:00', to: '00:00', bytesPerSecond: 50_000_000 }] };
    expect(Object.keys(policyProblems(fields))).toEqual(['bandwidth.1.to']);
  });

  it('checks an edit as updatePolicy parses it', () => {
    expect(policyProblems({ ...GOOD, rpoMinutes: 0 }, 'policy-1')).toEqual({ rpoMinutes: 'Choose between 1 minute and 7 days.' });
  });

  it('takes number bounds from the contract', () => {
    expect(RPO_BOUNDS).toEqual({ min: 1, max: 10_080 });
    expect(retentionBounds('keepLast')).toEqual({ min: 1, max: 10_000 });
    expect(retentionBounds('yearly')).toEqual({ min: 0, max: 100 });
  });
});

const PLAN: PlanInput = {
  name: 'Office servers',
  groups: [{ name: 'Group 1', vms: [{ vmId: 'vm-1', checks: [{ kind: 'boot' }] }], then: { kind: 'none' } }],
  rtoTargetMinutes: 60,
  rpoTargetMinutes: 60,
  schedule: '0 6 1 * *',
};

describe('the drill plan wizard checks with the contract', () => {
  it("stops on the VM step without VMs, in the contract's words", () => {
    const problems = planProblems({ ...PLAN, groups: [] });
    expect(methods.createPlan.input.safeParse({ ...PLAN, groups: [] }).error?.issues[0]?.message).toBe(
      'Tick at least one VM for the plan.',
    );
    expect(problems).toEqual({ groups: 'Tick at least one VM for the plan.' });
    expect(firstPlanProblemStep(problems)).toBe(0);
    expect(stepAlert(problems, 0)).toBe('Tick at least one VM for the plan.');
  });

  it("puts a bad cron and goals on their own fields of the last step, and a group's wait on the start order", () => {
    const problems = planProblems({
      ...PLAN,
      schedule: 'every monday',
      rtoTargetMinutes: 0,
      groups: [{ ...PLAN.groups[0]!, then: { kind: 'delay', seconds: 5000 } }],
    });
    expect(problems.schedule).toBe(methods.createPlan.input.shape.schedule.safeParse('every monday').error?.issues[0]?.message);
    expect(Object.keys(problems).sort()).toEqual(['groups.0.then.seconds', 'rtoTargetMinutes', 'schedule']);
    expect(firstPlanProblemStep(problems)).toBe(1);
    expect(stepAlert(problems, 3)).toBeNull(); // shown on the fields, not again under the step
    expect(planStepOf('groups.0.vms.0.checks.1.port')).toBe(2);
  });
});

describe('the first-run wizard checks with the contract', () => {
  const answers = {
    organisation: 'Acme',
    vault: { kind: 'folder' as const, path: '/srv/vault' },
    passphrase: 'correct horse battery staple lantern',
    confirmation: 'correct horse battery staple lantern',
    stored: true,
  };

  it('asks each step only for its own fields, keyed as the fields read them', () => {
    expect(setupProblems(Step.Organisation, { ...answers, organisation: ' ', vault: { kind: 'folder', path: 'relative' } })).toEqual({
      organisation: 'Enter your organisation name; it appears on reports.',
    });
    expect(setupProblems(Step.Vault, { ...answers, vault: { kind: 'folder', path: 'relative' } })).toEqual({
      path: 'Use a full path, like D:\\LifeboatVault or \\\\nas\\backups.',
    });
    for (const step of [Step.Organisation, Step.Vault, Step.Passphrase, Step.Kit]) expect(setupProblems(step, answers)).toEqual({});
  });

  it('words a weak passphrase as the engine does, and checks the confirmation only once it is strong enough', () => {
    const weak = setupProblems(Step.Passphrase, { ...answers, passphrase: 'password1234', confirmation: 'other' });
    expect(weak).toEqual({
      passphrase: methods.completeFirstRun.input.shape.passphrase.safeParse('password1234').error?.issues[0]?.message,
    });
    expect(weak.passphrase).toMatch(/^Passphrase is weak\. /);
    expect(setupProblems(Step.Passphrase, { ...answers, confirmation: 'other' })).toEqual({
      confirmation: 'The two passphrases are different. Type the same passphrase twice.',
    });
  });
});
