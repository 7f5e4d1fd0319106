import {
  Alert,
  Button,
  Checkbox,
  Group,
  NumberInput,
  PasswordInput,
  Select,
  SimpleGrid,
  Stack,
  Switch,
  TagsInput,
  Text,
  TextInput,
} from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useState } from 'react';
import type { LifeboatError } from '../../core/contract/errors';
import type { EmailSettings } from '../../core/contract/notifications';
import { api } from '../api';

const SECURITY = [
  { value: 'starttls', label: 'STARTTLS (587)' },
  { value: 'tls', label: 'TLS (465)' },
  { value: 'none', label: 'None (internal relay)' },
];

/** Email alerts: who gets mail, through which server, for which events — with a test button. */
export function EmailSettingsForm({ initial }: { initial: EmailSettings }) {
  const [form, setForm] = useState(initial);
  const [password, setPassword] = useState('');
  const [error, setError] = useState<LifeboatError | null>(null);
  const [busy, setBusy] = useState<'save' | 'test' | null>(null);
  const set = <K extends keyof EmailSettings>(key: K, value: EmailSettings[K]) => setForm((current) => ({ ...current, [key]: value }));

  const save = async (): Promise<boolean> => {
    setBusy('save');
    try {
      const { passwordStored: _stored, ...fields } = form;
      const saved = await api.saveEmailSettings({ ...fields, ...(password ? { password } : {}) });
      setForm(saved);
      setPassword('');
      setError(null);
      return true;
    } catch (failure) {
      setError(failure as LifeboatError);
      return false;
    } finally {
      setBusy(null);
    }
  };

  const test = async (): Promise<void> => {
    if (!(await save())) return;
    setBusy('test');
    try {
      const result = await api.sendTestEmail();
      notifications.show({
        color: 'green',
        title: 'Test email sent',
        message: `Accepted for ${result.accepted.join(', ')}. Check the inbox.`,
      });
    } catch (failure) {
      setError(failure as LifeboatError);
    } finally {
      setBusy(null);
    }
  };

  const fieldError = (field: string) => (error?.field === field ? error.message.replace(/^[\w.]+: /, '') : undefined);

  return (
    <Stack>
      <Switch label="Send email alerts" checked={form.enabled} onChange={(e) => set('enabled', e.currentTarget.checked)} />
      <SimpleGrid cols={{ base: 1, sm: 2 }}>
        <TextInput
          label="Mail server"
          placeholder="smtp.office365.com"
          value={form.host}
          onChange={(e) => set('host', e.currentTarget.value)}
          error={fieldError('host')}
        />
        <Group grow align="flex-start">
          <NumberInput label="Port" value={form.port} min={1} max={65535} onChange={(value) => set('port', Number(value) || 587)} />
          <Select
            label="Security"
            data={SECURITY}
            value={form.security}
            allowDeselect={false}
            onChange={(value) => set('security', (value ?? 'starttls') as EmailSettings['security'])}
          />
        </Group>
        <TextInput
          label="User name"
          placeholder="alerts@yourcompany.com"
          value={form.username ?? ''}
          onChange={(e) => set('username', e.currentTarget.value || null)}
        />
        <PasswordInput
          label="Password"
          placeholder={form.passwordStored ? 'Stored encrypted — type to replace' : ''}
          value={password}
          onChange={(e) => setPassword(e.currentTarget.value)}
          autoComplete="new-password"
        />
        <TextInput
          label="From"
          placeholder="lifeboat@yourcompany.com"
          value={form.from}
          onChange={(e) => set('from', e.currentTarget.value)}
          error={fieldError('from')}
        />
        <TagsInput
          label="Send to"
          placeholder="Type an address and press Enter"
          value={form.to}
          onChange={(value) => set('to', value)}
          error={fieldError('to') ?? (error?.field?.startsWith('to.') ? error.message : undefined)}
        />
      </SimpleGrid>
      <Group>
        <Text size="sm" fw={500}>
          Email me about:
        </Text>
        <Checkbox
          label="Failed copies and drills"
          checked={form.events.failures}
          onChange={(e) => set('events', { ...form.events, failures: e.currentTarget.checked })}
        />
        <Checkbox
          label="VMs at risk or outside their RPO"
          checked={form.events.rpo}
          onChange={(e) => set('events', { ...form.events, rpo: e.currentTarget.checked })}
        />
        <Checkbox
          label="Drill results"
          checked={form.events.drills}
          onChange={(e) => set('events', { ...form.events, drills: e.currentTarget.checked })}
        />
      </Group>
      {error && !error.field && (
        <Alert color="red" title={error.message}>
          {error.fix}
        </Alert>
      )}
      <Group>
        <Button onClick={() => void save()} loading={busy === 'save'}>
          Save
        </Button>
        <Button variant="default" onClick={() => void test()} loading={busy === 'test'}>
          Send a test email
        </Button>
      </Group>
    </Stack>
  );
}
