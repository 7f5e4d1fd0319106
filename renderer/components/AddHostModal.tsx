import { Alert, Button, Checkbox, Code, Group, Modal, PasswordInput, SegmentedControl, Stack, Text, TextInput } from '@mantine/core';
import { IconCertificate } from '@tabler/icons-react';
import { useState, type FormEvent } from 'react';
import type { LifeboatError } from '../../core/contract/errors';
import type { AddHostInput, CertificateInfo, Host, HostKind } from '../../core/contract/hosts';
import { api } from '../api';
import { ErrorNotice } from './ErrorNotice';

const KINDS: { value: HostKind; label: string }[] = [
  { value: 'hyperv', label: 'Hyper-V' },
  { value: 'vsphere', label: 'VMware vSphere' },
  { value: 'workstation', label: 'VMware Workstation' },
];

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

  const input = (thumbprint?: string): AddHostInput => {
    const named = name.trim() ? { name: name.trim() } : {};
    if (kind === 'workstation') return { kind, folders: [folder], ...named };
    if (kind === 'hyperv') {
      if (!remote) return { kind, ...named };
      return { kind, ...named, address, ...(username.trim() ? { username, password } : {}) };
    }
    return { kind, address, username, password, scheme: plainHttp ? 'http' : 'https', ...named, ...(thumbprint ? { thumbprint } : {}) };
  };

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
            <>
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
              <Text size="sm" c="dimmed">
                {remote
                  ? 'A remote host needs PowerShell remoting (WinRM) and an account in its Hyper-V Administrators group. Leave the user name empty to use your own Windows account.'
                  : 'The Hyper-V host Lifeboat runs on, with your own Windows account (a member of Hyper-V Administrators).'}
              </Text>
            </>
          )}
          {kind === 'vsphere' && (
            <Text size="sm" c="dimmed">
              An ESXi host or a vCenter Server. Use an account that may take snapshots and browse datastores.
            </Text>
          )}
          {kind === 'workstation' && (
            <Text size="sm" c="dimmed">
              A folder on this computer that holds VMware Workstation VMs (each a folder with a .vmx file). Workstation&apos;s own VM list is read too.
            </Text>
          )}
          {kind === 'hyperv' && !remote ? null : kind === 'workstation' ? (
            <TextInput label="Folder" placeholder="D:\Virtual Machines" value={folder} onChange={(e) => setFolder(e.currentTarget.value)} required data-autofocus />
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
              <PasswordInput label="Password" value={password} onChange={(e) => setPassword(e.currentTarget.value)} autoComplete="new-password" />
            </Group>
          )}
          <TextInput label="Name in Lifeboat (optional)" value={name} onChange={(e) => setName(e.currentTarget.value)} />
          {kind === 'vsphere' && (
            <Checkbox label="Plain HTTP (labs and simulators only — never for a production host)" checked={plainHttp} onChange={(e) => setPlainHttp(e.currentTarget.checked)} />
          )}
          {certificate && (
            <Alert color="orange" variant="light" icon={<IconCertificate />} title="Confirm this host's certificate" data-testid="certificate-confirmation">
              <Text size="sm">No certificate authority vouches for this certificate. Compare its thumbprint with the one on the host&apos;s console before you trust it; Lifeboat will then refuse any other certificate.</Text>
              <Text size="sm" mt="xs">
                Issued to: {certificate.subject}
              </Text>
              <Text size="sm">Valid until: {new Date(certificate.validTo).toLocaleDateString()}</Text>
              <Text size="sm" mt="xs">
                SHA-256:
              </Text>
              <Code block data-testid="certificate-thumbprint" style={{ whiteSpace: 'pre-wrap', wordBreak: 'break-all' }}>
                {certificate.sha256.toUpperCase().match(/../g)?.join(':')}
              </Code>
              <Group mt="sm">
                <Button
                  color="orange"
                  onClick={() => {
                    setTrusted(certificate.sha256);
                    setCertificate(null);
                    void submit(certificate.sha256);
                  }}
                  loading={saving}
                >
                  Trust this certificate and add
                </Button>
                <Button variant="default" onClick={() => setCertificate(null)}>
                  Cancel
                </Button>
              </Group>
            </Alert>
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
