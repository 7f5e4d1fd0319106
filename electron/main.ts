import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { app, BrowserWindow, dialog, Menu, nativeImage, Notification, protocol, session, shell, Tray } from 'electron';
import { IPC_EVENT_CHANNEL } from '../core/contract/bridge';
import type { Settings } from '../core/contract/types';
import { runningEngine } from '../core/engine-lock';
import { noticeFor } from '../core/notify/notices';
import { connectToAgent, resourcePath, startLocalEngine, type DesktopEngine } from './engine';
import { quitPrompt, trayView, type TrayAction } from './tray-state';
import { APP_SCHEME, installNavigationGuards, installPermissionGuards, mainWindowOptions } from './window';

// The shell wires Electron to the engine: window, tray, notifications, login item. Logic lives in core/.
const here = path.dirname(fileURLToPath(import.meta.url));
const rendererDir = path.join(here, '..', 'renderer');
const startHidden = process.argv.includes('--hidden');

protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } }]);

let engine: DesktopEngine | null = null;
let window: BrowserWindow | null = null;
let tray: Tray | null = null;
let quitting = false;

if (process.argv.includes('--agent')) {
  // `Lifeboat --agent [--port N] [--data DIR]`: the packaged app as a headless engine for a service manager;
  // the same code as `lifeboat agent`. No window, no tray, no single-instance lock (a desktop may run too).
  const args = process.argv.slice(process.argv.indexOf('--agent') + 1);
  void import('../core/cli').then(async ({ main }) => app.exit(await main(['agent', ...args])));
} else if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  app.on('second-instance', () => showWindow());
  // fail also catches what start throws (an engine that cannot start, an agent link refused).
  app.whenReady().then(start).catch(fail);
}

function fail(error: unknown): void {
  dialog.showErrorBox(
    'Lifeboat could not start',
    error instanceof Error ? `${error.message}${'fix' in error ? `\n\n${String(error.fix)}` : ''}` : String(error),
  );
  app.exit(1);
}

async function start(): Promise<void> {
  // First, before the engine and any window: no page gets a permission (camera, location, notifications…).
  installPermissionGuards(session.defaultSession, (url) => engine?.isOwnUrl(url) ?? false);
  const dataDir = app.getPath('userData');
  const agent = runningEngine(dataDir);
  engine = agent?.url ? connectToAgent({ ...agent, url: agent.url }) : startLocalEngine(dataDir, rendererDir);

  tray = new Tray(nativeImage.createFromPath(resourcePath('tray', 'tray-idle.png')));
  tray.on('click', () => showWindow());
  await refreshTray();

  const jobTitles = new Map<string, { title: string; kind: string }>();
  engine.subscribe((event) => {
    if (event.type === 'job.finished' || event.type === 'alert.raised' || event.type === 'job.progress') void refreshTray();
    if (event.type === 'settings.changed') applyDesktopSettings(event.settings);
    const notice = noticeFor(event, (id) => jobTitles.get(id) ?? null);
    if (notice && Notification.isSupported()) new Notification({ title: notice.title, body: notice.body, urgency: notice.urgency }).show();
    if (event.type === 'job.progress' && !jobTitles.has(event.jobId)) {
      void engine?.client.getJob({ id: event.jobId }).then((job) => jobTitles.set(job.id, { title: job.title, kind: job.kind }));
    }
  });
  applyDesktopSettings(await engine.client.getSettings());

  if (!startHidden) showWindow();
  // Closing the window keeps the engine in the tray; only Quit ends it.
  app.on('window-all-closed', () => undefined);
  app.on('activate', () => showWindow());
  app.on('before-quit', () => {
    quitting = true;
  });
  app.on('will-quit', (event) => {
    if (!engine) return;
    event.preventDefault();
    const closing = engine;
    engine = null;
    void closing.close().finally(() => app.quit());
  });
}

function showWindow(): void {
  if (!engine) return;
  if (window) {
    if (window.isMinimized()) window.restore();
    window.show();
    window.focus();
    return;
  }
  const options = mainWindowOptions(path.join(here, 'preload.cjs'));
  if (!engine.usesPreload) delete options.webPreferences!.preload;
  const created = new BrowserWindow({ ...options, icon: resourcePath('icon.png') });
  const current = engine;
  installNavigationGuards(
    created.webContents,
    (url) => void shell.openExternal(url),
    (url) => current.isOwnUrl(url),
  );
  const stopEvents = current.usesPreload
    ? current.subscribe((event) => created.webContents.send(IPC_EVENT_CHANNEL, event))
    : () => undefined;
  created.on('close', (event) => {
    if (quitting) return;
    event.preventDefault();
    created.hide();
  });
  created.on('closed', () => {
    stopEvents();
    window = null;
  });
  created.once('ready-to-show', () => created.show());
  void created.loadURL(current.url);
  window = created;
}

async function refreshTray(): Promise<void> {
  if (!engine || !tray) return;
  const [rpo, running, paused] = await Promise.all([
    engine.client.getRpoStatus(),
    engine.client.listJobs({ status: 'running', limit: 1000 }),
    engine.client.getSchedulesPaused(),
  ]).catch(() => [[], [], { paused: false }] as const);
  const view = trayView({ rpo, runningJobs: running.length, paused: paused.paused });
  tray.setImage(nativeImage.createFromPath(resourcePath('tray', `${view.icon}.png`)));
  tray.setToolTip(view.tooltip);
  tray.setContextMenu(
    Menu.buildFromTemplate(
      view.menu.flatMap((item) => [
        ...(item.action === 'quit' ? [{ type: 'separator' as const }] : []),
        { label: item.label, enabled: item.enabled, click: () => void onTrayAction(item.action) },
      ]),
    ),
  );
}

async function onTrayAction(action: TrayAction): Promise<void> {
  if (!engine) return;
  switch (action) {
    case 'open':
      return showWindow();
    case 'pauseAll':
    case 'resumeAll':
      await engine.client.setSchedulesPaused({ paused: action === 'pauseAll' });
      return refreshTray();
    case 'runNow':
      showWindow();
      return;
    case 'quit': {
      const running = await engine.client.listJobs({ status: 'running', limit: 1000 }).catch(() => []);
      const prompt = quitPrompt(running.length, engine.remote);
      if (prompt) {
        const answer = await dialog.showMessageBox({
          type: 'warning',
          message: prompt.message,
          detail: prompt.detail,
          buttons: prompt.buttons,
          defaultId: 1,
          cancelId: 1,
        });
        if (answer.response !== 0) return;
      }
      app.quit();
    }
  }
}

function applyDesktopSettings(settings: Settings): void {
  if (app.isPackaged) app.setLoginItemSettings({ openAtLogin: settings.desktop.startAtLogin, args: ['--hidden'] });
  if (settings.desktop.autoUpdate && app.isPackaged) {
    void import('electron-updater')
      .then(({ autoUpdater }) => autoUpdater.checkForUpdatesAndNotify())
      .catch((error: unknown) => console.warn(`update check failed: ${(error as Error).message}`));
  }
}
