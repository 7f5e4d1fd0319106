import {
  Alert,
  Box,
  Button,
  Card,
  Center,
  Checkbox,
  Container,
  Group,
  List,
  Paper,
  PasswordInput,
  ScrollArea,
  Code,
  Progress,
  SegmentedControl,
  SimpleGrid,
  Stack,
  Stepper,
  Text,
  TextInput,
  ThemeIcon,
  Title,
} from '@mantine/core';
import { IconAlertTriangle, IconCircleCheck, IconDownload, IconFlask, IconKey, IconPlus, IconPrinter, IconServer2, IconShieldCheck } from '@tabler/icons-react';
import { useEffect, useMemo, useState, type FormEvent } from 'react';
import { LifeboatError, type ErrorBody } from '../../core/contract/errors';
import type { Host, Vm } from '../../core/contract/hosts';
import { passphraseStrength } from '../../core/contract/passphrase';
import type { Job, JobProgress } from '../../core/contract/protection';
import { firstRunVault, organisationName } from '../../core/contract/settings';
import type { Settings } from '../../core/contract/types';
import { api, subscribe } from '../api';
import { AddHostModal } from '../components/AddHostModal';
import { EMPTY_VAULT, vaultInput, VaultLocationFields, type VaultForm } from '../components/VaultLocationFields';
import { ErrorNotice } from '../components/ErrorNotice';
import { PassphraseMeter } from '../components/PassphraseMeter';
import { VmPicker } from '../components/VmPicker';
import { formatBytes, formatDuration, formatRate } from '../format';
import { RPO_CHOICES, rpoSentence, suggestPolicyName } from '../model/protection';
import type { PageId } from '../router';

const PROGRESS_KEY = 'lifeboat-onboarding';
const STEPS = ['You', 'Vault', 'Passphrase', 'Safekeeping', 'Hosts', 'Protect', 'Done'] as const;
const Step = { Organisation: 0, Vault: 1, Passphrase: 2, Kit: 3, Hosts: 4, Protect: 5, Done: 6 } as const;
const STEP_OF_FIELD: Record<string, number> = { organisation: Step.Organisation, vault: Step.Vault, 'vault.path': Step.Vault, passphrase: Step.Passphrase };

/** After setup was saved the wizard goes on (kit, hosts, first VMs); a reload resumes it at the step it was on. */
export function onboardingInProgress(): boolean {
  return localStorage.getItem(PROGRESS_KEY) !== null;
}

function savedStep(): number | null {
  const value = Number(localStorage.getItem(PROGRESS_KEY));
  return Number.isInteger(value) && value >= Step.Kit && value <= Step.Done ? value : null;
}

/**
 * First run, from nothing to a first protected VM: who you are, where the vault lives, the passphrase and
 * its recovery kit, where the VMs run (or the sample lab), which VMs to protect — and the first copy starts.
 */
