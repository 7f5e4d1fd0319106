import { describe, expect, it } from 'vitest';
import { IPC_INVOKE_CHANNEL, type CallResult } from '../../core/contract/bridge';
import { createService } from '../../core/service';
import { registerIpc, type IpcMainLike } from '../../electron/ipc';
import { SafeStorageSecretBox } from '../../electron/safe-storage-box';
import { APP_ENTRY, installNavigationGuards, isAppUrl, mainWindowOptions, type GuardedContents } from '../../electron/window';
import { tempDir } from '../helpers/temp';

type Listener = (event: { preventDefault(): void }, url: string) => void;

function fakeContents() {
  const listeners = new Map<string, Listener>();
  let openHandler: ((details: { url: string }) => { action: string }) | undefined;
  const contents: GuardedContents = {
    setWindowOpenHandler: (handler) => (openHandler = handler),
    on: (event, listener) => listeners.set(event, listener),
  };
  const navigate = (event: string, url: string): boolean => {
    let prevented = false;
    listeners.get(event)?.({ preventDefault: () => (prevented = true) }, url);
    return prevented;
  };
  return { contents, navigate, open: (url: string) => openHandler!({ url }) };
}

describe('Electron window', () => {
  it('isolates the renderer from Node and Electron', () => {
    const prefs = mainWindowOptions('/app/preload.cjs').webPreferences!;
    expect(prefs).toMatchObject({
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      preload: '/app/preload.cjs',
    });
  });

  it('blocks navigation away from the app and every new window; https links go to the browser', () => {
    const { contents, navigate, open } = fakeContents();
    const external: string[] = [];
    installNavigationGuards(contents, (url) => external.push(url));

    expect(navigate('will-navigate', 'https://evil.example/phish')).toBe(true);
    expect(navigate('will-navigate', 'file:///etc/passwd')).toBe(true);
    expect(navigate('will-redirect', 'http://127.0.0.1:9/')).toBe(true);
    expect(navigate('will-navigate', `${APP_ENTRY}#/settings`)).toBe(false);
    expect(navigate('will-attach-webview', 'app://lifeboat/')).toBe(true);

    expect(open('https://docs.example/help')).toEqual({ action: 'deny' });
    expect(open('javascript:alert(1)')).toEqual({ action: 'deny' });
    expect(open('app://lifeboat/index.html')).toEqual({ action: 'deny' });
    expect(external).toEqual(['https://docs.example/help']);
  });

  it('recognises only its own origin', () => {
    expect(isAppUrl('app://lifeboat/index.html')).toBe(true);
    expect(isAppUrl('app://lifeboat.evil/index.html')).toBe(false);
    expect(isAppUrl(undefined)).toBe(false);
    expect(isAppUrl('not a url')).toBe(false);
  });
});

describe('Electron IPC', () => {
  function wire() {
    const service = createService({ dataDir: tempDir() });
    let handler: ((event: { senderFrame: { url: string } | null }, ...args: unknown[]) => Promise<CallResult>) | undefined;
    const ipcMain: IpcMainLike = {
      handle: (channel, listener) => {
        expect(channel).toBe(IPC_INVOKE_CHANNEL);
        handler = listener;
      },
    };
    registerIpc(ipcMain, service);
    const call = (url: string | null, method: string, input: unknown) =>
      handler!({ senderFrame: url === null ? null : { url } }, method, input);
    return { service, call };
  }

  it('answers the app window through the contract, validating input', async () => {
    const { service, call } = wire();
    const ok = await call(APP_ENTRY, 'getSettings', {});
    expect(ok).toMatchObject({ ok: true, result: { firstRunComplete: false } });
    const bad = await call(APP_ENTRY, 'updateSettings', { organisation: '' });
    expect(bad).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT', field: 'organisation' } });
    const unknown = await call(APP_ENTRY, 'eval', {});
    expect(unknown).toMatchObject({ ok: false, error: { code: 'UNKNOWN_METHOD' } });
    await service.close();
  });

  it('refuses calls from any other frame', async () => {
    const { service, call } = wire();
    expect(await call('https://evil.example/', 'getSettings', {})).toMatchObject({ ok: false, error: { code: 'UNAUTHORIZED' } });
    expect(await call(null, 'getSettings', {})).toMatchObject({ ok: false, error: { code: 'UNAUTHORIZED' } });
    await service.close();
  });

  it('seals secrets with safeStorage when Electron provides it', () => {
    const box = new SafeStorageSecretBox({
      isEncryptionAvailable: () => true,
      encryptString: (text) => Buffer.from(text, 'utf8').reverse(),
      decryptString: (data) => Buffer.from(data).reverse().toString('utf8'),
    });
    expect(box.kind).toBe('electron-safe-storage');
    expect(box.open(box.seal('secret'))).toBe('secret');
  });
});
