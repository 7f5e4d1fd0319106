import { Alert, Button, Text } from '@mantine/core';
import { IconAlertTriangle } from '@tabler/icons-react';
import type { LifeboatError } from '../../core/contract/errors';

/** An engine error in plain words: what happened, and what to do about it. */
export function ErrorNotice({ error, onRetry, title }: { error: LifeboatError; onRetry?: () => void; title?: string }) {
  return (
    <Alert color="red" variant="light" icon={<IconAlertTriangle />} title={title ?? 'Something went wrong'} role="alert">
      <Text size="sm">{error.message}</Text>
      {error.fix && (
        <Text size="sm" mt={4} fw={500}>
          {error.fix}
        </Text>
      )}
      {onRetry && (
        <Button size="xs" variant="light" color="red" mt="sm" onClick={onRetry}>
          Try again
        </Button>
      )}
    </Alert>
  );
}
