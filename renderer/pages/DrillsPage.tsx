import { Button, Stack } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { IconPlus } from '@tabler/icons-react';
import { useState } from 'react';
import type { Drill, RecoveryPlan } from '../../core/contract/drills';
import type { LifeboatError } from '../../core/contract/errors';
import type { PlanFailoverState } from '../../core/contract/failover';
import { api } from '../api';
import { ErrorNotice } from '../components/ErrorNotice';
import { FailoverModal } from '../components/FailoverModal';
import { PageHeader } from '../components/PageHeader';
import { useEngineQuery } from '../hooks';
import type { PageId } from '../router';
import { DrillPlanWizard } from '../wizards/DrillPlanWizard';
import { ActionItems } from './drills/ActionItems';
import { DeletePlanModal } from './drills/DeletePlanModal';
import { DrillHistory } from './drills/DrillHistory';
import { NoDrillsYet } from './drills/NoDrillsYet';
import { PlanCard } from './drills/PlanCard';

export function DrillsPage({ go }: { go(page: PageId, param?: string | null): void }) {
  const plans = useEngineQuery('listPlans');
  const drills = useEngineQuery('listDrills', { limit: 100 });
  const items = useEngineQuery('listActionItems', {});
  const vms = useEngineQuery('listVms');
  const failedOver = useEngineQuery('listFailoverStates');
  const [failover, setFailover] = useState<{ plan: RecoveryPlan; back: PlanFailoverState | null } | null>(null);
  const [wizard, setWizard] = useState<{ plan: RecoveryPlan | null } | null>(null);
  const [deleting, setDeleting] = useState<RecoveryPlan | null>(null);
  const [failure, setFailure] = useState<LifeboatError | null>(null);
  const [starting, setStarting] = useState<string | null>(null);

  const names = new Map((vms.data ?? []).map((vm) => [vm.id, vm.name]));
  const protectedVms = (vms.data ?? []).filter((vm) => vm.protection);
  const lastOf = (planId: string): Drill | undefined => (drills.data ?? []).find((d) => d.planId === planId && d.kind === 'test');

  const start = async (input: { planId: string } | { vmIds: string[] }, key: string): Promise<void> => {
    setStarting(key);
    setFailure(null);
    try {
      const { drillId } = await api.startDrill(input);
      go('drills', drillId);
    } catch (error) {
      setFailure(error as LifeboatError);
    } finally {
      setStarting(null);
    }
  };

  const wizardModal = (
    <DrillPlanWizard
      opened={wizard !== null}
      plan={wizard?.plan ?? null}
      onClose={() => setWizard(null)}
      onSaved={(plan) => {
        setWizard(null);
        notifications.show({ color: 'green', title: `${plan.name} saved`, message: 'Press “Test failover” on it to run a drill now.' });
      }}
    />
  );

  const empty = plans.data && drills.data && plans.data.length === 0 && drills.data.length === 0;
  if (empty) {
    return (
      <>
        <PageHeader title="Drills" subtitle="Practice recovery without touching production." />
        {wizardModal}
        <Stack>
          {failure && <ErrorNotice error={failure} />}
          <NoDrillsYet
            protectedVms={protectedVms}
            onProtect={() => go('protection')}
            onTestAll={() => void start({ vmIds: protectedVms.map((vm) => vm.id) }, 'all')}
            onNewPlan={() => setWizard({ plan: null })}
          />
        </Stack>
      </>
    );
  }

  return (
    <>
      <PageHeader
        title="Drills"
        subtitle="Practice recovery without touching production."
        action={
          <Button
            variant={(plans.data?.length ?? 0) > 0 ? 'default' : 'filled'}
            leftSection={<IconPlus size={18} />}
            onClick={() => setWizard({ plan: null })}
          >
            New recovery plan
          </Button>
        }
      />
      {wizardModal}
      {failover && (
        <FailoverModal
          plan={failover?.plan ?? null}
          failback={failover?.back ?? null}
          onClose={() => setFailover(null)}
          onStarted={(id) => {
            setFailover(null);
            go('drills', id);
          }}
        />
      )}
      <Stack>
        {failure && <ErrorNotice error={failure} title="The drill did not start" />}
        {(plans.data ?? []).map((plan) => {
          const state = (failedOver.data ?? []).find((s) => s.planId === plan.id) ?? null;
          return (
            <PlanCard
              key={plan.id}
              plan={plan}
              last={lastOf(plan.id)}
              state={state}
              vmNames={names}
              starting={starting === plan.id}
              onTest={() => void start({ planId: plan.id }, plan.id)}
              onOpenDrill={(id) => go('drills', id)}
              onFailover={(back) => setFailover({ plan, back })}
              onChange={() => setWizard({ plan })}
              onDelete={() => setDeleting(plan)}
            />
          );
        })}
        {(drills.data?.length ?? 0) > 0 && <DrillHistory drills={drills.data!} onOpen={(id) => go('drills', id)} />}
        <ActionItems items={items.data ?? []} go={go} />
      </Stack>
      <DeletePlanModal
        plan={deleting}
        onKeep={() => setDeleting(null)}
        onDelete={(plan) => {
          setDeleting(null);
          void api.deletePlan({ id: plan.id }).catch((error: LifeboatError) => setFailure(error));
        }}
      />
    </>
  );
}
