import { IconServer2 } from '@tabler/icons-react';
import { PageEmptyState } from '../components/PageEmptyState';
import { PageHeader } from '../components/PageHeader';

export function VirtualMachinesPage() {
  return (
    <>
      <PageHeader title="Virtual machines" subtitle="Every VM Lifeboat has found on your hosts." />
      <PageEmptyState
        icon={<IconServer2 />}
        title="No virtual machines found yet"
        description="Add the Hyper-V host, ESXi or vCenter server, or VMware Workstation folder where your VMs run. Lifeboat lists their VMs here within seconds; nothing on the host changes until you protect a VM."
      />
    </>
  );
}
