// Electron cannot run here (its binary is never fetched), so the hardening is proven from the outside:
// electron-builder's own config loader and hook resolver, the real @electron/fuses on a fake binary, and the
// shell's pure functions and source. Nothing here imports `electron` (its package tries to download the binary).
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { LifeboatError } from '../../core/contract/errors';
import { KeyFileSecretBox } from '../../core/secrets/key-file-box';
import { chooseSecretBox, desktopSecretBox, SafeStorageSecretBox, type SafeStorageLike } from '../../electron/safe-storage-box';
import {
  agentAddress,
  APP_ENTRY,
  installPermissionGuards,
  isAppUrl,
  permissionHandlers,
  type PermissionSession,
} from '../../electron/window';
import { repoRoot, tempDir } from '../helpers/temp';

const require = createRequire(path.join(repoRoot, 'package.json'));
const { getConfig } = require('app-builder-lib/out/util/config/config') as {
  getConfig(dir: string, file: string, extra: null): Promise<Record<string, unknown>>;
};
const { resolveFunction } = require('app-builder-lib/out/util/resolve') as {
  resolveFunction(type: unknown, executor: unknown, name: string, rootSearchDir: string): Promise<unknown>;
};

interface FusesModule {
  FuseVersion: { V1: string };
  FuseV1Options: Record<string, number | string>;
  flipFuses(pathToElectron: string, config: Record<string, unknown>): Promise<number>;
  getCurrentFuseWire(pathToElectron: string): Promise<Record<string, unknown>>;
}
const realFuses = require('@electron/fuses') as FusesModule;
const { FuseV1Options, FuseVersion } = realFuses;
const SENTINEL = (require('@electron/fuses/dist/constants') as { SENTINEL: string }).SENTINEL;

interface PackContext {
  appOutDir: string;
  electronPlatformName: string;
  arch: number;
  packager: { appInfo: { productFilename: string }; executableName?: string };
}
const hook = require(path.join(repoRoot, 'scripts', 'electron-fuses.cjs')) as {
  makeAfterPack(fuses: Pick<FusesModule, 'FuseVersion' | 'FuseV1Options' | 'flipFuses'>): (context: PackContext) => Promise<void>;
};

const ARCH = { x64: 1, arm64: 3 };
const context = (electronPlatformName: string, arch = ARCH.x64, appOutDir = '/build/release/unpacked'): PackContext => ({
  appOutDir,
  electronPlatformName,
  arch,
  packager: { appInfo: { productFilename: 'Lifeboat' }, executableName: 'lifeboat' },
});

/** The six fuses, by index on the wire, as the hook must set them. */
const EXPECTED_FUSES = {
  [FuseV1Options.RunAsNode as number]: false,
  [FuseV1Options.EnableNodeOptionsEnvironmentVariable as number]: false,
  [FuseV1Options.EnableNodeCliInspectArguments as number]: false,
  [FuseV1Options.EnableCookieEncryption as number]: true,
  [FuseV1Options.EnableEmbeddedAsarIntegrityValidation as number]: true,
  [FuseV1Options.OnlyLoadAppFromAsar as number]: true,
};

