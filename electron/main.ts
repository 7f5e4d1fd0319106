import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { app, BrowserWindow, ipcMain, protocol, safeStorage, shell } from 'electron';
import { IPC_EVENT_CHANNEL } from '../core/contract/bridge';
import { CONTENT_SECURITY_POLICY } from '../core/contract/csp';
import { readStaticFile } from '../core/http/static-files';
import { KeyFileSecretBox } from '../core/secrets/key-file-box';
import { createService, type LifeboatService } from '../core/service';
import { forwardEvents, registerIpc } from './ipc';
import { SafeStorageSecretBox } from './safe-storage-box';
import { APP_ENTRY, APP_SCHEME, installNavigationGuards, mainWindowOptions } from './window';

// The shell only wires Electron to the engine: window, protocol, IPC. Everything else lives in core/.
const here = path.dirname(fileURLToPath(import.meta.url));
const rendererDir = path.join(here, '..', 'renderer');

protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } }]);

let mainWindow: BrowserWindow | null = null;

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  app.on('second-instance', () => {
    if (!mainWindow) return;
    if (mainWindow.isMinimized()) mainWindow.restore();
    mainWindow.focus();
  });
  app.whenReady().then(start, (error: unknown) => {
    console.error(error);
    app.exit(1);
  });
}

function start(): void {
  const dataDir = app.getPath('userData');
  const service = createService({
    dataDir,
    // Linux without a keyring has no real safeStorage; the 0600 key file is better than its plain-text fallback.
    secretBox: safeStorage.isEncryptionAvailable() ? new SafeStorageSecretBox(safeStorage) : new KeyFileSecretBox(dataDir),
  });

  protocol.handle(APP_SCHEME, (request) => {
    const file = readStaticFile(rendererDir, new URL(request.url).pathname);
    if (!file) return new Response('Not found', { status: 404 });
    return new Response(new Uint8Array(file.body), {
      headers: { 'content-type': file.contentType, 'content-security-policy': CONTENT_SECURITY_POLICY },
    });
  });
  registerIpc(ipcMain, service);

  createWindow(service);
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) createWindow(service);
  });
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });
  let closed = false;
  app.on('will-quit', (event) => {
    if (closed) return;
    // Let running work stop and the catalog close cleanly before the process ends.
    event.preventDefault();
    void service.close().finally(() => {
      closed = true;
      app.quit();
    });
  });
}

function createWindow(service: LifeboatService): void {
  const window = new BrowserWindow(mainWindowOptions(path.join(here, 'preload.cjs')));
  installNavigationGuards(window.webContents, (url) => void shell.openExternal(url));
  const stopEvents = forwardEvents(service, (event) => window.webContents.send(IPC_EVENT_CHANNEL, event));
  window.on('closed', () => {
    stopEvents();
    mainWindow = null;
  });
  window.once('ready-to-show', () => window.show());
  void window.loadURL(APP_ENTRY);
  mainWindow = window;
}
