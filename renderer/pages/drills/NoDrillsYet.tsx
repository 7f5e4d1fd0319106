import { Button, Group } from '@mantine/core';
import { IconLifebuoy, IconPlus } from '@tabler/icons-react';
import type { Vm } from '../../../core/contract/hosts';
import { PageEmptyState } from '../../components/PageEmptyState';

/** The page before any plan or drill: protect VMs first, or test the protected ones in one click. */
export function NoDrillsYet({
  protectedVms,
  onProtect,
  onTestAll,
  onNewPlan,
}: {
  protectedVms: Vm[];
  onProtect(): void;
  onTestAll(): void;
  onNewPlan(): void;
}) {
  return (
    <>
      {protectedVms.length === 0 ? (
        <PageEmptyState
          icon={<IconLifebuoy />}
          title="No drills yet"
          description="A drill starts copies of your VMs in an isolated sandbox, checks that they work, measures how long recovery took, and cleans up — the proof your auditor asks for. Protect some VMs first; then one click runs a drill."
          action={{ label: 'Protect VMs', onClick: onProtect }}
        />
      ) : (
        <PageEmptyState
          icon={<IconLifebuoy />}
          title="No drills yet"
          description={`A drill starts copies of your VMs in an isolated sandbox, checks that they work, measures how long recovery took, and cleans up — the proof your auditor asks for. Test all ${protectedVms.length} protected VMs now, or make a plan with a start order and a schedule.`}
          action={{
            label: `Test failover of ${protectedVms.length === 1 ? protectedVms[0]!.name : `${protectedVms.length} protected VMs`}`,
            onClick: onTestAll,
          }}
        />
      )}
      {protectedVms.length > 0 && (
        <Group justify="center">
          <Button variant="default" leftSection={<IconPlus size={18} />} onClick={onNewPlan}>
            Make a recovery plan
          </Button>
        </Group>
      )}
    </>
  );
}