export function FirstRunWizard({ settings, onSaved, onFinish }: { settings: Settings; onSaved(settings: Settings): void; onFinish(page: PageId): void }) {
  const [step, setStepState] = useState<number>(() => (settings.firstRunComplete ? (savedStep() ?? Step.Hosts) : Step.Organisation));
  const [organisation, setOrganisation] = useState('');
  const [vault, setVault] = useState<VaultForm>(() => ({ ...EMPTY_VAULT, folder: settings.suggestedVaultPath }));
  const [kit, setKit] = useState<{ text: string | null; error: LifeboatError | null }>({ text: null, error: null });
  const [passphrase, setPassphrase] = useState('');
  const [confirmation, setConfirmation] = useState('');
  const [stored, setStored] = useState(false);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<LifeboatError | null>(null);
  const [startedJobs, setStartedJobs] = useState<Job[]>([]);

  const setStep = (next: number): void => {
    setStepState(next);
    setFailure(null);
    if (next >= Step.Kit) localStorage.setItem(PROGRESS_KEY, String(next));
  };

  const validate = (current: number): Record<string, string> => {
    const found: Record<string, string> = {};
    if (current === Step.Organisation) {
      const result = organisationName.safeParse(organisation);
      if (!result.success) found.organisation = result.error.issues[0]?.message ?? 'Enter your organisation name.';
    }
    if (current === Step.Vault) {
      const result = firstRunVault.safeParse(vaultInput(vault));
      if (!result.success) {
        for (const issue of result.error.issues) found[issue.path.join('.') || 'path'] ??= issue.message;
      }
    }
    if (current === Step.Passphrase) {
      const strength = passphraseStrength(passphrase);
      if (!strength.acceptable) found.passphrase = `${strength.label}. ${strength.hint}`;
      else if (confirmation !== passphrase) found.confirmation = 'The two passphrases are different. Type the same passphrase twice.';
    }
    if (current === Step.Kit && !stored) found.stored = 'Tick the box once the recovery kit and the passphrase are kept somewhere safe.';
    return found;
  };

  const createVault = async (): Promise<void> => {
    setBusy(true);
    setFailure(null);
    try {
      const saved = await api.completeFirstRun({ organisation, vault: vaultInput(vault), passphrase });
      onSaved(saved);
      // The wizard goes past this step only once the vault really exists there (created, or opened with this passphrase).
      try {
        await api.vaultInit({});
      } catch (error) {
        const failed = error as LifeboatError;
        setFailure(failed);
        setStepState(failed.code === 'WRONG_PASSPHRASE' ? Step.Passphrase : Step.Vault);
        return;
      }
      localStorage.setItem(PROGRESS_KEY, String(Step.Kit));
      setStep(Step.Kit);
      await loadKit();
    } catch (error) {
      const failed = error as LifeboatError;
      setFailure(failed);
      const fieldStep = failed.field ? STEP_OF_FIELD[failed.field] : undefined;
      if (fieldStep !== undefined) setStepState(fieldStep);
    } finally {
      setBusy(false);
    }
  };

  /** Creates the vault at its location (or connects to the one there) and fetches its printable recovery kit. */
  const loadKit = async (): Promise<void> => {
    setKit({ text: null, error: null });
    try {
      await api.vaultInit({});
      setKit({ text: (await api.vaultRecoveryKit({})).text, error: null });
    } catch (error) {
      setKit({ text: null, error: error as LifeboatError });
    }
  };
  useEffect(() => {
    // A reload on the kit step: fetch it again (the vault exists by now).
    if (step === Step.Kit && kit.text === null && kit.error === null && settings.firstRunComplete) void loadKit();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  /** The vault step goes on only when Lifeboat can reach the location (with its credentials). */
  const checkVault = async (): Promise<void> => {
    const input = vaultInput(vault);
    setBusy(true);
    setFailure(null);
    try {
      await api.testTarget({ location: input.path, ...('credentials' in input && input.credentials ? { credentials: input.credentials } : {}) });
      setStep(Step.Passphrase);
    } catch (error) {
      setFailure(error as LifeboatError);
    } finally {
      setBusy(false);
    }
  };

  const submit = (event: FormEvent): void => {
    event.preventDefault();
    const found = validate(step);
    setErrors(found);
    if (Object.keys(found).length > 0) return;
    if (step === Step.Passphrase) void createVault();
    else if (step === Step.Vault) void checkVault();
    else if (step < Step.Hosts) setStep(step + 1);
  };

  const finish = (page: PageId): void => {
    localStorage.removeItem(PROGRESS_KEY);
    setPassphrase('');
    setConfirmation('');
    onFinish(page);
  };

  const formStep = step <= Step.Kit;
  return (
    <Center mih="100vh" bg="var(--mantine-color-body)" py="xl">
      <Container size={960} w="100%">
        <Stack gap="lg">
          <div>
            <Title order={1}>Welcome to Lifeboat</Title>
            <Text c="dimmed">A few minutes from here to your first protected VM. Nothing on your hosts changes until you protect a VM.</Text>
          </div>
          <Paper withBorder shadow="sm" p="xl" radius="md">
            <Stepper active={step} size="xs" allowNextStepsSelect={false} onStepClick={(target) => target < step && (step <= Step.Passphrase || target >= Step.Hosts) && setStepState(target)}>
              {STEPS.map((label) => (
                <Stepper.Step key={label} label={label} />
              ))}
            </Stepper>
            <Box mt="lg">
              {formStep ? (
                <form onSubmit={submit} noValidate>
                  {step === Step.Organisation && (
                    <TextInput
                      label="Organisation name"
                      description="Shown on the reports you give your auditor."
                      placeholder="Contoso Ltd"
                      value={organisation}
                      onChange={(e) => setOrganisation(e.currentTarget.value)}
                      error={errors.organisation}
                      data-autofocus
                      autoFocus
                      required
                    />
                  )}
                  {step === Step.Vault && <VaultLocationFields form={vault} onChange={setVault} errors={errors} />}
                  {step === Step.Passphrase && (
                    <Stack>
                      <Alert variant="light" color="orange" icon={<IconKey />} title="This passphrase encrypts everything in the vault">
                        If it is lost, nobody — not even Lifeboat support — can restore your VMs. The next step helps you keep it safe.
                      </Alert>
                      <Box>
                        <PasswordInput
                          label="Vault passphrase"
                          description="At least 12 characters. A few unrelated words work well."
                          value={passphrase}
                          onChange={(e) => setPassphrase(e.currentTarget.value)}
                          error={errors.passphrase}
                          autoComplete="new-password"
                          autoFocus
                          required
                          mb="xs"
                        />
                        <PassphraseMeter value={passphrase} />
                      </Box>
                      <PasswordInput label="Type it again" value={confirmation} onChange={(e) => setConfirmation(e.currentTarget.value)} error={errors.confirmation} autoComplete="new-password" required />
                    </Stack>
                  )}
                  {step === Step.Kit && <KitStep settings={settings} kit={kit} onRetry={() => void loadKit()} stored={stored} onStored={setStored} error={errors.stored} />}
                  {failure && (
                    <Box mt="lg">
                      <ErrorNotice error={failure} title={failure.code === 'WRONG_PASSPHRASE' ? 'This passphrase does not open the vault already there' : step === Step.Vault ? 'Lifeboat cannot use this vault location' : step <= Step.Passphrase ? 'Setup was not saved' : 'Something went wrong'} />
                    </Box>
                  )}
                  <Group justify="space-between" mt="xl">
                    <Button variant="default" onClick={() => setStep(Math.max(step - 1, 0))} disabled={step === Step.Organisation || busy}>
                      Back
                    </Button>
                    <Button type="submit" loading={busy}>
                      {step === Step.Passphrase ? 'Create the vault' : 'Next'}
                    </Button>
                  </Group>
                </form>
              ) : step === Step.Hosts ? (
                <HostsStep onReady={() => setStep(Step.Protect)} onSkip={() => finish('vms')} />
              ) : step === Step.Protect ? (
                <ProtectStep
                  settings={settings}
                  onProtected={(jobs) => {
                    setStartedJobs(jobs);
                    setStep(Step.Done);
                  }}
                  onSkip={() => finish('dashboard')}
                />
              ) : (
                <DoneStep jobs={startedJobs} onFinish={finish} />
              )}
            </Box>
          </Paper>
        </Stack>
      </Container>
    </Center>
  );
}

function downloadText(fileName: string, text: string): void {
  const url = URL.createObjectURL(new Blob([text], { type: 'text/plain;charset=utf-8' }));
  const link = document.createElement('a');
  link.href = url;
  link.download = fileName;
  link.click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** Only the kit is printed: everything else on the page is hidden from the printer. */
const PRINT_ONLY_KIT = `@media print { body * { visibility: hidden !important; } #recovery-kit, #recovery-kit * { visibility: visible !important; } #recovery-kit { position: absolute; inset: 0; max-height: none !important; overflow: visible !important; } }`;

function KitStep({
  settings,
  kit,
  onRetry,
  stored,
  onStored,
  error,
}: {
  settings: Settings;
  kit: { text: string | null; error: LifeboatError | null };
  onRetry(): void;
  stored: boolean;
  onStored(value: boolean): void;
  error?: string;
}) {
  return (
    <Stack>
      <Group wrap="nowrap" align="flex-start">
        <ThemeIcon size={44} radius="xl" color={kit.text ? 'green' : kit.error ? 'red' : 'gray'} variant="light">
          {kit.error ? <IconAlertTriangle /> : <IconCircleCheck />}
        </ThemeIcon>
        <div>
          <Title order={3}>{kit.text ? 'The vault is ready' : kit.error ? 'The vault cannot be used yet' : 'Opening the vault…'}</Title>
          <Text c="dimmed">{settings.vault?.location.path}</Text>
        </div>
      </Group>
      <Alert variant="light" color="orange" icon={<IconKey />} title="Keep the way back safe">
        If this computer is lost, the recovery kit and the passphrase are what bring your VMs back. Print the kit or save it somewhere away from these computers — in a safe, or with your manager.
      </Alert>
      {kit.error && <ErrorNotice error={kit.error} title="The recovery kit could not be read from the vault" onRetry={onRetry} />}
      {!kit.text && !kit.error && <Text c="dimmed">Creating the vault and its recovery kit…</Text>}
      {kit.text && (
        <>
          <style>{PRINT_ONLY_KIT}</style>
          <ScrollArea.Autosize mah={220} type="auto" id="recovery-kit" data-testid="recovery-kit">
            <Code block style={{ whiteSpace: 'pre', fontSize: 12 }}>
              {kit.text}
            </Code>
          </ScrollArea.Autosize>
          <Group>
            <Button variant="default" leftSection={<IconDownload size={18} />} onClick={() => downloadText('lifeboat-recovery-kit.txt', kit.text!)}>
              Download the recovery kit
            </Button>
            <Button variant="default" leftSection={<IconPrinter size={18} />} onClick={() => window.print()}>
              Print it
            </Button>
          </Group>
        </>
      )}
      <Checkbox label="I have stored the recovery kit and the passphrase somewhere safe, away from these computers" checked={stored} onChange={(e) => onStored(e.currentTarget.checked)} error={error} />
    </Stack>
  );
}

function HostsStep({ onReady, onSkip }: { onReady(): void; onSkip(): void }) {
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

function ProtectStep({ settings, onProtected, onSkip }: { settings: Settings; onProtected(jobs: Job[]): void; onSkip(): void }) {
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
      const policy = await api.createPolicy({ name: suggestPolicyName(chosen) || 'First VMs', vmIds: selected, targetId: settings.vault!.id, rpoMinutes });
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
      <VmPicker vms={vms ?? []} hosts={hosts} selected={selected} onChange={setSelected} unavailable={(vm) => (vm.protection ? `Already protected by “${vm.protection.policyName}”` : null)} height={240} />
      <div>
        <Text size="sm" fw={500} mb={4}>
          How much recent work could you afford to redo?
        </Text>
        <SegmentedControl aria-label="How much work could you lose" value={String(rpoMinutes)} onChange={(value) => setRpoMinutes(Number(value))} data={RPO_CHOICES.map((c) => ({ value: String(c.minutes), label: c.label }))} />
        <Text size="sm" c="dimmed" mt={4}>
          {rpoSentence(rpoMinutes)}. Retention, app-consistency and bandwidth use sensible defaults; change them any time on the Protection page.
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

function DoneStep({ jobs, onFinish }: { jobs: Job[]; onFinish(page: PageId): void }) {
  const [progress, setProgress] = useState<Record<string, JobProgress | 'done' | 'failed'>>({});
  useEffect(
    () =>
      subscribe((event) => {
        if (event.type === 'job.progress') {
          const { type: _type, jobId, ...rest } = event;
          setProgress((current) => (current[jobId] === 'done' || current[jobId] === 'failed' ? current : { ...current, [jobId]: rest }));
        }
        if (event.type === 'job.finished') setProgress((current) => ({ ...current, [event.jobId]: event.status === 'succeeded' ? 'done' : 'failed' }));
      }),
    [],
  );
  useEffect(() => {
    // A copy that ended before this page subscribed: read how it ended.
    for (const job of jobs) {
      void api.getJob({ id: job.id }).then(
        (current) => {
          const ended = current.status === 'succeeded' ? 'done' : current.status === 'failed' || current.status === 'cancelled' || current.status === 'interrupted' ? 'failed' : null;
          if (ended) setProgress((known) => ({ ...known, [job.id]: ended }));
        },
        () => undefined,
      );
    }
  }, [jobs]);
  const headline = firstCopiesHeadline(jobs.map((job) => progress[job.id] ?? null));
  return (
    <Stack data-testid="first-run-done">
      <Group wrap="nowrap" align="flex-start">
        <ThemeIcon size={44} radius="xl" color={headline.color} variant="light">
          {headline.color === 'green' ? <IconShieldCheck /> : headline.color === 'red' ? <IconAlertTriangle /> : <IconCircleCheck />}
        </ThemeIcon>
        <div>
          <Title order={3}>{headline.title}</Title>
          <Text c="dimmed">{headline.detail}</Text>
        </div>
      </Group>
      <Stack gap="xs">
        {jobs.map((job) => {
          const state = progress[job.id] ?? job.progress;
          const live = state && typeof state === 'object' ? state : null;
          const percent = state === 'done' ? 100 : live && live.bytesTotal > 0 ? (live.bytesDone / live.bytesTotal) * 100 : 0;
          return (
            <div key={job.id} data-testid="first-copy">
              <Group justify="space-between">
                <Text size="sm" fw={500}>
                  {job.title}
                </Text>
                <Text size="sm" c={state === 'failed' ? 'red' : 'dimmed'}>
                  {state === 'done'
                    ? 'Copied'
                    : state === 'failed'
                      ? 'Failed: see Activity'
                      : live && live.bytesPerSecond > 0
                        ? `${formatBytes(live.bytesDone)} of ${formatBytes(live.bytesTotal)} · ${formatRate(live.bytesPerSecond)} · about ${formatDuration(live.etaSeconds)} left`
                        : 'Starting…'}
                </Text>
              </Group>
              <Progress value={percent} color={state === 'failed' ? 'red' : undefined} striped={state !== 'done'} animated={state !== 'done' && state !== 'failed'} aria-label={`${job.title} progress`} />
            </div>
          );
        })}
      </Stack>
      <List size="sm" spacing={4}>
        <List.Item>When a copy is done, run a drill: Lifeboat starts the copy in a sandbox and proves it works.</List.Item>
        <List.Item>Set up email alerts in Settings, so you hear when something needs you.</List.Item>
      </List>
      <Group justify="flex-end">
        <Button onClick={() => onFinish('dashboard')}>Go to the dashboard</Button>
      </Group>
    </Stack>
  );
}

/** The Done page's headline from how the first copies stand: "protected" only once a copy is in the vault. */
export function firstCopiesHeadline(states: readonly (JobProgress | 'done' | 'failed' | null)[]): { color: 'green' | 'red' | 'orange' | 'blue'; title: string; detail: string } {
  const done = states.filter((state) => state === 'done').length;
  const failed = states.filter((state) => state === 'failed').length;
  const total = states.length;
  const vms = (count: number): string => `${count} VM${count === 1 ? '' : 's'}`;
  if (total > 0 && done === total) return { color: 'green', title: total === 1 ? 'Your VM is protected' : 'Your VMs are protected', detail: 'The first copies are in the vault. Later copies only send what changed, on the schedule you chose.' };
  if (failed > 0 && done + failed === total) {
    return done === 0
      ? { color: 'red', title: 'Not protected yet: the first copies failed', detail: 'Nothing is in the vault yet. Open Activity to see why, fix it, then press “Copy now” on the Dashboard.' }
      : { color: 'orange', title: `${vms(done)} protected, ${vms(failed)} not`, detail: `${failed === 1 ? 'One first copy' : `${failed} first copies`} failed: open Activity to see why, fix it, then copy again.` };
  }
  return {
    color: failed > 0 ? 'orange' : 'blue',
    title: 'Not protected until the first copies finish',
    detail: `${done} of ${total} in the vault${failed > 0 ? `, ${failed} failed` : ''}. You can leave this page: the copies go on, and the Dashboard shows when each VM is protected.`,
  };
}
