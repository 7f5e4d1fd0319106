import { createTheme } from '@mantine/core';

/**
 * One look across the app, from Mantine's theme rather than custom CSS. Orange is the brand; the darker shades
 * are the primary in light mode so that white text on a filled button keeps a 4.5:1 contrast.
 */
export const theme = createTheme({
  primaryColor: 'orange',
  primaryShade: { light: 8, dark: 8 },
  defaultRadius: 'md',
  fontFamily: 'Segoe UI, system-ui, -apple-system, Roboto, Helvetica Neue, Arial, sans-serif',
});
