import { Badge, Button, Code, Group, Paper, Stack, Switch, Table, Text, TextInput, Title } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useState } from 'react';
import type { LifeboatError } from '../../core/contract/errors';
import type { EmailSettings } from '../../core/contract/notifications';
import type { Settings, Status } from '../../core/contract/types';
import { EmailSettingsForm } from '../components/EmailSettingsForm';
import { api, transport } from '../api';
import { PageHeader } from '../components/PageHeader';
import { useEngine } from '../hooks';

export function SettingsPage({ settings, onSaved }: { settings: Settings; onSaved(settings: Settings): void }) {
  const status = useEngine<Status>(() => api.getStatus());
  const email = useEngine<EmailSettings>(() => api.getEmailSettings());
  const [organisation, setOrganisation] = useState(settings.organisation ?? '');
  const [error, setError] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);

  const save = async (): Promise<void> => {
    setSaving(true);
    try {
      const saved = await api.updateSettings({ organisation });
      setError(null);
      onSaved(saved);
      notifications.show({ color: 'green', message: 'Organisation name saved.' });
    } catch (failure) {
      setError((failure as LifeboatError).message);
    } finally {
      setSaving(false);
    }
  };

  return (
    <Stack>
      <PageHeader title="Settings" />
      <Paper withBorder p="lg">
        <Title order={4} mb="sm">
          Organisation
        </Title>
        <Group align="flex-end">
          <TextInput
            label="Organisation name"
            description="Shown on reports."
            value={organisation}
            onChange={(e) => setOrganisation(e.currentTarget.value)}
            error={error}
            w={360}
          />
          <Button onClick={() => void save()} loading={saving} disabled={organisation === settings.organisation}>
            Save
          </Button>
        </Group>
      </Paper>
      <Paper withBorder p="lg">
        <Title order={4} mb="sm">
          Vault
        </Title>
        <Table variant="vertical" layout="fixed" withTableBorder={false}>
          <Table.Tbody>
            <Table.Tr>
              <Table.Th w={200}>Location</Table.Th>
              <Table.Td data-testid="vault-location">{settings.vault ? settings.vault.location.path : 'Not chosen yet'}</Table.Td>
            </Table.Tr>
            <Table.Tr>
              <Table.Th>Kind</Table.Th>
              <Table.Td>{settings.vault ? 'Folder or network share' : '—'}</Table.Td>
            </Table.Tr>
            <Table.Tr>
              <Table.Th>Passphrase</Table.Th>
              <Table.Td>
                {settings.passphraseStored ? (
                  <Group gap="xs">
                    <Badge color="green" variant="light">
                      Stored encrypted
                    </Badge>
                    <Text size="sm" c="dimmed">
                      Kept on this computer so scheduled copies can run. It is never shown.
                    </Text>
                  </Group>
                ) : (
                  <Badge color="red" variant="light">
                    Not stored
                  </Badge>
                )}
              </Table.Td>
            </Table.Tr>
          </Table.Tbody>
        </Table>
      </Paper>
      <Paper withBorder p="lg">
        <Title order={4} mb="sm">
          Email alerts
        </Title>
        {email.data && <EmailSettingsForm initial={email.data} />}
      </Paper>
      <Paper withBorder p="lg">
        <Title order={4} mb="sm">
          Desktop app
        </Title>
        <Stack gap="xs">
          <Switch
            label="Start Lifeboat in the tray when I sign in"
            description="Schedules and drills run while the app is in the tray, even with the window closed."
            checked={settings.desktop.startAtLogin}
            onChange={(e) => void api.updateSettings({ startAtLogin: e.currentTarget.checked }).then(onSaved)}
          />
          <Switch
            label="Install updates automatically"
            description="Off by default: updates are installed only when you choose to."
            checked={settings.desktop.autoUpdate}
            onChange={(e) => void api.updateSettings({ autoUpdate: e.currentTarget.checked }).then(onSaved)}
          />
        </Stack>
      </Paper>
      <Paper withBorder p="lg">
        <Title order={4} mb="sm">
          About
        </Title>
        <Table variant="vertical" layout="fixed" withTableBorder={false}>
          <Table.Tbody>
            <Table.Tr>
              <Table.Th w={200}>Version</Table.Th>
              <Table.Td>{status.data?.version ?? '…'}</Table.Td>
            </Table.Tr>
            <Table.Tr>
              <Table.Th>Data folder</Table.Th>
              <Table.Td>
                <Code>{settings.dataDir}</Code>
              </Table.Td>
            </Table.Tr>
            <Table.Tr>
              <Table.Th>Console</Table.Th>
              <Table.Td>{transport === 'electron' ? 'Desktop app' : 'Browser (lifeboat serve)'}</Table.Td>
            </Table.Tr>
          </Table.Tbody>
        </Table>
      </Paper>
    </Stack>
  );
}
