import { Alert, Box, PasswordInput, Stack } from '@mantine/core';
import { IconKey } from '@tabler/icons-react';
import type { Problems } from '../../model/input-problems';
import { PassphraseMeter } from '../../components/PassphraseMeter';

/** Step 3: the vault passphrase, typed twice, with its strength as the engine judges it. */
export function PassphraseStep({
  passphrase,
  confirmation,
  onPassphrase,
  onConfirmation,
  errors,
}: {
  passphrase: string;
  confirmation: string;
  onPassphrase(value: string): void;
  onConfirmation(value: string): void;
  errors: Problems;
}) {
  return (
    <Stack>
      <Alert variant="light" color="orange" icon={<IconKey />} title="This passphrase encrypts everything in the vault">
        If it is lost, nobody — not even Lifeboat support — can restore your VMs. The next step helps you keep it safe.
      </Alert>
      <Box>
        <PasswordInput
          label="Vault passphrase"
          description="At least 12 characters. A few unrelated words work well."
          value={passphrase}
          onChange={(e) => onPassphrase(e.currentTarget.value)}
          error={errors.passphrase}
          autoComplete="new-password"
          autoFocus
          required
          mb="xs"
        />
        <PassphraseMeter value={passphrase} />
      </Box>
      <PasswordInput
        label="Type it again"
        value={confirmation}
        onChange={(e) => onConfirmation(e.currentTarget.value)}
        error={errors.confirmation}
        autoComplete="new-password"
        required
      />
    </Stack>
  );
}
