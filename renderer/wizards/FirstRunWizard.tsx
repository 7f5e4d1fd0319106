import { Alert, Box, Button, Center, Checkbox, Container, Group, List, Paper, PasswordInput, Stack, Stepper, Text, TextInput, Title } from '@mantine/core';
import { IconBuilding, IconDatabase, IconInfoCircle, IconKey } from '@tabler/icons-react';
import { useState, type FormEvent } from 'react';
import type { LifeboatError } from '../../core/contract/errors';
import { passphraseStrength } from '../../core/contract/passphrase';
import { folderLocation, organisationName } from '../../core/contract/settings';
import type { Settings } from '../../core/contract/types';
import { api } from '../api';
import { ErrorNotice } from '../components/ErrorNotice';
import { PassphraseMeter } from '../components/PassphraseMeter';

const STEP_OF_FIELD: Record<string, number> = { organisation: 0, vault: 1, 'vault.path': 1, passphrase: 2 };

/** First run: who you are, where the vault lives, and the passphrase that encrypts it. */
export function FirstRunWizard({ settings, onDone }: { settings: Settings; onDone(settings: Settings): void }) {
  const [step, setStep] = useState(0);
  const [organisation, setOrganisation] = useState('');
  const [vaultPath, setVaultPath] = useState(settings.suggestedVaultPath);
  const [passphrase, setPassphrase] = useState('');
  const [confirmation, setConfirmation] = useState('');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [saving, setSaving] = useState(false);
  const [failure, setFailure] = useState<LifeboatError | null>(null);
  const [sampleLab, setSampleLab] = useState(false);

  const validate = (current: number): Record<string, string> => {
    const found: Record<string, string> = {};
    if (current === 0) {
      const result = organisationName.safeParse(organisation);
      if (!result.success) found.organisation = result.error.issues[0]?.message ?? 'Enter your organisation name.';
    }
    if (current === 1) {
      const result = folderLocation.safeParse({ kind: 'folder', path: vaultPath });
      if (!result.success) found.vaultPath = result.error.issues[0]?.message ?? 'Choose a folder for the vault.';
    }
    if (current === 2) {
      const strength = passphraseStrength(passphrase);
      if (!strength.acceptable) found.passphrase = `${strength.label}. ${strength.hint}`;
      else if (confirmation !== passphrase) found.confirmation = 'The two passphrases are different. Type the same passphrase twice.';
    }
    return found;
  };

  const next = (event?: FormEvent): void => {
    event?.preventDefault();
    const found = validate(step);
    setErrors(found);
    if (Object.keys(found).length === 0) setStep((s) => Math.min(s + 1, 3));
  };

  const finish = async (): Promise<void> => {
    setSaving(true);
    setFailure(null);
    try {
      const saved = await api.completeFirstRun({ organisation, vault: { kind: 'folder', path: vaultPath }, passphrase });
      setPassphrase('');
      setConfirmation('');
      // The sample lab is a convenience: setup is done even if it cannot be created here.
      if (sampleLab) await api.createSampleLab({}).catch(() => undefined);
      onDone(saved);
    } catch (error) {
      const failed = error as LifeboatError;
      setFailure(failed);
      const fieldStep = failed.field ? STEP_OF_FIELD[failed.field] : undefined;
      if (fieldStep !== undefined) setStep(fieldStep);
    } finally {
      setSaving(false);
    }
  };

  return (
    <Center mih="100vh" bg="var(--mantine-color-body)" py="xl">
      <Container size={720} w="100%">
        <Stack gap="lg">
          <div>
            <Title order={1}>Welcome to Lifeboat</Title>
            <Text c="dimmed">Three quick questions, then you can add your hosts and protect your first VMs.</Text>
          </div>
          <Paper withBorder shadow="sm" p="xl" radius="md">
            <form onSubmit={step < 3 ? next : (event) => (event.preventDefault(), void finish())} noValidate>
              <Stepper active={step} onStepClick={(target) => target < step && setStep(target)} size="sm" allowNextStepsSelect={false}>
                <Stepper.Step label="Organisation" description="Who you are" icon={<IconBuilding size={18} />}>
                  <Stack mt="lg">
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
                  </Stack>
                </Stepper.Step>
                <Stepper.Step label="Vault" description="Where copies go" icon={<IconDatabase size={18} />}>
                  <Stack mt="lg">
                    <TextInput
                      label="Vault folder"
                      description="A folder on a second disk, a NAS, or a network share such as \\server\backups. Cloud storage can be added later."
                      value={vaultPath}
                      onChange={(e) => setVaultPath(e.currentTarget.value)}
                      error={errors.vaultPath}
                      autoFocus
                      required
                    />
                    <Alert variant="light" color="blue" icon={<IconInfoCircle />}>
                      Copies on the same disk as your VMs won't survive that disk failing. If you can, choose another disk or a share on another machine.
                    </Alert>
                  </Stack>
                </Stepper.Step>
                <Stepper.Step label="Passphrase" description="Encrypts the vault" icon={<IconKey size={18} />}>
                  <Stack mt="lg">
                    <Alert variant="light" color="orange" icon={<IconKey />} title="Write this passphrase down">
                      Everything in the vault is encrypted with it. If it is lost, nobody — not even Lifeboat support — can restore your VMs.
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
                    <PasswordInput
                      label="Type it again"
                      value={confirmation}
                      onChange={(e) => setConfirmation(e.currentTarget.value)}
                      error={errors.confirmation}
                      autoComplete="new-password"
                      required
                    />
                  </Stack>
                </Stepper.Step>
                <Stepper.Completed>
                  <Stack mt="lg">
                    <Title order={3}>Ready to save</Title>
                    <List spacing="xs">
                      <List.Item>
                        Organisation: <b>{organisation}</b>
                      </List.Item>
                      <List.Item>
                        Vault folder: <b>{vaultPath}</b>
                      </List.Item>
                      <List.Item>Passphrase: kept encrypted on this computer so scheduled copies can run; it won't be shown again.</List.Item>
                    </List>
                    <Checkbox
                      label="Also create a sample lab: three small VMs to try protection and drills with, before touching real hosts"
                      checked={sampleLab}
                      onChange={(e) => setSampleLab(e.currentTarget.checked)}
                    />
                  </Stack>
                </Stepper.Completed>
              </Stepper>
              {failure && (
                <Box mt="lg">
                  <ErrorNotice error={failure} title="Setup was not saved" />
                </Box>
              )}
              <Group justify="space-between" mt="xl">
                <Button variant="default" onClick={() => setStep((s) => Math.max(s - 1, 0))} disabled={step === 0 || saving}>
                  Back
                </Button>
                {step < 3 ? (
                  <Button type="submit">Next</Button>
                ) : (
                  <Button type="submit" loading={saving}>
                    Finish setup
                  </Button>
                )}
              </Group>
            </form>
          </Paper>
        </Stack>
      </Container>
    </Center>
  );
}