describe('Electron fuses (electron-builder afterPack)', () => {
  it('electron-builder.yml names the hook, and electron-builder resolves it to a function', async () => {
    const config = await getConfig(repoRoot, 'electron-builder.yml', null);
    expect(config.afterPack).toBe('./scripts/electron-fuses.cjs');
    // The fuses need the app inside app.asar.
    expect(config.asar).toBe(true);
    const resolved = await resolveFunction(null, config.afterPack, 'afterPack', repoRoot);
    expect(typeof resolved).toBe('function');
    const pkg = JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> };
    const installed = JSON.parse(fs.readFileSync(path.join(repoRoot, 'node_modules', '@electron', 'fuses', 'package.json'), 'utf8')) as {
      version: string;
    };
    expect(pkg.devDependencies['@electron/fuses']).toBe(installed.version);
  });

  it('calls flipFuses with exactly the six fuse values, on the binary of each platform', async () => {
    const calls: { binary: string; config: Record<string, unknown> }[] = [];
    const afterPack = hook.makeAfterPack({
      FuseVersion,
      FuseV1Options,
      flipFuses: async (binary, config) => {
        calls.push({ binary, config });
        return 1;
      },
    });
    await afterPack(context('win32'));
    await afterPack(context('linux'));
    await afterPack(context('darwin', ARCH.arm64));
    await afterPack(context('darwin', ARCH.x64));
    expect(calls.map((call) => call.binary)).toEqual([
      path.join('/build/release/unpacked', 'Lifeboat.exe'),
      path.join('/build/release/unpacked', 'lifeboat'),
      path.join('/build/release/unpacked', 'Lifeboat.app'),
      path.join('/build/release/unpacked', 'Lifeboat.app'),
    ]);
    for (const [i, call] of calls.entries()) {
      // Exactly these keys: the version, the ad-hoc re-signing switch and the six fuses, nothing left to inherit.
      expect(call.config).toStrictEqual({ version: FuseVersion.V1, resetAdHocDarwinSignature: i === 2, ...EXPECTED_FUSES });
    }
    expect(calls[0]!.config[FuseV1Options.RunAsNode as number]).toBe(false);
    await expect(afterPack(context('freebsd'))).rejects.toThrow(/no Electron binary known for platform "freebsd"/);
  });

  it('flips those fuses in a binary through the real @electron/fuses, as electron-builder runs the hook', async () => {
    const appOutDir = tempDir('lifeboat-fuses-');
    const binary = path.join(appOutDir, 'lifeboat');
    // A stand-in for the Electron binary: the fuse sentinel, wire version 1, 8 fuses as Electron ships them
    // ('1' on, '0' off: RunAsNode, NODE_OPTIONS, --inspect and file:// privileges on), between other bytes.
    const shipped = '10110001';
    fs.writeFileSync(
      binary,
      Buffer.concat([Buffer.alloc(4096, 0xcc), Buffer.from(SENTINEL), Buffer.from([1, 8]), Buffer.from(shipped), Buffer.alloc(4096, 0xdd)]),
    );
    const config = await getConfig(repoRoot, 'electron-builder.yml', null);
    const afterPack = (await resolveFunction(null, config.afterPack, 'afterPack', repoRoot)) as (context: PackContext) => Promise<void>;
    await afterPack(context('linux', ARCH.x64, appOutDir));
    const wire = await realFuses.getCurrentFuseWire(binary);
    const state = (index: number) => String.fromCharCode(wire[index] as number);
    expect(state(FuseV1Options.RunAsNode as number)).toBe('0');
    expect(state(FuseV1Options.EnableNodeOptionsEnvironmentVariable as number)).toBe('0');
    expect(state(FuseV1Options.EnableNodeCliInspectArguments as number)).toBe('0');
    expect(state(FuseV1Options.EnableCookieEncryption as number)).toBe('1');
    expect(state(FuseV1Options.EnableEmbeddedAsarIntegrityValidation as number)).toBe('1');
    expect(state(FuseV1Options.OnlyLoadAppFromAsar as number)).toBe('1');
    // Fuses Lifeboat does not set keep what the binary had.
    expect(state(FuseV1Options.LoadBrowserProcessSpecificV8Snapshot as number)).toBe(shipped[6]);
    expect(state(FuseV1Options.GrantFileProtocolExtraPrivileges as number)).toBe(shipped[7]);
    // Only the wire changed.
    const after = fs.readFileSync(binary);
    expect(after.length).toBe(4096 + SENTINEL.length + 2 + 8 + 4096);
    expect(after.subarray(0, 4096).every((byte) => byte === 0xcc)).toBe(true);
    expect(after.subarray(after.length - 4096).every((byte) => byte === 0xdd)).toBe(true);
  });
});

