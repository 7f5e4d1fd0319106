import { Button, Group } from '@mantine/core';
import { IconFlask, IconServer2 } from '@tabler/icons-react';
import { PageEmptyState } from '../../components/PageEmptyState';

/** The page before any host: add one, or make the sample lab. */
export function NoHostsYet({ onAddHost, onSampleLab, creatingLab }: { onAddHost(): void; onSampleLab(): void; creatingLab: boolean }) {
  return (
    <>
      <PageEmptyState
        icon={<IconServer2 />}
        title="No virtual machines found yet"
        description="Add the Hyper-V host, ESXi or vCenter server, or VMware Workstation folder where your VMs run. Lifeboat lists their VMs here within seconds; nothing on the host changes until you protect a VM. No hypervisor at hand? The sample lab gives you three small VMs to try everything with."
        action={{ label: 'Add host', onClick: onAddHost }}
      />
      <Group justify="center">
        <Button variant="light" leftSection={<IconFlask size={18} />} onClick={onSampleLab} loading={creatingLab}>
          Try the sample lab
        </Button>
      </Group>
    </>
  );
}
