import { Alert, Button, Group, Modal, NumberInput, Radio, Select, Stack, Text, TextInput } from '@mantine/core';
import { IconAlertTriangle } from '@tabler/icons-react';
import { useState } from 'react';
import type { RecoveryPlan } from '../../core/contract/drills';
import type { LifeboatError } from '../../core/contract/errors';
import type { FailoverMode, PlanFailoverState } from '../../core/contract/failover';
import { api } from '../api';
import { formatDate } from '../format';
import { ErrorNotice } from './ErrorNotice';

/**
 * The one door to a real failover or failback. Both are disruptive, so the operator reads what will happen
 * in plain words and types the plan's name; the engine checks the name again. Mount it only while open, so
 * each opening starts empty.
 */
export function FailoverModal({
  plan,
  failback,
  onClose,
  onStarted,
}: {
  plan: RecoveryPlan | null;
  failback?: PlanFailoverState | null;
  onClose(): void;
  onStarted(id: string): void;
}) {
  const [mode, setMode] = useState<FailoverMode>('planned');
  const [typed, setTyped] = useState('');
  const [shutdownSeconds, setShutdownSeconds] = useState<number>(300);
  const [pointChoice, setPointChoice] = useState<'plan' | 'latest' | 'latest-app-consistent' | 'at'>('plan');
  const [pointTime, setPointTime] = useState('');
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<LifeboatError | null>(null);
  if (!plan) return null;
  const ready = typed.trim() === plan.name && !(mode === 'unplanned' && !failback && pointChoice === 'at' && !pointTime);

  const start = async (): Promise<void> => {
    setBusy(true);
    setFailure(null);
    try {
      const { failoverId } = failback
        ? await api.startFailback({ planId: plan.id, confirm: typed, shutdownTimeoutSeconds: shutdownSeconds })
        : await api.startFailover({
            planId: plan.id,
            mode,
            confirm: typed,
            shutdownTimeoutSeconds: shutdownSeconds,
            ...(mode === 'unplanned' && pointChoice !== 'plan'
              ? {
                  points:
                    pointChoice === 'at'
                      ? { kind: 'at' as const, time: pointTime ? new Date(pointTime).toISOString() : '' }
                      : { kind: pointChoice },
                }
              : {}),
          });
      onStarted(failoverId);
    } catch (error) {
      setFailure(error as LifeboatError);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Modal opened onClose={onClose} title={failback ? `Fail back “${plan.name}”` : `Fail over “${plan.name}”`} size="lg">
      <Stack>
        {failback ? (
          <Text size="sm">
            The VMs have run at {failback.vms[0]?.site ?? 'the recovery site'} since {formatDate(failback.since)}. Failing back shuts them
            down there, copies everything they wrote into the vault, puts that onto the original VMs, starts those at their own hosts and
            removes the copies at the recovery site. Expect a short outage while each VM moves.
          </Text>
        ) : (
          <>
            <Alert color="red" variant="light" icon={<IconAlertTriangle size={18} />} title="This is not a drill">
              The VMs start for real at the recovery site, on the recovery network, and stay there until you fail back.
            </Alert>
            <Radio.Group value={mode} onChange={(value) => setMode(value as FailoverMode)} label="What happened?">
              <Stack gap="sm" mt="xs">
                <Radio
                  value="planned"
                  label="Planned: the original site still works (maintenance, a move, a storm coming)"
                  description="Lifeboat shuts the VMs down, copies their last changes so nothing is lost, and starts them at the recovery site. If they cannot start there, it starts the originals again."
                />
                <Radio
                  value="unplanned"
                  label="Unplanned: the original host is down or lost"
                  description="Lifeboat starts the newest copies at the recovery site and does not touch the original VMs. Work since the last copy is lost."
                />
              </Stack>
            </Radio.Group>
          </>
        )}
        {!failback && mode === 'unplanned' && (
          <Group align="flex-end">
            <Select
              label="Start from"
              w={320}
              allowDeselect={false}
              value={pointChoice}
              onChange={(value) => setPointChoice((value ?? 'plan') as typeof pointChoice)}
              data={[
                { value: 'plan', label: 'What the plan says' },
                { value: 'latest', label: 'The newest copy' },
                { value: 'latest-app-consistent', label: 'The newest application-consistent copy' },
                { value: 'at', label: 'The newest copy before a time' },
              ]}
            />
            {pointChoice === 'at' && (
              <TextInput
                type="datetime-local"
                label="Before (your local time)"
                description="E.g. before ransomware struck"
                value={pointTime}
                onChange={(event) => setPointTime(event.currentTarget.value)}
              />
            )}
          </Group>
        )}
        {(failback || mode === 'planned') && (
          <NumberInput
            label="Wait for each guest to shut down (seconds)"
            description="After this the VM is turned off, as if its power failed."
            value={shutdownSeconds}
            onChange={(value) => setShutdownSeconds(typeof value === 'number' ? value : 300)}
            min={0}
            max={3600}
            w={320}
          />
        )}
        <TextInput
          label={`Type the plan name “${plan.name}” to confirm`}
          value={typed}
          onChange={(event) => setTyped(event.currentTarget.value)}
          autoComplete="off"
          data-autofocus
        />
        {failure && <ErrorNotice error={failure} title={failback ? 'The failback did not start' : 'The failover did not start'} />}
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            Cancel
          </Button>
          <Button color={failback ? undefined : 'red'} disabled={!ready} loading={busy} onClick={() => void start()}>
            {failback ? 'Fail back now' : mode === 'planned' ? 'Start planned failover' : 'Start unplanned failover'}
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}

/** Said wherever a failed-over plan shows: where its VMs run, and the way home. */
export function FailedOverBanner({ state, onFailBack }: { state: PlanFailoverState; onFailBack(): void }) {
  const sites = [...new Set(state.vms.map((vm) => vm.site))].join(', ');
  return (
    <Alert
      color="orange"
      variant="light"
      icon={<IconAlertTriangle size={18} />}
      title={`“${state.plan}” is failed over`}
      data-testid="failed-over-banner"
    >
      <Group justify="space-between" align="center" wrap="nowrap">
        <Text size="sm">
          Since {formatDate(state.since)} ({state.mode}), {state.vms.map((vm) => vm.vm).join(', ')}{' '}
          {state.vms.length === 1 ? 'runs' : 'run'} at {sites}.
          {state.vms.some((vm) => !vm.replica) ? ' Lifeboat keeps copying the work done there into the vault, on the usual schedule.' : ''}{' '}
          Fail back when the original site is ready.
        </Text>
        <Button onClick={onFailBack} style={{ flexShrink: 0 }}>
          Fail back…
        </Button>
      </Group>
    </Alert>
  );
}
