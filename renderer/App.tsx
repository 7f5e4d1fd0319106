import { AppShell, Center, Container, Group, Loader, NavLink, Text, Title } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import {
  IconActivity,
  IconFileSpreadsheet,
  IconLayoutDashboard,
  IconLifebuoy,
  IconServer2,
  IconSettings,
  IconShieldCheck,
} from '@tabler/icons-react';
import type { ComponentType } from 'react';
import type { Settings } from '../core/contract/types';
import { api } from './api';
import { ErrorNotice } from './components/ErrorNotice';
import { useEngine } from './hooks';
import { ActivityPage } from './pages/ActivityPage';
import { DashboardPage } from './pages/DashboardPage';
import { DrillsPage } from './pages/DrillsPage';
import { ProtectionPage } from './pages/ProtectionPage';
import { ReportsPage } from './pages/ReportsPage';
import { SettingsPage } from './pages/SettingsPage';
import { VirtualMachinesPage } from './pages/VirtualMachinesPage';
import { useRoute, type PageId } from './router';
import { FirstRunWizard } from './wizards/FirstRunWizard';

const NAV: { id: PageId; label: string; icon: ComponentType<{ size?: number; stroke?: number }> }[] = [
  { id: 'dashboard', label: 'Dashboard', icon: IconLayoutDashboard },
  { id: 'vms', label: 'Virtual machines', icon: IconServer2 },
  { id: 'protection', label: 'Protection', icon: IconShieldCheck },
  { id: 'drills', label: 'Drills', icon: IconLifebuoy },
  { id: 'reports', label: 'Reports', icon: IconFileSpreadsheet },
  { id: 'activity', label: 'Activity', icon: IconActivity },
  { id: 'settings', label: 'Settings', icon: IconSettings },
];

export function App() {
  const settings = useEngine<Settings>(() => api.getSettings(), ['settings.changed']);

  if (settings.error && !settings.data) {
    return (
      <Container size="sm" py={80}>
        <ErrorNotice error={settings.error} onRetry={settings.reload} title="Lifeboat cannot reach its engine" />
      </Container>
    );
  }
  if (!settings.data) {
    return (
      <Center h="100vh">
        <Loader aria-label="Loading" />
      </Center>
    );
  }
  if (!settings.data.firstRunComplete) {
    return (
      <FirstRunWizard
        settings={settings.data}
        onDone={(saved) => {
          settings.set(saved);
          notifications.show({ color: 'green', title: 'Lifeboat is set up', message: 'Next: add the hosts where your VMs run.' });
        }}
      />
    );
  }
  return <Shell settings={settings.data} onSettings={settings.set} />;
}

function Shell({ settings, onSettings }: { settings: Settings; onSettings(settings: Settings): void }) {
  const [page, go] = useRoute();
  return (
    <AppShell header={{ height: 56 }} navbar={{ width: 230, breakpoint: 'xs' }} padding="lg">
      <AppShell.Header>
        <Group h="100%" px="md" justify="space-between">
          <Group gap="xs">
            <img src="./lifeboat.svg" alt="" width={28} height={28} />
            <Title order={3}>Lifeboat</Title>
          </Group>
          <Text size="sm" c="dimmed" data-testid="header-organisation">
            {settings.organisation}
          </Text>
        </Group>
      </AppShell.Header>
      <AppShell.Navbar p="xs" aria-label="Main">
        {NAV.map(({ id, label, icon: Icon }) => (
          <NavLink
            key={id}
            href={`#/${id}`}
            label={label}
            leftSection={<Icon size={20} stroke={1.6} />}
            active={page === id}
            aria-current={page === id ? 'page' : undefined}
            onClick={(event) => {
              event.preventDefault();
              go(id);
            }}
          />
        ))}
      </AppShell.Navbar>
      <AppShell.Main>
        <Container size="lg" px={0}>
          {page === 'dashboard' && <DashboardPage settings={settings} go={go} />}
          {page === 'vms' && <VirtualMachinesPage />}
          {page === 'protection' && <ProtectionPage go={go} />}
          {page === 'drills' && <DrillsPage go={go} />}
          {page === 'reports' && <ReportsPage />}
          {page === 'activity' && <ActivityPage />}
          {page === 'settings' && <SettingsPage settings={settings} onSaved={onSettings} />}
        </Container>
      </AppShell.Main>
    </AppShell>
  );
}
