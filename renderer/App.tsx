import {
  ActionIcon,
  AppShell,
  Badge,
  Center,
  Container,
  Group,
  Loader,
  NavLink,
  Text,
  Title,
  Tooltip,
  useComputedColorScheme,
  useMantineColorScheme,
} from '@mantine/core';
import {
  IconActivity,
  IconFileSpreadsheet,
  IconLayoutDashboard,
  IconLifebuoy,
  IconMoon,
  IconServer2,
  IconSettings,
  IconShieldCheck,
  IconSun,
} from '@tabler/icons-react';
import { useState, type ComponentType } from 'react';
import type { Settings } from '../core/contract/types';
import { ErrorNotice } from './components/ErrorNotice';
import { useJobToasts } from './components/JobToasts';
import { StreamBanner } from './components/StreamBanner';
import { useEngineQuery } from './hooks';
import { ActivityPage } from './pages/ActivityPage';
import { DashboardPage } from './pages/DashboardPage';
import { DrillResultPage } from './pages/DrillResultPage';
import { DrillsPage } from './pages/DrillsPage';
import { ProtectionPage } from './pages/ProtectionPage';
import { ReportsPage } from './pages/ReportsPage';
import { SettingsPage } from './pages/SettingsPage';
import { VirtualMachinesPage } from './pages/VirtualMachinesPage';
import { VmPage } from './pages/VmPage';
import { navigate, useRoute, type PageId } from './router';
import { FirstRunWizard, onboardingInProgress } from './wizards/FirstRunWizard';

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
  const settings = useEngineQuery('getSettings');
  // The wizard stays open after setup is saved: its later steps (recovery kit, hosts, first VMs) follow.
  const [wizard, setWizard] = useState<boolean | null>(null);

  if (settings.error && !settings.data) {
    return (
      <Container size="sm" py={80}>
        <ErrorNotice
          error={settings.error}
          onRetry={settings.reload}
          title={settings.error.code === 'UNAUTHORIZED' ? 'Open Lifeboat from its link' : 'Lifeboat cannot reach its engine'}
        />
      </Container>
    );
  }
  if (!settings.data) {
    return (
      <Center h="100vh">
        <Loader role="status" aria-label="Loading" />
      </Center>
    );
  }
  if (wizard ?? (!settings.data.firstRunComplete || onboardingInProgress())) {
    return (
      <FirstRunWizard
        settings={settings.data}
        onSaved={(saved) => {
          setWizard(true);
          settings.set(saved);
        }}
        onFinish={(page) => {
          setWizard(false);
          navigate(page);
        }}
      />
    );
  }
  return <Shell settings={settings.data} onSettings={settings.set} />;
}

function ThemeToggle() {
  const { setColorScheme } = useMantineColorScheme();
  const scheme = useComputedColorScheme('light');
  const next = scheme === 'dark' ? 'light' : 'dark';
  return (
    <Tooltip label={`Switch to the ${next} theme`}>
      <ActionIcon variant="default" size="lg" aria-label={`Switch to the ${next} theme`} onClick={() => setColorScheme(next)}>
        {scheme === 'dark' ? <IconSun size={18} /> : <IconMoon size={18} />}
      </ActionIcon>
    </Tooltip>
  );
}

function Shell({ settings, onSettings }: { settings: Settings; onSettings(settings: Settings): void }) {
  const [{ page, param }, go] = useRoute();
  const paused = useEngineQuery('getSchedulesPaused');
  useJobToasts();
  return (
    <AppShell header={{ height: 56 }} navbar={{ width: 230, breakpoint: 'xs' }} padding="lg">
      <AppShell.Header>
        <Group h="100%" px="md" justify="space-between">
          <Group gap="xs">
            <img src="./lifeboat.svg" alt="" width={28} height={28} />
            <Title order={3} component="p">
              Lifeboat
            </Title>
          </Group>
          <Group gap="sm">
            {paused.data?.paused && (
              <Badge color="yellow" variant="light" size="lg" style={{ cursor: 'pointer' }} onClick={() => go('protection')}>
                Schedules paused
              </Badge>
            )}
            <Text size="sm" c="dimmed" data-testid="header-organisation">
              {settings.organisation}
            </Text>
            <ThemeToggle />
          </Group>
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
        {/* The VM list is a wide table: it gets the whole width on a large screen; reading pages stay at a comfortable measure. */}
        <Container size="lg" px={0} fluid={page === 'vms' && !param}>
          <StreamBanner />
          {page === 'dashboard' && <DashboardPage settings={settings} go={go} />}
          {page === 'vms' && (param ? <VmPage key={param} vmId={param} go={go} /> : <VirtualMachinesPage />)}
          {page === 'protection' && <ProtectionPage settings={settings} go={go} />}
          {page === 'drills' && (param ? <DrillResultPage drillId={param} go={go} /> : <DrillsPage go={go} />)}
          {page === 'reports' && <ReportsPage />}
          {page === 'activity' && <ActivityPage />}
          {page === 'settings' && <SettingsPage settings={settings} onSaved={onSettings} />}
        </Container>
      </AppShell.Main>
    </AppShell>
  );
}
