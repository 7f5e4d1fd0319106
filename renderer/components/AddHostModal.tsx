import { Button, Checkbox, Group, Modal, PasswordInput, SegmentedControl, Stack, Text, TextInput } from '@mantine/core';
import { useState, type FormEvent } from 'react';
import type { LifeboatError } from '../../core/contract/errors';
import type { AddHostInput, CertificateInfo, Host, HostKind as AnyHostKind } from '../../core/contract/hosts';

/** Hosts VMs are discovered on; an Azure recovery site is added with `lifeboat hosts add azure` (its form is not built yet). */
type HostKind = Exclude<AnyHostKind, 'azure'>;
import { api } from '../api';
import { CertificateConfirmation } from './CertificateConfirmation';
import { ErrorNotice } from './ErrorNotice';

const KINDS: { value: HostKind; label: string }[] = [
  { value: 'hyperv', label: 'Hyper-V' },
  { value: 'vsphere', label: 'VMware vSphere' },
  { value: 'workstation', label: 'VMware Workstation' },
];

interface HostForm {
  kind: HostKind;
  name: string;
  address: string;
  username: string;
  password: string;
  folder: string;
  plainHttp: boolean;
  remote: boolean;
}

/** What the form asks the engine: only the fields the chosen kind of host uses. */
function addHostInput({ kind, name, address, username, password, folder, plainHttp, remote }: HostForm, thumbprint?: string): AddHostInput {
  const named = name.trim() ? { name: name.trim() } : {};
  if (kind === 'workstation') return { kind, folders: [folder], ...named };
  if (kind === 'hyperv') {
    if (!remote) return { kind, ...named };
    return { kind, ...named, address, ...(username.trim() ? { username, password } : {}) };
  }
  return { kind, address, username, password, scheme: plainHttp ? 'http' : 'https', ...named, ...(thumbprint ? { thumbprint } : {}) };
}

