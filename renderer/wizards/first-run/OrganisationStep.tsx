import { TextInput } from '@mantine/core';

/** Step 1: who the reports are for. */
export function OrganisationStep({
  organisation,
  onChange,
  error,
}: {
  organisation: string;
  onChange(value: string): void;
  error: string | undefined;
}) {
  return (
    <TextInput
      label="Organisation name"
      description="Shown on the reports you give your auditor."
      placeholder="Contoso Ltd"
      value={organisation}
      onChange={(e) => onChange(e.currentTarget.value)}
      error={error}
      data-autofocus
      autoFocus
      required
    />
  );
}
