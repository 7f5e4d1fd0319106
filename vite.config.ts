import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// The renderer is a static bundle served by Electron's app:// protocol or by `lifeboat serve`;
// relative asset URLs let both serve it from their own root.
export default defineConfig({
  root: 'renderer',
  base: './',
  plugins: [react()],
  build: {
    outDir: '../dist/renderer',
    emptyOutDir: true,
    chunkSizeWarningLimit: 2000,
    sourcemap: true,
  },
});