/** Adds a host: the engine checks the connection first; a self-signed vSphere certificate is shown to confirm. */
export function AddHostModal({ opened, onClose, onAdded }: { opened: boolean; onClose(): void; onAdded(host: Host): void }) {
  const [kind, setKind] = useState<HostKind>('vsphere');
  const [name, setName] = useState('');
  const [address, setAddress] = useState('');
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [folder, setFolder] = useState('');
  const [plainHttp, setPlainHttp] = useState(false);
  const [remote, setRemote] = useState(false);
  /** The thumbprint the user confirmed for this address: retries (a mistyped password) do not ask again. */
  const [trusted, setTrusted] = useState<string | null>(null);
  const [certificate, setCertificate] = useState<CertificateInfo | null>(null);
  const [failure, setFailure] = useState<LifeboatError | null>(null);
  const [saving, setSaving] = useState(false);

  const reset = (): void => {
    setCertificate(null);
    setFailure(null);
    setPassword('');
  };

  const input = (thumbprint?: string): AddHostInput =>
    addHostInput({ kind, name, address, username, password, folder, plainHttp, remote }, thumbprint);

  const submit = async (thumbprint: string | undefined = trusted ?? undefined): Promise<void> => {
    setSaving(true);
    setFailure(null);
    try {
      const host = await api.addHost(input(thumbprint));
      // The next host starts from a clean form (a lab's "plain HTTP" must not carry over to a real host).
      reset();
      setTrusted(null);
      setName('');
      setAddress('');
      setUsername('');
      setFolder('');
      setPlainHttp(false);
      onAdded(host);
    } catch (error) {
      const failed = error as LifeboatError;
      if (failed.code === 'CERTIFICATE_CHANGED' && kind === 'vsphere' && !thumbprint) {
        // First contact with a self-signed certificate: show it, and let the user confirm it.
        try {
          setCertificate(await api.inspectCertificate({ address }));
        } catch {
          setFailure(failed);
        }
      } else setFailure(failed);
    } finally {
      setSaving(false);
    }
  };

  const onSubmit = (event: FormEvent): void => {
    event.preventDefault();
    void submit();
  };

  return (
    <Modal
      opened={opened}
      onClose={() => {
        reset();
        onClose();
      }}
      title="Add a host"
      size="lg"
    >
      <form onSubmit={onSubmit} noValidate>
        <Stack>
          <SegmentedControl
            aria-label="Kind of host"
            data={KINDS}
            value={kind}
            onChange={(value) => {
              setKind(value as HostKind);
              reset();
            }}
          />
          {kind === 'hyperv' && (
            <SegmentedControl
              aria-label="Which Hyper-V host"
              data={[
                { value: 'local', label: 'This computer' },
                { value: 'remote', label: 'Another Hyper-V host' },
              ]}
              value={remote ? 'remote' : 'local'}
              onChange={(value) => {
                setRemote(value === 'remote');
                reset();
              }}
            />
          )}
          <HostKindHint kind={kind} remote={remote} />
          {kind === 'hyperv' && !remote ? null : kind === 'workstation' ? (
            <TextInput
              label="Folder"
              placeholder="D:\Virtual Machines"
              value={folder}
              onChange={(e) => setFolder(e.currentTarget.value)}
              required
              data-autofocus
            />
          ) : (
            <TextInput
              label={kind === 'hyperv' ? 'Host name' : 'Host name or IP address'}
              placeholder={kind === 'hyperv' ? 'HV02.corp.local' : 'vcenter.corp.local'}
              value={address}
              onChange={(e) => {
                setAddress(e.currentTarget.value);
                setTrusted(null);
              }}
              required
              data-autofocus
            />
          )}
          {(kind === 'vsphere' || (kind === 'hyperv' && remote)) && (
            <Group grow>
              <TextInput
                label={kind === 'hyperv' ? 'User name (optional)' : 'User name'}
                placeholder={kind === 'hyperv' ? 'CORP\\lifeboat' : 'administrator@vsphere.local'}
                value={username}
                onChange={(e) => setUsername(e.currentTarget.value)}
                autoComplete="off"
              />
              <PasswordInput
                label="Password"
                value={password}
                onChange={(e) => setPassword(e.currentTarget.value)}
                autoComplete="new-password"
              />
            </Group>
          )}
          <TextInput label="Name in Lifeboat (optional)" value={name} onChange={(e) => setName(e.currentTarget.value)} />
          {kind === 'vsphere' && (
            <Checkbox
              label="Plain HTTP (labs and simulators only — never for a production host)"
              checked={plainHttp}
              onChange={(e) => setPlainHttp(e.currentTarget.checked)}
            />
          )}
          {certificate && (
            <CertificateConfirmation
              certificate={certificate}
              saving={saving}
              onTrust={() => {
                setTrusted(certificate.sha256);
                setCertificate(null);
                void submit(certificate.sha256);
              }}
              onCancel={() => setCertificate(null)}
            />
          )}
          {failure && <ErrorNotice error={failure} title="The host was not added" onRetry={() => void submit()} />}
          {!certificate && (
            <Group justify="flex-end">
              <Button type="submit" loading={saving}>
                Check and add
              </Button>
            </Group>
          )}
        </Stack>
      </form>
    </Modal>
  );
}

/** What each kind of host is, and what Lifeboat needs from it. */
function HostKindHint({ kind, remote }: { kind: HostKind; remote: boolean }) {
  return (
    <Text size="sm" c="dimmed">
      {kind === 'vsphere'
        ? 'An ESXi host or a vCenter Server. Use an account that may take snapshots and browse datastores.'
        : kind === 'workstation'
          ? "A folder on this computer that holds VMware Workstation VMs (each a folder with a .vmx file). Workstation's own VM list is read too."
          : remote
            ? 'A remote host needs PowerShell remoting (WinRM) and an account in its Hyper-V Administrators group. Leave the user name empty to use your own Windows account.'
            : 'The Hyper-V host Lifeboat runs on, with your own Windows account (a member of Hyper-V Administrators).'}
    </Text>
  );
}
