import { Box, Button, Center, Container, Group, Paper, Stack, Stepper, Text, Title } from '@mantine/core';
import { useEffect, useState, type FormEvent } from 'react';
import type { LifeboatError } from '../../core/contract/errors';
import type { Job } from '../../core/contract/protection';
import type { Settings } from '../../core/contract/types';
import { api } from '../api';
import { EMPTY_VAULT, vaultInput, VaultLocationFields, type VaultForm } from '../components/VaultLocationFields';
import { ErrorNotice } from '../components/ErrorNotice';
import type { Problems } from '../model/input-problems';
import { FIRST_RUN_STEPS, setupProblems, Step } from '../model/first-run-setup';
import type { PageId } from '../router';
import { DoneStep } from './first-run/DoneStep';
import { FirstProtectStep } from './first-run/FirstProtectStep';
import { HostsStep } from './first-run/HostsStep';
import { KitStep } from './first-run/KitStep';
import { OrganisationStep } from './first-run/OrganisationStep';
import { PassphraseStep } from './first-run/PassphraseStep';

const PROGRESS_KEY = 'lifeboat-onboarding';
const STEP_OF_FIELD: Record<string, number> = {
  organisation: Step.Organisation,
  vault: Step.Vault,
  'vault.path': Step.Vault,
  passphrase: Step.Passphrase,
};

/** After setup was saved the wizard goes on (kit, hosts, first VMs); a reload resumes it at the step it was on. */
export function onboardingInProgress(): boolean {
  return localStorage.getItem(PROGRESS_KEY) !== null;
}

function savedStep(): number | null {
  const value = Number(localStorage.getItem(PROGRESS_KEY));
  return Number.isInteger(value) && value >= Step.Kit && value <= Step.Done ? value : null;
}

function setupFailureTitle(failure: LifeboatError, step: number): string {
  if (failure.code === 'WRONG_PASSPHRASE') return 'This passphrase does not open the vault already there';
  if (step === Step.Vault) return 'Lifeboat cannot use this vault location';
  return step <= Step.Passphrase ? 'Setup was not saved' : 'Something went wrong';
}

/**
 * First run, from nothing to a first protected VM: who you are, where the vault lives, the passphrase and
 * its recovery kit, where the VMs run (or the sample lab), which VMs to protect — and the first copy starts.
 */
export function FirstRunWizard({
  settings,
  onSaved,
  onFinish,
}: {
  settings: Settings;
  onSaved(settings: Settings): void;
  onFinish(page: PageId): void;
}) {
  const [step, setStepState] = useState<number>(() => (settings.firstRunComplete ? (savedStep() ?? Step.Hosts) : Step.Organisation));
  const [organisation, setOrganisation] = useState('');
  const [vault, setVault] = useState<VaultForm>(() => ({ ...EMPTY_VAULT, folder: settings.suggestedVaultPath }));
  const [kit, setKit] = useState<{ text: string | null; error: LifeboatError | null }>({ text: null, error: null });
  const [passphrase, setPassphrase] = useState('');
  const [confirmation, setConfirmation] = useState('');
  const [stored, setStored] = useState(false);
  const [errors, setErrors] = useState<Problems>({});
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<LifeboatError | null>(null);
  const [startedJobs, setStartedJobs] = useState<Job[]>([]);

  const setStep = (next: number): void => {
    setStepState(next);
    setFailure(null);
    if (next >= Step.Kit) localStorage.setItem(PROGRESS_KEY, String(next));
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
      await api.testTarget({
        location: input.path,
        ...('credentials' in input && input.credentials ? { credentials: input.credentials } : {}),
      });
      setStep(Step.Passphrase);
    } catch (error) {
      setFailure(error as LifeboatError);
    } finally {
      setBusy(false);
    }
  };

  const submit = (event: FormEvent): void => {
    event.preventDefault();
    const found = setupProblems(step, { organisation, vault: vaultInput(vault), passphrase, confirmation, stored });
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
            <Text c="dimmed">
              A few minutes from here to your first protected VM. Nothing on your hosts changes until you protect a VM.
            </Text>
          </div>
          <Paper withBorder shadow="sm" p="xl" radius="md">
            <Stepper
              active={step}
              size="xs"
              allowNextStepsSelect={false}
              onStepClick={(target) => target < step && (step <= Step.Passphrase || target >= Step.Hosts) && setStepState(target)}
            >
              {FIRST_RUN_STEPS.map((label) => (
                <Stepper.Step key={label} label={label} />
              ))}
            </Stepper>
            <Box mt="lg">
              {formStep ? (
                <form onSubmit={submit} noValidate>
                  {step === Step.Organisation && (
                    <OrganisationStep organisation={organisation} onChange={setOrganisation} error={errors.organisation} />
                  )}
                  {step === Step.Vault && <VaultLocationFields form={vault} onChange={setVault} errors={errors} />}
                  {step === Step.Passphrase && (
                    <PassphraseStep
                      passphrase={passphrase}
                      confirmation={confirmation}
                      onPassphrase={setPassphrase}
                      onConfirmation={setConfirmation}
                      errors={errors}
                    />
                  )}
                  {step === Step.Kit && (
                    <KitStep
                      settings={settings}
                      kit={kit}
                      onRetry={() => void loadKit()}
                      stored={stored}
                      onStored={setStored}
                      error={errors.stored}
                    />
                  )}
                  {failure && (
                    <Box mt="lg">
                      <ErrorNotice error={failure} title={setupFailureTitle(failure, step)} />
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
                <FirstProtectStep
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
