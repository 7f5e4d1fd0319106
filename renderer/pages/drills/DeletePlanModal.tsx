import { Button, Group, Modal, Text } from '@mantine/core';
import type { RecoveryPlan } from '../../../core/contract/drills';

/** Asks before a plan goes; its drills stay on record. */
export function DeletePlanModal({
  plan,
  onKeep,
  onDelete,
}: {
  plan: RecoveryPlan | null;
  onKeep(): void;
  onDelete(plan: RecoveryPlan): void;
}) {
  return (
    <Modal opened={plan !== null} onClose={onKeep} title={`Delete the plan “${plan?.name}”?`}>
      <Text size="sm">Its past drills stay on record for your reports.</Text>
      <Group justify="flex-end" mt="lg">
        <Button variant="default" onClick={onKeep}>
          Keep it
        </Button>
        <Button color="red" onClick={() => onDelete(plan!)}>
          Delete plan
        </Button>
      </Group>
    </Modal>
  );
}
