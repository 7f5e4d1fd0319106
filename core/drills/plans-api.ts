import type { ConsoleApi } from '../contract/api';
import type { RecoveryPlan } from '../contract/drills';
import { LifeboatError } from '../contract/errors';
import type { PlanFields } from '../contract/plans';
import { CronSchedule } from '../schedule/cron';
import type { RoomDeps } from '../service-context';
import { PlansStore } from '../store/plans';

/** What this module needs from the engine (see RoomDeps). */
export type PlansDeps = RoomDeps<'audit' | 'clock' | 'db' | 'operator'>;

/** Recovery plans: validated against the inventory, audited. */
export function plansApi(ctx: PlansDeps): Pick<ConsoleApi, 'listPlans' | 'getPlan' | 'createPlan' | 'updatePlan' | 'deletePlan'> {
  const plans = new PlansStore(ctx.db);

  const find = (id: string): RecoveryPlan => {
    const plan = plans.get(id);
    if (!plan) throw new LifeboatError('NOT_FOUND', `There is no recovery plan ${id}.`, { fix: 'Refresh the Drills page.' });
    return plan;
  };

  const validate = (fields: PlanFields, exceptId: string | null): void => {
    const named = plans.findByName(fields.name);
    if (named && named.id !== exceptId)
      throw new LifeboatError('INVALID_INPUT', `name: A plan called "${named.name}" already exists.`, {
        field: 'name',
        fix: 'Choose another name.',
      });
    if (fields.schedule !== null && !CronSchedule.isValid(fields.schedule)) {
      throw new LifeboatError('INVALID_INPUT', `schedule: "${fields.schedule}" is not a valid cron expression.`, {
        field: 'schedule',
        fix: 'Use five fields, like "0 6 1 * *" (monthly).',
      });
    }
    if (fields.recoveryHostId && !ctx.db.prepare('SELECT 1 FROM hosts WHERE id = ?').get(fields.recoveryHostId)) {
      throw new LifeboatError('INVALID_INPUT', `recoveryHostId: There is no host ${fields.recoveryHostId}.`, {
        field: 'recoveryHostId',
        fix: 'Choose a registered host, or leave it empty to recover on this machine.',
      });
    }
    const seen = new Set<string>();
    for (const [g, group] of fields.groups.entries()) {
      for (const [v, vm] of group.vms.entries()) {
        const field = `groups.${g}.vms.${v}.vmId`;
        if (seen.has(vm.vmId))
          throw new LifeboatError('INVALID_INPUT', `${field}: A VM can appear only once in a plan.`, {
            field,
            fix: 'Remove the duplicate.',
          });
        seen.add(vm.vmId);
        const exists = ctx.db.prepare('SELECT 1 FROM vms WHERE id = ? AND removed_at IS NULL').get(vm.vmId);
        if (!exists)
          throw new LifeboatError('INVALID_INPUT', `${field}: There is no VM ${vm.vmId} in the inventory.`, {
            field,
            fix: 'Run discovery again and pick VMs from the list.',
          });
      }
    }
  };

  return {
    async listPlans() {
      return plans.list();
    },
    async getPlan({ id }) {
      return find(id);
    },
    async createPlan(input) {
      validate(input, null);
      const plan = plans.create(input, ctx.clock.now());
      ctx.audit.append(ctx.operator, 'plan.created', plan.name, { groups: plan.groups.map((g) => g.vms.length) });
      return plan;
    },
    async updatePlan({ id, ...changes }) {
      const { id: _id, createdAt: _c, updatedAt: _u, ...current } = find(id);
      const next: PlanFields = { ...current, ...Object.fromEntries(Object.entries(changes).filter(([, v]) => v !== undefined)) };
      validate(next, id);
      const plan = plans.update(id, next, ctx.clock.now());
      ctx.audit.append(ctx.operator, 'plan.changed', plan.name, { fields: Object.keys(changes) });
      return plan;
    },
    async deletePlan({ id }) {
      const plan = find(id);
      if (ctx.db.prepare('SELECT 1 FROM plan_failover WHERE plan_id = ?').get(id)) {
        throw new LifeboatError('PLAN_BUSY', `"${plan.name}" is failed over: its VMs run at the recovery site.`, {
          fix: 'Fail back first; then the plan can be deleted.',
        });
      }
      plans.delete(id);
      ctx.audit.append(ctx.operator, 'plan.deleted', plan.name, {});
    },
  };
}
