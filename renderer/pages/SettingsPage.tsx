import { Anchor, Badge, Button, Code, Group, Modal, Paper, Stack, Switch, Table, Text, TextInput, Title } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useState, type ReactNode } from 'react';
import type { LifeboatError } from '../../core/contract/errors';
import type { Host } from '../../core/contract/hosts';
import type { EmailSettings } from '../../core/contract/notifications';
import type { Settings, Status } from '../../core/contract/types';
import { api, transport } from '../api';
import { AddHostModal } from '../components/AddHostModal';
import { EmailSettingsForm } from '../components/EmailSettingsForm';
import { ErrorNotice } from '../components/ErrorNotice';
import { browserDesktopNotifications, setBrowserDesktopNotifications } from '../components/JobToasts';
import { PageHeader } from '../components/PageHeader';
import { formatAgo, formatDate } from '../format';
import { useEngine } from '../hooks';

const KIND_LABEL = { hyperv: 'Hyper-V', vsphere: 'VMware vSphere', workstation: 'VMware Workstation' } as const;

function Section({ title, description, children, id }: { title: string; description?: string; children: ReactNode; id: string }) {
  return (
    <Paper withBorder p="lg" component="section" aria-labelledby={`settings-${id}`}>
      <Title order={2} size="h4" id={`settings-${id}`}>
        {title}
      </Title>
      {description && (
        <Text size="sm" c="dimmed" mb="sm">
          {description}
        </Text>
      )}
      <div style={{ marginTop: description ? 0 : 12 }}>{children}</div>
    </Paper>
  );
}

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
      <Section id="organisation" title="Organisation">
        <Group align="flex-end">
          <TextInput label="Organisation name" description="Shown on reports." value={organisation} onChange={(e) => setOrganisation(e.currentTarget.value)} error={error} w={360} />
          <Button onClick={() => void save()} loading={saving} disabled={organisation === settings.organisation}>
            Save
          </Button>
        </Group>
      </Section>
      <VaultSection settings={settings} />
      <HostsSection />
      <Section id="notifications" title="Notifications" description="How Lifeboat tells you about failed copies, VMs outside their RPO, and drill results.">
        <DesktopNotifications />
        <Title order={3} size="h5" mt="lg" mb="xs">
          Email
        </Title>
        {email.data && <EmailSettingsForm initial={email.data} />}
      </Section>
      <Section id="desktop" title="Desktop app">
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
      </Section>
      <DataSection settings={settings} />
      <Section id="about" title="About">
        <Table variant="vertical" layout="fixed" withTableBorder={false}>
          <Table.Tbody>
            <Table.Tr>
              <Table.Th w={200}>Version</Table.Th>
              <Table.Td>{status.data?.version ?? '…'}</Table.Td>
            </Table.Tr>
            <Table.Tr>
              <Table.Th>Console</Table.Th>
              <Table.Td>{transport === 'electron' ? 'Desktop app' : 'Browser (lifeboat serve)'}</Table.Td>
            </Table.Tr>
            <Table.Tr>
              <Table.Th>Engine running since</Table.Th>
              <Table.Td>{status.data ? formatDate(status.data.startedAt) : '…'}</Table.Td>
            </Table.Tr>
            <Table.Tr>
              <Table.Th>Catalog</Table.Th>
              <Table.Td>
                {status.data
                  ? `${status.data.counts.hosts} hosts, ${status.data.counts.vms} VMs, ${status.data.counts.policies} policies, ${status.data.counts.recoveryPoints} recovery points, ${status.data.counts.drills} drills (schema ${status.data.schemaVersion})`
                  : '…'}
              </Table.Td>
            </Table.Tr>
          </Table.Tbody>
        </Table>
      </Section>
    </Stack>
  );
}

function VaultSection({ settings }: { settings: Settings }) {
  const vault = settings.vault;
  return (
    <Section id="vault" title="Vault" description="Where the encrypted copies of your VMs are kept.">
      <Table variant="vertical" layout="fixed" withTableBorder={false}>
        <Table.Tbody>
          <Table.Tr>
            <Table.Th w={200}>Name</Table.Th>
            <Table.Td>{vault?.name ?? 'Not chosen yet'}</Table.Td>
          </Table.Tr>
          <Table.Tr>
            <Table.Th>Location</Table.Th>
            <Table.Td data-testid="vault-location">{vault ? vault.location.path : 'Not chosen yet'}</Table.Td>
          </Table.Tr>
          <Table.Tr>
            <Table.Th>Kind</Table.Th>
            <Table.Td>{vault ? 'Folder or network share' : '—'}</Table.Td>
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
    </Section>
  );
}

