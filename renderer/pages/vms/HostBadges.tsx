import { Alert, Badge, Group, Tooltip } from '@mantine/core';
import type { Host } from '../../../core/contract/hosts';

const KIND_LABEL = { hyperv: 'Hyper-V', vsphere: 'vSphere', workstation: 'Workstation', azure: 'Azure' } as const;

/** The hosts as badges (a click filters the table by that host), and why any of them could not be read. */
export function HostBadges({ hosts, onPick }: { hosts: Host[]; onPick(hostId: string): void }) {
  return (
    <>
      <Group gap="xs" data-testid="host-list">
        {hosts.map((host) => (
          <Tooltip key={host.id} label={host.statusMessage ?? 'Not contacted yet'} multiline maw={420} withinPortal>
            <Badge
              size="lg"
              variant="light"
              color={host.status === 'ok' ? 'teal' : host.status === 'error' ? 'red' : 'gray'}
              style={{ textTransform: 'none', cursor: 'pointer' }}
              onClick={() => onPick(host.id)}
            >
              {host.name} · {KIND_LABEL[host.kind]} · {host.vmCount} VMs
            </Badge>
          </Tooltip>
        ))}
      </Group>
      {hosts
        .filter((host) => host.status === 'error')
        .map((host) => (
          <Alert key={host.id} color="red" variant="light" title={`${host.name} could not be read`}>
            {host.statusMessage}
          </Alert>
        ))}
    </>
  );
}
