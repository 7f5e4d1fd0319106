import os from 'node:os';
import { defineConfig } from 'vitest/config';

// New vaults cost ~0.5 s of scrypt each (core/vault/keys.ts); the suite makes hundreds, so its vaults use the
// cost every vault had before (2^15). Workers and the CLI and engine processes they start inherit it; the
// KDF tests set the default cost where they need it.
process.env.LIFEBOAT_VAULT_KDF_N ??= '32768';

// One runner for every suite; the projects only differ in what they include and how long they may take.
export default defineConfig({
  test: {
    pool: 'forks',
    // Two files at a time even on two cores (vitest would take one): most files wait on child processes,
    // guests and sockets, not the CPU, and the suite has to fit in 15 minutes there.
    maxWorkers: Math.max(2, os.availableParallelism() - 1),
    projects: [
      { test: { name: 'unit', include: ['test/unit/**/*.test.ts'], environment: 'node', testTimeout: 20_000 } },
      { test: { name: 'integration', include: ['test/integration/**/*.test.ts'], environment: 'node', testTimeout: 120_000, hookTimeout: 120_000 } },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          environment: 'node',
          testTimeout: 180_000,
          hookTimeout: 120_000,
          // Each file drives its own Chromium; two cores do not take more at once.
          fileParallelism: false,
        },
      },
    ],
  },
});
