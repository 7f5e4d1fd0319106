import { Button, Group } from '@mantine/core';

/**
 * Creating walks forward to "Protect and copy now" on the last step; editing can save from any step, with
 * Next still there to look at the others.
 */
export function ProtectButtons({
  editing,
  last,
  first,
  saving,
  onBack,
  onNext,
  onSave,
}: {
  editing: boolean;
  last: boolean;
  first: boolean;
  saving: boolean;
  onBack(): void;
  onNext(): void;
  onSave(): void;
}) {
  return (
    <Group justify="space-between">
      <Button variant="default" onClick={onBack} disabled={first || saving}>
        Back
      </Button>
      {editing ? (
        <Group gap="xs">
          {!last && (
            <Button variant="default" onClick={onNext}>
              Next
            </Button>
          )}
          <Button onClick={onSave} loading={saving}>
            Save changes
          </Button>
        </Group>
      ) : !last ? (
        <Button onClick={onNext}>Next</Button>
      ) : (
        <Button onClick={onSave} loading={saving}>
          Protect and copy now
        </Button>
      )}
    </Group>
  );
}
