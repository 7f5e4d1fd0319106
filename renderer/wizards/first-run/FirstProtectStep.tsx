import { Button, Group, SegmentedControl, Stack, Text } from '@mantine/core';
import { IconShieldCheck } from '@tabler/icons-react';
import { useEffect, useMemo, useState } from 'react';
import type { LifeboatError } from '../../../core/contract/errors';
import type { Host, Vm } from '../../../core/contract/hosts';
import type { Job } from '../../../core/contract/protection';
import type { Settings } from '../../../core/contract/types';
import { api } from '../../api';
import { ErrorNotice } from '../../components/ErrorNotice';
import { VmPicker } from '../../components/VmPicker';
import { RPO_CHOICES, rpoSentence, suggestPolicyName } from '../../model/protection';

/** Step 6: the first VMs to protect, at an RPO; everything else takes the defaults. */
export function FirstProtectStep({
  settings,
  onProtected,
  onSkip,
}: {
  settings: Settings;
  onProtected(jobs: Job[]): void;
  onSkip(): void;
}) {
  const [vms, setVms] = useState<Vm[] | null>(null);
  const [hosts, setHosts] = useState<Host[]>([]);
  const [selected, setSelected] = useState<string[]>([]);
  const [rpoMinutes, setRpoMinutes] = useState(60);
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<LifeboatError | null>(null);

  useEffect(() => {
    void Promise.all([api.listVms(), api.listHosts()]).then(([list, hostList]) => {
      setVms(list);
      setHosts(hostList);
      // Up to a handful of VMs (the sample lab, a small office): tick them all; more, and the user chooses.
      const free = list.filter((vm) => !vm.protection);
      setSelected(free.length <= 5 ? free.map((vm) => vm.id) : []);
    }, setFailure);
  }, []);
  const chosen = useMemo(() => (vms ?? []).filter((vm) => selected.includes(vm.id)), [vms, selected]);

  const protect = async (): Promise<void> => {
    if (selected.length === 0) {
      setFailure(null);
      return;
    }
    setBusy(true);
    setFailure(null);
    try {
      const policy = await api.createPolicy({
        name: suggestPolicyName(chosen) || 'First VMs',
        vmIds: selected,
        targetId: settings.vault!.id,
        rpoMinutes,
      });
      const jobs = await api.runNow({ policyId: policy.id });
      onProtected(jobs);
    } catch (error) {
      setFailure(error as LifeboatError);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Stack>
      <Text>Which VMs should be protected first? The first copy starts right away.</Text>
      <VmPicker
        vms={vms ?? []}
        hosts={hosts}
        selected={selected}
        onChange={setSelected}
        unavailable={(vm) => (vm.protection ? `Already protected by “${vm.protection.policyName}”` : null)}
        height={240}
      />
      <div>
        <Text size="sm" fw={500} mb={4}>
          How much recent work could you afford to redo?
        </Text>
        <SegmentedControl
          aria-label="How much work could you lose"
          value={String(rpoMinutes)}
          onChange={(value) => setRpoMinutes(Number(value))}
          data={RPO_CHOICES.map((c) => ({ value: String(c.minutes), label: c.label }))}
        />
        <Text size="sm" c="dimmed" mt={4}>
          {rpoSentence(rpoMinutes)}. Retention, app-consistency and bandwidth use sensible defaults; change them any time on the Protection
          page.
        </Text>
      </div>
      {failure && <ErrorNotice error={failure} title="The VMs were not protected" />}
      <Group justify="space-between">
        <Button variant="subtle" onClick={onSkip}>
          I&apos;ll choose later
        </Button>
        <Button leftSection={<IconShieldCheck size={18} />} onClick={() => void protect()} loading={busy} disabled={selected.length === 0}>
          Protect {selected.length === 1 ? '1 VM' : `${selected.length} VMs`} and copy now
        </Button>
      </Group>
    </Stack>
  );
}
