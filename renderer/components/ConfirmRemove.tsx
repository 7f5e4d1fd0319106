import { Button, Group, Modal, Text } from '@mantine/core';

/** "Remove X?" with what it means and a red button; `item` null keeps it closed. */
export function ConfirmRemove<T>({
  item,
  title,
  consequence,
  action,
  onClose,
  onConfirm,
}: {
  item: T | null;
  title(item: T): string;
  consequence: string;
  action: string;
  onClose(): void;
  onConfirm(item: T): void;
}) {
  return (
    <Modal opened={item !== null} onClose={onClose} title={item === null ? '' : title(item)}>
      <Text size="sm">{consequence}</Text>
      <Group justify="flex-end" mt="lg">
        <Button variant="default" onClick={onClose}>
          Keep it
        </Button>
        <Button
          color="red"
          onClick={() => {
            const chosen = item!;
            onClose();
            onConfirm(chosen);
          }}
        >
          {action}
        </Button>
      </Group>
    </Modal>
  );
}
