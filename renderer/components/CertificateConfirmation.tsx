import { Alert, Button, Code, Group, Text } from '@mantine/core';
import { IconCertificate } from '@tabler/icons-react';
import type { CertificateInfo } from '../../core/contract/hosts';

/** A self-signed vSphere certificate, shown for the user to compare with the host's console before trusting it. */
export function CertificateConfirmation({
  certificate,
  saving,
  onTrust,
  onCancel,
}: {
  certificate: CertificateInfo;
  saving: boolean;
  onTrust(): void;
  onCancel(): void;
}) {
  return (
    <Alert
      color="orange"
      variant="light"
      icon={<IconCertificate />}
      title="Confirm this host's certificate"
      data-testid="certificate-confirmation"
    >
      <Text size="sm">
        No certificate authority vouches for this certificate. Compare its thumbprint with the one on the host&apos;s console before you
        trust it; Lifeboat will then refuse any other certificate.
      </Text>
      <Text size="sm" mt="xs">
        Issued to: {certificate.subject}
      </Text>
      <Text size="sm">Valid until: {new Date(certificate.validTo).toLocaleDateString()}</Text>
      <Text size="sm" mt="xs">
        SHA-256:
      </Text>
      <Code block data-testid="certificate-thumbprint" style={{ whiteSpace: 'pre-wrap', wordBreak: 'break-all' }}>
        {certificate.sha256.toUpperCase().match(/../g)?.join(':')}
      </Code>
      <Group mt="sm">
        <Button color="orange" onClick={onTrust} loading={saving}>
          Trust this certificate and add
        </Button>
        <Button variant="default" onClick={onCancel}>
          Cancel
        </Button>
      </Group>
    </Alert>
  );
}