describe('Electron permissions', () => {
  const ALL = [
    'media',
    'notifications',
    'geolocation',
    'clipboard-read',
    'display-capture',
    'fullscreen',
    'openExternal',
    'midi',
    'hid',
    'serial',
    'usb',
    'idle-detection',
    'window-management',
    'storage-access',
    'unknown',
  ];
  const isConsole = (url: string) => isAppUrl(url);

  it('denies every permission request and check, to the console too', () => {
    const { request, check, device } = permissionHandlers(isConsole);
    for (const permission of ALL) {
      for (const requestingUrl of [APP_ENTRY, 'https://evil.example/']) {
        const answers: boolean[] = [];
        request(null, permission, (granted) => answers.push(granted), { requestingUrl, isMainFrame: true });
        expect(answers, `${permission} request from ${requestingUrl}`).toEqual([false]);
        expect(check(null, permission, new URL(requestingUrl).origin, { requestingUrl, isMainFrame: true }), `${permission} check`).toBe(
          false,
        );
      }
    }
    expect(device()).toBe(false);
  });

  it("grants only the clipboard write behind Copy buttons, only to the console's own top frame", () => {
    const { request, check } = permissionHandlers(isConsole);
    const ask = (requestingUrl: string | undefined, isMainFrame: boolean) => {
      const answers: boolean[] = [];
      request(null, 'clipboard-sanitized-write', (granted) => answers.push(granted), {
        ...(requestingUrl ? { requestingUrl } : {}),
        isMainFrame,
      });
      return answers;
    };
    expect(ask(APP_ENTRY, true)).toEqual([true]);
    expect(ask(APP_ENTRY, false)).toEqual([false]);
    expect(ask('https://evil.example/', true)).toEqual([false]);
    expect(ask(undefined, true)).toEqual([false]);
    expect(check(null, 'clipboard-sanitized-write', 'app://lifeboat', { isMainFrame: true })).toBe(true);
    expect(check(null, 'clipboard-sanitized-write', 'http://127.0.0.1:9', { isMainFrame: true })).toBe(false);
  });

  it('installs the handlers on the session it is given', () => {
    const installed: string[] = [];
    let request: Parameters<PermissionSession['setPermissionRequestHandler']>[0] | undefined;
    let check: Parameters<PermissionSession['setPermissionCheckHandler']>[0] | undefined;
    const session: PermissionSession = {
      setPermissionRequestHandler: (handler) => {
        installed.push('request');
        request = handler;
      },
      setPermissionCheckHandler: (handler) => {
        installed.push('check');
        check = handler;
      },
      setDevicePermissionHandler: (handler) => {
        installed.push('device');
        expect(handler({})).toBe(false);
      },
    };
    installPermissionGuards(session, isConsole);
    expect(installed).toEqual(['request', 'check', 'device']);
    const answers: boolean[] = [];
    request!(null, 'media', (granted) => answers.push(granted), { requestingUrl: APP_ENTRY, isMainFrame: true });
    expect(answers).toEqual([false]);
    expect(check!(null, 'geolocation', 'app://lifeboat', { requestingUrl: APP_ENTRY, isMainFrame: true })).toBe(false);
  });

  it('main.ts installs them on the default session before an engine or a window can exist', () => {
    const file = path.join(repoRoot, 'electron', 'main.ts');
    const source = ts.createSourceFile(file, fs.readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
    const functions = new Map<string, ts.FunctionDeclaration>();
    const found: { newWindow: ts.Node[]; engineSet: ts.Node[]; startUses: ts.Node[] } = { newWindow: [], engineSet: [], startUses: [] };
    const visit = (node: ts.Node): void => {
      if (ts.isFunctionDeclaration(node) && node.name) functions.set(node.name.text, node);
      if (ts.isNewExpression(node) && node.expression.getText() === 'BrowserWindow') found.newWindow.push(node);
      if (
        ts.isBinaryExpression(node) &&
        node.operatorToken.kind === ts.SyntaxKind.EqualsToken &&
        node.left.getText() === 'engine' &&
        node.right.getText() !== 'null'
      ) {
        found.engineSet.push(node);
      }
      if (ts.isIdentifier(node) && node.text === 'start' && !ts.isFunctionDeclaration(node.parent)) found.startUses.push(node);
      ts.forEachChild(node, visit);
    };
    visit(source);
    const enclosing = (node: ts.Node): ts.FunctionDeclaration | undefined => {
      for (let at: ts.Node | undefined = node.parent; at; at = at.parent) if (ts.isFunctionDeclaration(at)) return at;
      return undefined;
    };

    // start() begins with the guards on session.defaultSession, and runs only once the app is ready.
    const start = functions.get('start')!;
    const first = start.body!.statements[0]!;
    expect(first.getText()).toMatch(/^installPermissionGuards\(session\.defaultSession, /);
    expect(found.startUses.map((use) => use.parent.getText())).toEqual(['app.whenReady().then(start)']);
    // The engine is set only in start(), after the guards; the one window is made in showWindow(), which
    // returns while there is no engine.
    expect(found.engineSet.length).toBeGreaterThan(0);
    for (const assignment of found.engineSet) {
      expect(enclosing(assignment)?.name?.text).toBe('start');
      expect(assignment.getStart()).toBeGreaterThan(first.getEnd());
    }
    expect(found.newWindow).toHaveLength(1);
    const showWindow = enclosing(found.newWindow[0]!)!;
    expect(showWindow.name?.text).toBe('showWindow');
    expect(showWindow.body!.statements[0]!.getText()).toBe('if (!engine) return;');
    expect(source.getText()).toMatch(/import \{[^}]*\bsession\b[^}]*\} from 'electron';/);
  });
});

