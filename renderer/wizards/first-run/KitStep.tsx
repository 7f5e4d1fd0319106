import { Alert, Button, Checkbox, Code, Group, ScrollArea, Stack, Text, ThemeIcon, Title } from '@mantine/core';
import { IconAlertTriangle, IconCircleCheck, IconDownload, IconKey, IconPrinter } from '@tabler/icons-react';
import type { LifeboatError } from '../../../core/contract/errors';
import type { Settings } from '../../../core/contract/types';
import { ErrorNotice } from '../../components/ErrorNotice';

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

/** Step 4: the recovery kit to print or download, and the promise that it and the passphrase are kept safe. */
export function KitStep({
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
        If this computer is lost, the recovery kit and the passphrase are what bring your VMs back. Print the kit or save it somewhere away
        from these computers — in a safe, or with your manager.
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
            <Button
              variant="default"
              leftSection={<IconDownload size={18} />}
              onClick={() => downloadText('lifeboat-recovery-kit.txt', kit.text!)}
            >
              Download the recovery kit
            </Button>
            <Button variant="default" leftSection={<IconPrinter size={18} />} onClick={() => window.print()}>
              Print it
            </Button>
          </Group>
        </>
      )}
      <Checkbox
        label="I have stored the recovery kit and the passphrase somewhere safe, away from these computers"
        checked={stored}
        onChange={(e) => onStored(e.currentTarget.checked)}
        error={error}
      />
    </Stack>
  );
}
