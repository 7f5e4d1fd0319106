import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/temp';

// electron-builder's own configuration check, without packaging (which needs the Electron binary).
const require = createRequire(path.join(repoRoot, 'package.json'));
const { getConfig, validateConfiguration } = require('app-builder-lib/out/util/config/config') as {
  getConfig(dir: string, file: string, extra: null): Promise<Record<string, unknown>>;
  validateConfiguration(config: Record<string, unknown>, logger: unknown): Promise<void>;
};
const { DebugLogger } = require('builder-util') as { DebugLogger: new (enabled: boolean) => unknown };

describe('electron-builder.yml', () => {
  it('passes electron-builder schema validation', async () => {
    const config = await getConfig(repoRoot, 'electron-builder.yml', null);
    await expect(validateConfiguration(config, new DebugLogger(false))).resolves.toBeUndefined();
    expect(config).toMatchObject({
      npmRebuild: false,
      nsis: { perMachine: true, createStartMenuShortcut: true, deleteAppDataOnUninstall: false },
      linux: { target: ['AppImage', 'deb'] },
    });
  });

  it('is really checked: a wrong value is refused', async () => {
    const config = await getConfig(repoRoot, 'electron-builder.yml', null);
    await expect(validateConfiguration({ ...config, nsis: { perMachine: 'yes' } }, new DebugLogger(false))).rejects.toThrow(
      /configuration object/,
    );
  });

  it('packages what the app needs: the built app, icons, PowerShell scripts', () => {
    for (const file of ['resources/icon.png', 'resources/tray/tray-ok.png', 'resources/tray/tray-breach.png']) {
      expect(fs.existsSync(path.join(repoRoot, file)), file).toBe(true);
    }
    const pkg = JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as {
      main: string;
      dependencies: Record<string, string>;
    };
    expect(pkg.main).toBe('dist/electron/main.js');
    // Renderer libraries are bundled by Vite; only engine modules ship in node_modules.
    expect(Object.keys(pkg.dependencies)).not.toContain('react');
    expect(Object.keys(pkg.dependencies)).toContain('better-sqlite3');
  });
});
