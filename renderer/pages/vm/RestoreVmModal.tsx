import { Alert, Button, Group, Modal, Radio, Select, Stack, Text, TextInput } from '@mantine/core';
import { IconAlertTriangle } from '@tabler/icons-react';
import { useState } from 'react';
import type { LifeboatError } from '../../../core/contract/errors';
import type { VmPoint, VmRecovery } from '../../../core/contract/restore';
import { api } from '../../api';
import { ErrorNotice } from '../../components/ErrorNotice';
import { formatDate } from '../../format';

type Mode = 'new' | 'over';

/**
 * Restore VM: as a new VM (the safe default: the original is not touched) or over the VM itself (a danger
 * action: its disks are replaced, so it asks for the VM's name before the button even enables). Each choice
 * says in words what will happen before anything does.
 */
export function RestoreVmModal({
  recovery,
  point,
  opened,
  onClose,
  onStarted,
}: {
  recovery: VmRecovery;
  point: VmPoint;
  opened: boolean;
  onClose(): void;
  onStarted(jobId: string): void;
}) {
  const { vm } = recovery;
  const [mode, setMode] = useState<Mode>('new');
  const [name, setName] = useState(`${vm.name}-restored`);
  const firstPossible = recovery.newVmHosts.find((h) => h.possible.ok)?.hostId ?? recovery.newVmHosts[0]?.hostId ?? null;
  const [hostId, setHostId] = useState<string | null>(firstPossible);
  const [confirm, setConfirm] = useState('');
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<LifeboatError | null>(null);
  const host = recovery.newVmHosts.find((h) => h.hostId === hostId);
  const when = formatDate(point.time);

  const start = async (): Promise<void> => {
    setBusy(true);
    setFailure(null);
    try {
      const { jobId } =
        mode === 'new'
          ? await api.restoreVmAsNew({ vmId: vm.id, pointId: point.id, name: name.trim(), ...(hostId ? { hostId } : {}) })
          : await api.restoreVmOverOriginal({ vmId: vm.id, pointId: point.id, confirm });
      onStarted(jobId);
    } catch (error) {
      setFailure(error as LifeboatError);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Modal opened={opened} onClose={onClose} title={`Restore ${vm.name}`} size="lg">
      <Stack>
        <Text size="sm">
          From the recovery point of <b>{when}</b>.
        </Text>
        <Radio.Group value={mode} onChange={(value) => setMode(value as Mode)} label="How" name="restore-mode">
          <Stack gap="xs" mt={6}>
            <Radio value="new" label="As a new VM, next to the original" description={`${vm.name} is not touched.`} />
            <Radio
              value="over"
              label={`Over ${vm.name} itself`}
              description="Replaces its disks with the point's. Everything written since is lost."
              color="red"
            />
          </Stack>
        </Radio.Group>

        {mode === 'new' ? (
          <>
            <TextInput label="Name of the new VM" value={name} onChange={(e) => setName(e.currentTarget.value)} maxLength={80} required />
            <Select
              label="Host"
              data={recovery.newVmHosts.map((h) => ({ value: h.hostId, label: h.possible.ok ? h.name : `${h.name} (not possible)` }))}
              value={hostId}
              onChange={setHostId}
              allowDeselect={false}
            />
            {host && !host.possible.ok && (
              <Alert color="yellow" variant="light">
                {host.possible.reason}
              </Alert>
            )}
            <Text size="sm" data-testid="restore-new-summary">
              Lifeboat restores every disk of this point into a new VM named <b>{name.trim() || '…'}</b> on{' '}
              <b>{host?.name ?? 'the host'}</b>. It is registered powered off and with no network adapter, so it cannot clash with {vm.name}{' '}
              on the network.
            </Text>
            <Group justify="flex-end">
              <Button variant="default" onClick={onClose}>
                Cancel
              </Button>
              <Button onClick={() => void start()} loading={busy} disabled={!name.trim() || !host?.possible.ok}>
                Restore as a new VM
              </Button>
            </Group>
          </>
        ) : (
          <>
            {!recovery.overOriginal.ok ? (
              <Alert color="yellow" variant="light" title="Not possible now">
                {recovery.overOriginal.reason}
              </Alert>
            ) : (
              <Alert
                color="red"
                variant="light"
                icon={<IconAlertTriangle />}
                title={`This replaces ${vm.name}'s disks`}
                data-testid="restore-over-warning"
              >
                Every disk of {vm.name} on {vm.hostName} is overwritten with the point of {when}. Whatever the VM wrote after that is lost
                and cannot be brought back, unless a newer recovery point holds it.
              </Alert>
            )}
            <TextInput
              label={`Type the VM's name, ${vm.name}, to confirm`}
              value={confirm}
              onChange={(e) => setConfirm(e.currentTarget.value)}
              disabled={!recovery.overOriginal.ok}
              autoComplete="off"
            />
            <Group justify="flex-end">
              <Button variant="default" onClick={onClose}>
                Cancel
              </Button>
              <Button
                color="red"
                onClick={() => void start()}
                loading={busy}
                disabled={!recovery.overOriginal.ok || confirm.trim() !== vm.name}
              >
                Replace {vm.name}&apos;s disks
              </Button>
            </Group>
          </>
        )}
        {failure && <ErrorNotice error={failure} title="The restore did not start" />}
      </Stack>
    </Modal>
  );
}
