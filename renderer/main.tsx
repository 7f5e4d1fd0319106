import '@mantine/core/styles.css';
import '@mantine/notifications/styles.css';
import '@mantine/charts/styles.css';
import { localStorageColorSchemeManager, MantineProvider } from '@mantine/core';
import { Notifications } from '@mantine/notifications';
import { QueryClientProvider } from '@tanstack/react-query';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { subscribe, subscribeStreamState } from './api';
import { createQueryCache, refreshOnEngineEvents } from './query-cache';
import { cssVariablesResolver, theme } from './theme';

const queryCache = createQueryCache();
// For the console's lifetime: the cache stays true to the engine whatever page is open.
refreshOnEngineEvents(queryCache, { subscribe, subscribeStreamState });

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <MantineProvider
      theme={theme}
      cssVariablesResolver={cssVariablesResolver}
      defaultColorScheme="auto"
      colorSchemeManager={localStorageColorSchemeManager({ key: 'lifeboat-color-scheme' })}
    >
      <Notifications position="bottom-left" limit={3} containerWidth={380} />
      <QueryClientProvider client={queryCache}>
        <App />
      </QueryClientProvider>
    </MantineProvider>
  </StrictMode>,
);
