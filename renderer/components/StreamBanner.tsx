import { Alert } from '@mantine/core';
import { IconPlugConnectedX } from '@tabler/icons-react';
import { useStreamState } from '../hooks';

/**
 * Says so while the console has lost its engine: what the page shows may be out of date until it is back,
 * and everything on it loads again when it is (see refreshOnEngineEvents in query-cache.ts).
 */
export function StreamBanner() {
  const state = useStreamState();
  if (state === 'live') return null;
  if (state === 'signed-out') {
    return (
      <Alert color="red" icon={<IconPlugConnectedX />} title="Lifeboat restarted with a new access token" mb="md" role="alert">
        This page can no longer reach it. Open the new link that Lifeboat printed when it started (it ends with ?token=…).
      </Alert>
    );
  }
  return (
    <Alert color="yellow" icon={<IconPlugConnectedX />} title="Reconnecting to the Lifeboat engine…" mb="md" role="status">
      The engine is not answering (it may be restarting). What this page shows may be out of date; it reloads by itself once the engine is
      back.
    </Alert>
  );
}
