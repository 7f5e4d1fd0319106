import { Alert, Button, Group, PasswordInput, SegmentedControl, SimpleGrid, Stack, Text, TextInput } from '@mantine/core';
import { IconInfoCircle } from '@tabler/icons-react';
import { useState } from 'react';
import { LifeboatError } from '../../core/contract/errors';
import { firstRunVault, type FirstRunVault } from '../../core/contract/settings';
import { api } from '../api';
import { ErrorNotice } from './ErrorNotice';

/** Where a vault lives, as the user fills it in: a folder or share, Azure Blob or S3-compatible storage. */
export interface VaultForm {
  kind: 'folder' | 'azure' | 's3';
  folder: string;
  container: string;
  prefix: string;
  connectionString: string;
  endpoint: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
}

export const EMPTY_VAULT: VaultForm = {
  kind: 'folder',
  folder: '',
  container: '',
  prefix: '',
  connectionString: '',
  endpoint: '',
  region: '',
  accessKeyId: '',
  secretAccessKey: '',
};

function cloudPath(scheme: 'azblob' | 's3', form: VaultForm): string {
  const prefix = form.prefix.trim().replace(/^\/+|\/+$/g, '');
  return `${scheme}://${form.container.trim()}${prefix ? `/${prefix}` : ''}`;
}

export function vaultInput(form: VaultForm): FirstRunVault {
  if (form.kind === 'folder') return { kind: 'folder', path: form.folder };
  if (form.kind === 'azure')
    return { kind: 'azure', path: cloudPath('azblob', form), credentials: { connectionString: form.connectionString.trim() } };
  return {
    kind: 's3',
    path: cloudPath('s3', form),
    credentials: {
      accessKeyId: form.accessKeyId.trim(),
      secretAccessKey: form.secretAccessKey,
      ...(form.endpoint.trim() ? { endpoint: form.endpoint.trim() } : {}),
      ...(form.region.trim() ? { region: form.region.trim() } : {}),
    },
  };
}

const VAULT_KINDS = [
  { value: 'folder', label: 'Folder or network share' },
  { value: 'azure', label: 'Azure Blob Storage' },
  { value: 's3', label: 'S3-compatible storage' },
];

export function VaultLocationFields({
  form,
  onChange,
  errors,
}: {
  form: VaultForm;
  onChange(form: VaultForm): void;
  errors: Record<string, string>;
}) {
  const [testing, setTesting] = useState(false);
  const [tested, setTested] = useState<{ ok: string } | { error: LifeboatError } | null>(null);
  const set = (change: Partial<VaultForm>): void => {
    setTested(null);
    onChange({ ...form, ...change });
  };
  const pathError = errors['path'];
  const credentialError = (field: string): string | undefined => errors[`credentials.${field}`];

  const test = async (): Promise<void> => {
    const input = vaultInput(form);
    const parsed = firstRunVault.safeParse(input);
    if (!parsed.success) {
      setTested({ error: new LifeboatError('INVALID_INPUT', parsed.error.issues[0]?.message ?? 'Check the fields above.') });
      return;
    }
    setTesting(true);
    try {
      const result = await api.testTarget({
        location: input.path,
        ...('credentials' in input && input.credentials ? { credentials: input.credentials } : {}),
      });
      const proved = `Lifeboat ${result.proof}.`;
      setTested({
        ok: result.vaultExists
          ? `${proved} A Lifeboat vault is already there: it will be used with the passphrase you enter next.`
          : `${proved} The vault will be created there in the next step.`,
      });
    } catch (error) {
      setTested({ error: error as LifeboatError });
    } finally {
      setTesting(false);
    }
  };

  return (
    <Stack>
      <Text>Where should the encrypted copies of your VMs be kept?</Text>
      <SegmentedControl
        aria-label="Kind of vault"
        data={VAULT_KINDS}
        value={form.kind}
        onChange={(value) => set({ kind: value as VaultForm['kind'] })}
      />
      {form.kind === 'folder' && (
        <>
          <TextInput
            label="Vault folder"
            description="A folder on a second disk, a NAS, or a network share such as \\server\backups."
            value={form.folder}
            onChange={(e) => set({ folder: e.currentTarget.value })}
            error={pathError}
            autoFocus
            required
          />
          <Alert variant="light" color="blue" icon={<IconInfoCircle />}>
            Copies on the same disk as your VMs won&apos;t survive that disk failing. If you can, choose another disk or a share on another
            machine.
          </Alert>
        </>
      )}
      {form.kind === 'azure' && (
        <>
          <SimpleGrid cols={{ base: 1, sm: 2 }}>
            <TextInput
              label="Container"
              description="Lowercase letters, digits and hyphens; created if it does not exist."
              placeholder="lifeboat"
              value={form.container}
              onChange={(e) => set({ container: e.currentTarget.value })}
              error={pathError}
              required
            />
            <TextInput
              label="Folder in the container (optional)"
              placeholder="office"
              value={form.prefix}
              onChange={(e) => set({ prefix: e.currentTarget.value })}
            />
          </SimpleGrid>
          <PasswordInput
            label="Connection string"
            description="Azure portal → your storage account → Access keys → Connection string. Kept encrypted on this computer, never shown again."
            value={form.connectionString}
            onChange={(e) => set({ connectionString: e.currentTarget.value })}
            error={credentialError('connectionString')}
            autoComplete="off"
            required
          />
        </>
      )}
      {form.kind === 's3' && (
        <>
          <SimpleGrid cols={{ base: 1, sm: 2 }}>
            <TextInput
              label="Bucket"
              placeholder="acme-lifeboat"
              value={form.container}
              onChange={(e) => set({ container: e.currentTarget.value })}
              error={pathError}
              required
            />
            <TextInput
              label="Folder in the bucket (optional)"
              placeholder="office"
              value={form.prefix}
              onChange={(e) => set({ prefix: e.currentTarget.value })}
            />
            <TextInput
              label="Endpoint URL"
              description="Leave empty for Amazon S3; for Wasabi, Backblaze, MinIO… their S3 endpoint."
              placeholder="https://s3.eu-central-1.wasabisys.com"
              value={form.endpoint}
              onChange={(e) => set({ endpoint: e.currentTarget.value })}
              error={credentialError('endpoint')}
            />
            <TextInput
              label="Region (optional)"
              placeholder="eu-central-1"
              value={form.region}
              onChange={(e) => set({ region: e.currentTarget.value })}
            />
            <TextInput
              label="Access key id"
              value={form.accessKeyId}
              onChange={(e) => set({ accessKeyId: e.currentTarget.value })}
              error={credentialError('accessKeyId')}
              autoComplete="off"
              required
            />
            <PasswordInput
              label="Secret access key"
              value={form.secretAccessKey}
              onChange={(e) => set({ secretAccessKey: e.currentTarget.value })}
              error={credentialError('secretAccessKey')}
              autoComplete="off"
              required
            />
          </SimpleGrid>
          <Text size="sm" c="dimmed">
            The keys are kept encrypted on this computer and never shown again. Give them access to this bucket only.
          </Text>
        </>
      )}
      <Group>
        <Button variant="default" onClick={() => void test()} loading={testing}>
          Test connection
        </Button>
        {tested && 'ok' in tested && (
          <Text size="sm" c="green" role="status" data-testid="vault-test-result">
            {tested.ok}
          </Text>
        )}
      </Group>
      {tested && 'error' in tested && <ErrorNotice error={tested.error} title="Lifeboat cannot use this vault location" />}
    </Stack>
  );
}
