import { Badge, Button, Code, Group, Modal, Paper, Stack, Switch, Table, Text, TextInput, Title } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useState, type ReactNode } from 'react';
import type { LifeboatError } from '../../core/contract/errors';
import type { Host } from '../../core/contract/hosts';
import type { Settings, VaultTarget } from '../../core/contract/types';
import { api, transport } from '../api';
import { AddHostModal } from '../components/AddHostModal';
import { ConfirmRemove } from '../components/ConfirmRemove';
import { ConcurrencyForm } from '../components/ConcurrencyForm';
import { EmailSettingsForm } from '../components/EmailSettingsForm';
import { ErrorNotice } from '../components/ErrorNotice';
import { EMPTY_VAULT, vaultInput, VaultLocationFields, type VaultForm } from '../components/VaultLocationFields';
import { browserDesktopNotifications, setBrowserDesktopNotifications } from '../components/JobToasts';
import { PageHeader } from '../components/PageHeader';
import { formatAgo, formatDate, plural } from '../format';
import { useEngineQuery } from '../hooks';

const KIND_LABEL = {
  hyperv: 'Hyper-V',
  vsphere: 'VMware vSphere',
  workstation: 'VMware Workstation',
  azure: 'Azure recovery site',
} as const;

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
  const status = useEngineQuery('getStatus');
  const email = useEngineQuery('getEmailSettings');
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
      </Section>
      <VaultSection settings={settings} />
      <HostsSection />
      <Section
        id="notifications"
        title="Notifications"
        description="How Lifeboat tells you about failed copies, VMs outside their RPO, and drill results."
      >
        <DesktopNotifications />
        <Title order={3} size="h5" mt="lg" mb="xs">
          Email
        </Title>
        {email.data && <EmailSettingsForm initial={email.data} />}
      </Section>
      <Section
        id="jobs"
        title="Jobs at the same time"
        description="More at once finishes a round of copies sooner, if the hosts and the line to the vault keep up."
      >
        <ConcurrencyForm settings={settings} onSaved={onSaved} />
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
                  ? `${plural(status.data.counts.hosts, 'host')}, ${plural(status.data.counts.vms, 'VM')}, ${plural(status.data.counts.policies, 'policy', 'policies')}, ${plural(status.data.counts.recoveryPoints, 'recovery point')}, ${plural(status.data.counts.drills, 'drill')} (schema ${status.data.schemaVersion})`
                  : '…'}
              </Table.Td>
            </Table.Tr>
          </Table.Tbody>
        </Table>
      </Section>
    </Stack>
  );
}

const TARGET_KIND = { folder: 'Folder or network share', azure: 'Azure Blob Storage', s3: 'S3-compatible storage' } as const;