function HostsSection() {
  const hosts = useEngine<Host[]>(() => api.listHosts(), ['inventory.changed']);
  const [adding, setAdding] = useState(false);
  const [removing, setRemoving] = useState<Host | null>(null);
  const [failure, setFailure] = useState<LifeboatError | null>(null);
  return (
    <Section id="hosts" title="Hosts" description="The Hyper-V hosts, VMware servers and Workstation folders Lifeboat lists VMs from.">
      {failure && <ErrorNotice error={failure} />}
      {(hosts.data?.length ?? 0) > 0 && (
        <Table verticalSpacing="xs" mb="sm">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Host</Table.Th>
              <Table.Th>Kind</Table.Th>
              <Table.Th>VMs</Table.Th>
              <Table.Th>Last contact</Table.Th>
              <Table.Th>Status</Table.Th>
              <Table.Th />
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {hosts.data!.map((host) => (
              <Table.Tr key={host.id} data-testid="settings-host">
                <Table.Td>
                  <Text size="sm" fw={500}>
                    {host.name}
                  </Text>
                  <Text size="xs" c="dimmed">
                    {host.address ?? host.settings.folders?.join(', ') ?? 'This computer'}
                  </Text>
                </Table.Td>
                <Table.Td>{KIND_LABEL[host.kind]}</Table.Td>
                <Table.Td>{host.vmCount}</Table.Td>
                <Table.Td>{formatAgo(host.lastSeenAt)}</Table.Td>
                <Table.Td>
                  <Badge color={host.status === 'ok' ? 'green' : host.status === 'error' ? 'red' : 'gray'} variant="light" title={host.statusMessage ?? undefined}>
                    {host.status === 'ok' ? 'Reachable' : host.status === 'error' ? 'Problem' : 'Not checked'}
                  </Badge>
                </Table.Td>
                <Table.Td>
                  <Button size="compact-sm" variant="subtle" color="red" onClick={() => setRemoving(host)} aria-label={`Remove ${host.name}`}>
                    Remove
                  </Button>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
      <Button variant="default" onClick={() => setAdding(true)}>
        Add host
      </Button>
      <AddHostModal
        opened={adding}
        onClose={() => setAdding(false)}
        onAdded={(host) => {
          setAdding(false);
          void api.discover({ hostId: host.id }).finally(hosts.reload);
        }}
      />
      <Modal opened={removing !== null} onClose={() => setRemoving(null)} title={`Remove ${removing?.name}?`}>
        <Text size="sm">Lifeboat forgets this host and its VMs. Nothing on the host changes, and copies in the vault stay there.</Text>
        <Group justify="flex-end" mt="lg">
          <Button variant="default" onClick={() => setRemoving(null)}>
            Keep it
          </Button>
          <Button
            color="red"
            onClick={() => {
              const host = removing!;
              setRemoving(null);
              setFailure(null);
              void api
                .removeHost({ id: host.id })
                .catch((error: LifeboatError) => setFailure(error))
                .finally(hosts.reload);
            }}
          >
            Remove host
          </Button>
        </Group>
      </Modal>
    </Section>
  );
}

function DesktopNotifications() {
  const [state, setState] = useState(browserDesktopNotifications);
  if (transport === 'electron') {
    return <Text size="sm">The desktop app shows a notification when a copy or drill fails, when a VM gets outside its RPO, and when a drill finishes.</Text>;
  }
  return (
    <Switch
      label="Show desktop notifications from this browser"
      description={state.supported ? 'For failures, VMs outside their RPO and drill results, while this page is open.' : 'This browser cannot show notifications.'}
      disabled={!state.supported}
      checked={state.enabled}
      onChange={(e) => {
        const on = e.currentTarget.checked;
        void setBrowserDesktopNotifications(on).then((granted) => {
          setState(browserDesktopNotifications());
          if (on && !granted) notifications.show({ color: 'yellow', message: 'The browser did not allow notifications. Allow them for this site in the browser settings, then try again.' });
        });
      }}
    />
  );
}

function DataSection({ settings }: { settings: Settings }) {
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<string | null>(null);
  const [failure, setFailure] = useState<LifeboatError | null>(null);
  return (
    <Section id="data" title="Data folder and support" description="Lifeboat's catalog, logs and drill evidence live in this folder on the engine's computer. Back it up with the rest of the machine; the vault alone can rebuild it.">
      <Code block>{settings.dataDir}</Code>
      <Group mt="sm">
        <Button
          variant="default"
          loading={busy}
          onClick={() => {
            setBusy(true);
            setFailure(null);
            void api
              .exportDiagnostics({})
              .then((exported) => setResult(exported.file))
              .catch((error: LifeboatError) => setFailure(error))
              .finally(() => setBusy(false));
          }}
        >
          Export diagnostics for support
        </Button>
        {result && (
          <Text size="sm">
            Saved to <Anchor component="span">{result}</Anchor> (logs and catalog, with every secret removed).
          </Text>
        )}
      </Group>
      {failure && <ErrorNotice error={failure} />}
    </Section>
  );
}
