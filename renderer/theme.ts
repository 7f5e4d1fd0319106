import { Drawer, Modal, Notification, createTheme, type CSSVariablesResolver, type MantineColorsTuple } from '@mantine/core';

/**
 * One look across the app, from Mantine's theme rather than custom CSS. The palettes keep Mantine's light
 * shades but darken 6–9, so that white text on a filled button and dark text on a light badge reach WCAG AA
 * (4.5:1) — axe-core checks every page in both themes (test/e2e/ui-dashboard.test.ts).
 */
const orange: MantineColorsTuple = [
  '#fff7ed',
  '#ffedd5',
  '#fed7aa',
  '#fdba74',
  '#fb923c',
  '#f97316',
  '#c2410c',
  '#b33c0b',
  '#9a3412',
  '#7c2d12',
];
const green: MantineColorsTuple = [
  '#f0fdf4',
  '#dcfce7',
  '#bbf7d0',
  '#86efac',
  '#4ade80',
  '#22c55e',
  '#15803d',
  '#137438',
  '#166534',
  '#14532d',
];
const teal: MantineColorsTuple = [
  '#f0fdfa',
  '#ccfbf1',
  '#99f6e4',
  '#5eead4',
  '#2dd4bf',
  '#14b8a6',
  '#0f766e',
  '#0e6b64',
  '#115e59',
  '#134e4a',
];
const red: MantineColorsTuple = [
  '#fef2f2',
  '#fee2e2',
  '#fecaca',
  '#fca5a5',
  '#f87171',
  '#ef4444',
  '#c81e1e',
  '#b91c1c',
  '#991b1b',
  '#7f1d1d',
];
const yellow: MantineColorsTuple = [
  '#fffbeb',
  '#fef3c7',
  '#fde68a',
  '#fcd34d',
  '#fbbf24',
  '#f59e0b',
  '#a84f08',
  '#92400e',
  '#78350f',
  '#713f12',
];
const blue: MantineColorsTuple = [
  '#eff6ff',
  '#dbeafe',
  '#bfdbfe',
  '#93c5fd',
  '#60a5fa',
  '#3b82f6',
  '#2563eb',
  '#1d4ed8',
  '#1e40af',
  '#1e3a8a',
];

export const theme = createTheme({
  primaryColor: 'orange',
  primaryShade: { light: 6, dark: 7 },
  colors: { orange, green, teal, red, yellow, blue },
  defaultRadius: 'md',
  fontFamily: 'Segoe UI, system-ui, -apple-system, Roboto, Helvetica Neue, Arial, sans-serif',
  components: {
    // Mantine's close buttons are icons only: name them for screen readers.
    Modal: Modal.extend({ defaultProps: { closeButtonProps: { 'aria-label': 'Close' } } }),
    Drawer: Drawer.extend({ defaultProps: { closeButtonProps: { 'aria-label': 'Close' } } }),
    // Toasts too; and their text uses the AA-readable dimmed grey below, not Mantine's fixed gray-6 (3.3:1).
    Notification: Notification.extend({
      defaultProps: { closeButtonProps: { 'aria-label': 'Dismiss' } },
      styles: { description: { color: 'var(--mantine-color-dimmed)' } },
    }),
  },
});

/** Mantine's dimmed grey is 3.3:1 on white; one step darker (and lighter in dark mode) reads at AA. */
export const cssVariablesResolver: CSSVariablesResolver = () => ({
  variables: {},
  light: { '--mantine-color-dimmed': 'var(--mantine-color-gray-7)' },
  dark: { '--mantine-color-dimmed': 'var(--mantine-color-dark-1)' },
});
