import { Button, Card, Group, SimpleGrid, Stack, Text, ThemeIcon } from '@mantine/core';
import { IconFlask, IconPlus, IconServer2 } from '@tabler/icons-react';
import { useState } from 'react';
import { LifeboatError, type ErrorBody } from '../../../core/contract/errors';
import type { Host } from '../../../core/contract/hosts';
import { api } from '../../api';
import { AddHostModal } from '../../components/AddHostModal';
import { ErrorNotice } from '../../components/ErrorNotice';

/** Step 5: where the VMs run — a host to add, or the sample lab. */
export function HostsStep({ onReady, onSkip }: { onReady(): void; onSkip(): void }) {
  const [adding, setAdding] = useState(false);
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<LifeboatError | null>(null);

  const lab = async (): Promise<void> => {
    setBusy(true);
    setFailure(null);
    try {
      await api.createSampleLab({});
      onReady();
    } catch (error) {
      setFailure(error as LifeboatError);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Stack>
      <Text>Where do your VMs run? Lifeboat lists them within seconds; nothing on the host changes.</Text>
      <SimpleGrid cols={{ base: 1, sm: 2 }}>
        <Card withBorder padding="lg">
          <Stack gap="xs" align="flex-start" h="100%">
            <ThemeIcon size="xl" radius="xl" variant="light">
              <IconServer2 />
            </ThemeIcon>
            <Text fw={600}>Add a host</Text>
            <Text size="sm" c="dimmed" style={{ flex: 1 }}>
              A Hyper-V host (this computer or another), an ESXi or vCenter server, or a folder of VMware Workstation VMs.
            </Text>
            <Button variant="default" leftSection={<IconPlus size={18} />} onClick={() => setAdding(true)}>
              Add a host
            </Button>
          </Stack>
        </Card>
        <Card withBorder padding="lg">
          <Stack gap="xs" align="flex-start" h="100%">
            <ThemeIcon size="xl" radius="xl" variant="light" color="teal">
              <IconFlask />
            </ThemeIcon>
            <Text fw={600}>Try the sample lab</Text>
            <Text size="sm" c="dimmed" style={{ flex: 1 }}>
              Three small VMs made on this computer, to try protection and drills before touching real servers.
            </Text>
            <Button leftSection={<IconFlask size={18} />} onClick={() => void lab()} loading={busy}>
              Try the sample lab
            </Button>
          </Stack>
        </Card>
      </SimpleGrid>
      {failure && <ErrorNotice error={failure} title="The sample lab could not be made" onRetry={() => void lab()} />}
      <Group justify="flex-end">
        <Button variant="subtle" onClick={onSkip}>
          I&apos;ll do this later
        </Button>
      </Group>
      <AddHostModal
        opened={adding}
        onClose={() => setAdding(false)}
        onAdded={(host: Host) => {
          setAdding(false);
          setBusy(true);
          // List the new host's VMs before choosing which to protect.
          void api
            .discover({ hostId: host.id })
            .then(([result]) => {
              if (result?.ok) onReady();
              else if (result?.error) setFailure(LifeboatError.fromBody(result.error as ErrorBody));
            })
            .catch((error: LifeboatError) => setFailure(error))
            .finally(() => setBusy(false));
        }}
      />
    </Stack>
  );
}
