import { Button, Group, Modal, Select, Stack, Text, TextInput } from '@mantine/core';
import { useState } from 'react';
import type { LifeboatError } from '../../../core/contract/errors';
import type { VmPoint, VmRecovery } from '../../../core/contract/restore';
import { api } from '../../api';
import { ErrorNotice } from '../../components/ErrorNotice';
import { formatBytes, formatDate } from '../../format';

const FORMAT_WORDS = { vmdk: 'a VMDK file (VMware)', vhdx: 'a VHDX file (Hyper-V)' } as const;

/** "scsi0:1 · lab-files01-1.vmdk (33.6 MB)": the point's name for the disk, and the file the VM has for it now. */
function diskLabel(recovery: VmRecovery, disk: VmPoint['disks'][number]): string {
  const file = recovery.vm.disks
    .find((d) => d.key === disk.name)
    ?.path.split(/[\\/]/)
    .pop();
  return `${disk.name}${file ? ` · ${file}` : ''}${disk.sizeBytes ? ` (${formatBytes(disk.sizeBytes)})` : ''}`;
}

/** Restore disk: one disk of the point into a new file in the hypervisor's own format, never over an existing file. */
export function RestoreDiskModal({
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
  const [disk, setDisk] = useState<string | null>(point.disks[0]?.name ?? null);
  const [folder, setFolder] = useState('');
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<LifeboatError | null>(null);
  const where = folder.trim() || recovery.defaultFolder;

  const start = async (): Promise<void> => {
    if (!disk) return;
    setBusy(true);
    setFailure(null);
    try {
      const { jobId } = await api.restoreDiskToFile({
        vmId: recovery.vm.id,
        pointId: point.id,
        disk,
        ...(folder.trim() ? { folder: folder.trim() } : {}),
      });
      onStarted(jobId);
    } catch (error) {
      setFailure(error as LifeboatError);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Modal opened={opened} onClose={onClose} title={`Restore a disk of ${recovery.vm.name}`} size="lg">
      <Stack>
        <Text size="sm">
          From the recovery point of <b>{formatDate(point.time)}</b>.
        </Text>
        <Select
          label="Disk"
          data={point.disks.map((d) => ({ value: d.name, label: diskLabel(recovery, d) }))}
          value={disk}
          onChange={setDisk}
          allowDeselect={false}
        />
        <TextInput
          label="Folder"
          description="On the computer the Lifeboat engine runs on."
          placeholder={recovery.defaultFolder}
          value={folder}
          onChange={(e) => setFolder(e.currentTarget.value)}
        />
        <Text size="sm" data-testid="restore-disk-summary">
          Lifeboat writes {disk ?? 'the disk'} as {FORMAT_WORDS[recovery.diskFormat]} to a new file in {where}, named after the VM and the
          point. Nothing already there is overwritten, and {recovery.vm.name} is not touched.
        </Text>
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            Cancel
          </Button>
          <Button onClick={() => void start()} loading={busy} disabled={!disk}>
            Restore disk
          </Button>
        </Group>
        {failure && <ErrorNotice error={failure} title="The restore did not start" />}
      </Stack>
    </Modal>
  );
}