describe('agent link from the engine lock', () => {
  it('accepts only http://127.0.0.1:<port>/?token=…', () => {
    expect(agentAddress('http://127.0.0.1:5173/?token=abc')).toEqual({
      url: 'http://127.0.0.1:5173/?token=abc',
      origin: 'http://127.0.0.1:5173',
      token: 'abc',
    });
    const token = 'Zm9vYmFyYmF6cXV4LXF1dXgtY29yZ2VfZ3JhdWx0';
    expect(agentAddress(`http://127.0.0.1:41234/?token=${token}`).token).toBe(token);
  });

  it('refuses any other link, without showing its token', () => {
    for (const url of [
      'http://evil.example/?token=x',
      'http://127.0.0.1:80/',
      'http://127.0.0.1:5173/',
      'http://127.0.0.1:5173/?token=',
      'https://127.0.0.1:5173/?token=abc',
      'http://localhost:5173/?token=abc',
      'http://localhost.evil.example:5173/?token=abc',
      'http://127.0.0.1.evil.example:5173/?token=abc',
      'http://127.0.0.1:5173@evil.example/?token=abc',
      'http://user@127.0.0.1:5173/?token=abc',
      'http://127.0.0.1:5173/?token=abc&next=https://evil.example',
      'http://127.0.0.1:5173/redirect?token=abc',
      'http://127.0.0.1:5173/?token=abc#https://evil.example',
      'http://127.0.0.1:99999/?token=abc',
      'http://127.0.0.1:0/?token=abc',
      'http://[::1]:5173/?token=abc',
      ' http://127.0.0.1:5173/?token=abc',
      'http://127.0.0.1:5173/?token=abc\n',
      'javascript:alert(1)//http://127.0.0.1:5173/?token=abc',
    ]) {
      let error: unknown;
      try {
        agentAddress(url);
      } catch (caught) {
        error = caught;
      }
      expect(error, url).toBeInstanceOf(LifeboatError);
      expect((error as LifeboatError).code).toBe('DATA_FOLDER_UNUSABLE');
      expect((error as LifeboatError).message).toMatch(
        /engine lock \(engine\.lock\) names the console at .* not the address of a Lifeboat agent on this computer; Lifeboat did not connect to it/,
      );
      expect((error as LifeboatError).message).not.toMatch(/token=(abc|x)\b/);
      expect((error as LifeboatError).fix).toMatch(/delete engine\.lock/);
    }
  });

  it('engine.ts connects to an agent only through that check', () => {
    const source = fs.readFileSync(path.join(repoRoot, 'electron', 'engine.ts'), 'utf8');
    const connect = source.slice(source.indexOf('export function connectToAgent'), source.indexOf('export function startLocalEngine'));
    expect(connect).toMatch(
      /^export function connectToAgent[^\n]*\n {2}const \{ url, origin, token \} = agentAddress\(agent\.url\);\n {2}const remote = connectToEngine\(origin, token\);/,
    );
    expect(connect).not.toMatch(/new URL\(agent\.url\)|agent\.url\b(?!\))/);
  });
});

describe('secret box on the desktop', () => {
  const storage = (backend: string | undefined, available = true): SafeStorageLike => ({
    isEncryptionAvailable: () => available,
    encryptString: (text) => Buffer.from(text, 'utf8').reverse(),
    decryptString: (data) => Buffer.from(data).reverse().toString('utf8'),
    ...(backend === undefined ? {} : { getSelectedStorageBackend: () => backend }),
  });

  it("refuses Linux's plain-text safeStorage and falls back to the key file", () => {
    const choice = chooseSecretBox('linux', storage('basic_text'));
    expect(choice.box).toBe('key-file');
    expect(choice.box === 'key-file' && choice.warning).toMatch(/safeStorage backend "basic_text": plain text, not encryption/);
    for (const backend of ['unknown', 'something_new', undefined])
      expect(chooseSecretBox('linux', storage(backend)).box, String(backend)).toBe('key-file');
    expect(chooseSecretBox('linux', storage('gnome_libsecret', false)).box).toBe('key-file');
  });

  it('keeps safeStorage with a real keyring on Linux, and on Windows and macOS', () => {
    for (const backend of ['gnome_libsecret', 'kwallet', 'kwallet5', 'kwallet6'])
      expect(chooseSecretBox('linux', storage(backend)).box).toBe('safe-storage');
    // getSelectedStorageBackend is Linux-only: elsewhere it is not asked.
    expect(chooseSecretBox('win32', storage('basic_text')).box).toBe('safe-storage');
    expect(chooseSecretBox('darwin', storage(undefined)).box).toBe('safe-storage');
    expect(chooseSecretBox('win32', storage(undefined, false)).box).toBe('key-file');
  });

  it('builds the key-file box in the data folder and logs the warning', () => {
    const dataDir = tempDir();
    const warnings: string[] = [];
    const { box, previous } = desktopSecretBox(storage('basic_text'), dataDir, 'linux', (message) => warnings.push(message));
    expect(box).toBeInstanceOf(KeyFileSecretBox);
    expect(previous).toBeInstanceOf(SafeStorageSecretBox); // what it sealed before moves to the key file
    expect(box.kind).toBe('key-file');
    expect(fs.existsSync(path.join(dataDir, 'secret.key'))).toBe(true);
    expect(box.open(box.seal('vault passphrase'))).toBe('vault passphrase');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/basic_text/);

    const kept = desktopSecretBox(storage('kwallet5'), dataDir, 'linux', (message) => warnings.push(message));
    expect(kept.box).toBeInstanceOf(SafeStorageSecretBox);
    expect(kept.previous).toBeNull();
    expect(warnings).toHaveLength(1);
  });
});