function VaultSection({ settings }: { settings: Settings }) {
  const targets = useEngineQuery('listTargets');
  const [adding, setAdding] = useState(false);
  const [removing, setRemoving] = useState<VaultTarget | null>(null);
  const [failure, setFailure] = useState<LifeboatError | null>(null);
  return (
    <Section
      id="vault"
      title="Vault and targets"
      description="Where the encrypted copies of your VMs are kept. The first is the vault chosen at setup; a policy can send copies to any of them."
    >
      {failure && <ErrorNotice error={failure} />}
      <Table verticalSpacing="xs" mb="sm">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Name</Table.Th>
            <Table.Th>Kind</Table.Th>
            <Table.Th>Location</Table.Th>
            <Table.Th>Credentials</Table.Th>
            <Table.Th />
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {(targets.data ?? (settings.vault ? [{ ...settings.vault, isDefault: true }] : [])).map((target) => (
            <Table.Tr key={target.id} data-testid="settings-target">
              <Table.Td>
                <Group gap="xs">
                  <Text size="sm" fw={500}>
                    {target.name}
                  </Text>
                  {target.id === settings.vault?.id && (
                    <Badge variant="light" color="gray">
                      Default
                    </Badge>
                  )}
                </Group>
              </Table.Td>
              <Table.Td>{TARGET_KIND[target.location.kind]}</Table.Td>
              <Table.Td data-testid={target.id === settings.vault?.id ? 'vault-location' : undefined} style={{ wordBreak: 'break-all' }}>
                {target.location.path}
              </Table.Td>
              <Table.Td>
                {target.hasCredentials ? 'Stored encrypted' : target.location.kind === 'folder' ? '—' : "From the engine's environment"}
              </Table.Td>
              <Table.Td>
                {target.id !== settings.vault?.id && (
                  <Button
                    size="compact-sm"
                    variant="subtle"
                    color="red"
                    onClick={() => setRemoving(target)}
                    aria-label={`Remove ${target.name}`}
                  >
                    Remove
                  </Button>
                )}
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
      <Group justify="space-between" align="center">
        <Group gap="xs">
          <Text size="sm" fw={500}>
            Vault passphrase:
          </Text>
          {settings.passphraseStored ? (
            <>
              <Badge color="green" variant="light">
                Stored encrypted
              </Badge>
              <Text size="sm" c="dimmed">
                Kept on this computer so scheduled copies can run. It is never shown.
              </Text>
            </>
          ) : (
            <Badge color="red" variant="light">
              Not stored
            </Badge>
          )}
        </Group>
        <Button variant="default" onClick={() => setAdding(true)}>
          Add a target
        </Button>
      </Group>
      <AddTargetModal opened={adding} onClose={() => setAdding(false)} onAdded={() => (setAdding(false), targets.reload())} />
      <ConfirmRemove
        item={removing}
        title={(target) => `Remove the target ${target.name}?`}
        consequence="Lifeboat stops using it. The vault there is not touched: its copies stay where they are."
        action="Remove target"
        onClose={() => setRemoving(null)}
        onConfirm={(target) => {
          setFailure(null);
          void api
            .removeTarget({ id: target.id })
            .catch((error: LifeboatError) => setFailure(error))
            .finally(targets.reload);
        }}
      />
    </Section>
  );
}

function AddTargetModal({ opened, onClose, onAdded }: { opened: boolean; onClose(): void; onAdded(): void }) {
  const [name, setName] = useState('');
  const [form, setForm] = useState<VaultForm>({ ...EMPTY_VAULT });
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<LifeboatError | null>(null);
  const add = async (): Promise<void> => {
    const input = vaultInput(form);
    setBusy(true);
    setFailure(null);
    try {
      await api.addTarget({
        name: name.trim() || `${TARGET_KIND[input.kind]} ${input.path}`.slice(0, 100),
        location: input.path,
        ...('credentials' in input && input.credentials ? { credentials: input.credentials } : {}),
      });
      setName('');
      setForm({ ...EMPTY_VAULT });
      onAdded();
    } catch (error) {
      setFailure(error as LifeboatError);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Modal opened={opened} onClose={onClose} title="Add a target" size="lg">
      <Stack>
        <TextInput label="Name" placeholder="Offsite copy" value={name} onChange={(e) => setName(e.currentTarget.value)} />
        <VaultLocationFields form={form} onChange={setForm} errors={{}} />
        {failure && <ErrorNotice error={failure} title="The target was not added" />}
        <Group justify="flex-end">
          <Button onClick={() => void add()} loading={busy}>
            Check and add
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}

function HostsSection() {
  const hosts = useEngineQuery('listHosts');
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
                  <Badge
                    color={host.status === 'ok' ? 'green' : host.status === 'error' ? 'red' : 'gray'}
                    variant="light"
                    title={host.statusMessage ?? undefined}
                  >
                    {host.status === 'ok' ? 'Reachable' : host.status === 'error' ? 'Problem' : 'Not checked'}
                  </Badge>
                </Table.Td>
                <Table.Td>
                  <Button
                    size="compact-sm"
                    variant="subtle"
                    color="red"
                    onClick={() => setRemoving(host)}
                    aria-label={`Remove ${host.name}`}
                  >
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
      <ConfirmRemove
        item={removing}
        title={(host) => `Remove ${host.name}?`}
        consequence="Lifeboat forgets this host and its VMs. Nothing on the host changes, and copies in the vault stay there."
        action="Remove host"
        onClose={() => setRemoving(null)}
        onConfirm={(host) => {
          setFailure(null);
          void api
            .removeHost({ id: host.id })
            .catch((error: LifeboatError) => setFailure(error))
            .finally(hosts.reload);
        }}
      />
    </Section>
  );
}

function DesktopNotifications() {
  const [state, setState] = useState(browserDesktopNotifications);
  if (transport === 'electron') {
    return (
      <Text size="sm">
        The desktop app shows a notification when a copy or drill fails, when a VM gets outside its RPO, and when a drill finishes.
      </Text>
    );
  }
  return (
    <Switch
      label="Show desktop notifications from this browser"
      description={
        state.supported
          ? 'For failures, VMs outside their RPO and drill results, while this page is open.'
          : 'This browser cannot show notifications.'
      }
      disabled={!state.supported}
      checked={state.enabled}
      onChange={(e) => {
        const on = e.currentTarget.checked;
        void setBrowserDesktopNotifications(on).then((granted) => {
          setState(browserDesktopNotifications());
          if (on && !granted)
            notifications.show({
              color: 'yellow',
              message: 'The browser did not allow notifications. Allow them for this site in the browser settings, then try again.',
            });
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
    <Section
      id="data"
      title="Data folder and support"
      description="Lifeboat's catalog, logs and drill evidence live in this folder on the engine's computer. Back it up with the rest of the machine; the vault alone can rebuild it."
    >
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
            Saved to <Code>{result}</Code> (logs and catalog, with every secret removed).
          </Text>
        )}
      </Group>
      {failure && <ErrorNotice error={failure} />}
    </Section>
  );
}
