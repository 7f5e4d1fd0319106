import type { BrowserWindowConstructorOptions } from 'electron';
import { LifeboatError } from '../core/contract/errors';
import { LOCK_FILE } from '../core/engine-lock';

/** The renderer is served from this privileged scheme, never from file:// or the network. */
export const APP_SCHEME = 'app';
export const APP_ORIGIN = `${APP_SCHEME}://lifeboat`;
export const APP_ENTRY = `${APP_ORIGIN}/index.html`;

export function mainWindowOptions(preloadPath: string): BrowserWindowConstructorOptions {
  return {
    width: 1280,
    height: 820,
    minWidth: 960,
    minHeight: 600,
    title: 'Lifeboat',
    show: false,
    backgroundColor: '#f8f9fa',
    webPreferences: {
      preload: preloadPath,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      spellcheck: false,
      navigateOnDragDrop: false,
    },
  };
}

export function isAppUrl(url: string | undefined): boolean {
  if (!url) return false;
  try {
    // Compare scheme and host: WHATWG URL gives non-special schemes an opaque "null" origin.
    const parsed = new URL(url);
    return parsed.protocol === `${APP_SCHEME}:` && parsed.host === 'lifeboat';
  } catch {
    return false;
  }
}

/** Links the user clicks (documentation, support) open in their browser; nothing else leaves the app. */
export function isExternalLink(url: string): boolean {
  try {
    return new URL(url).protocol === 'https:';
  } catch {
    return false;
  }
}

/** The slice of WebContents the guards need, so tests can drive them without Electron. */
export interface GuardedContents {
  setWindowOpenHandler(handler: (details: { url: string }) => { action: 'deny' } | { action: 'allow' }): void;
  on(
    event: 'will-navigate' | 'will-redirect' | 'will-attach-webview',
    listener: (event: { preventDefault(): void }, url: string) => void,
  ): unknown;
}

/**
 * No new windows, no navigation away from the app, no webviews. `isAllowed` is the console's own origin:
 * app:// for an in-process engine, the agent's 127.0.0.1 origin when the window shows an agent's console.
 */
export function installNavigationGuards(
  contents: GuardedContents,
  openExternal: (url: string) => void,
  isAllowed: (url: string) => boolean = isAppUrl,
): void {
  contents.setWindowOpenHandler(({ url }) => {
    if (isExternalLink(url)) openExternal(url);
    return { action: 'deny' };
  });
  const stayInApp = (event: { preventDefault(): void }, url: string): void => {
    if (!isAllowed(url)) event.preventDefault();
  };
  contents.on('will-navigate', stayInApp);
  contents.on('will-redirect', stayInApp);
  contents.on('will-attach-webview', (event) => event.preventDefault());
}

/**
 * The one permission a console page may have: writing text to the clipboard, which Chromium asks for before
 * every `navigator.clipboard.writeText` (the Copy buttons; it still needs a click in a focused page). Reading
 * the clipboard, camera, microphone, location, notifications, devices, screen capture: never.
 */
export const GRANTED_PERMISSIONS: ReadonlySet<string> = new Set(['clipboard-sanitized-write']);

/** Whether `permission` may be granted to the page at `requestingUrl`: only the above, only to the console. */
export function permissionGranted(
  permission: string,
  requestingUrl: string | undefined,
  isMainFrame: boolean,
  isConsole: (url: string) => boolean,
): boolean {
  return GRANTED_PERMISSIONS.has(permission) && isMainFrame && requestingUrl !== undefined && isConsole(requestingUrl);
}

interface PermissionDetails {
  requestingUrl?: string;
  isMainFrame?: boolean;
}

/** The slice of Electron's Session the permission guards need, so tests can drive them without Electron. */
export interface PermissionSession {
  setPermissionRequestHandler(
    handler: (webContents: unknown, permission: string, callback: (granted: boolean) => void, details: PermissionDetails) => void,
  ): void;
  setPermissionCheckHandler(
    handler: (webContents: unknown, permission: string, requestingOrigin: string, details: PermissionDetails) => boolean,
  ): void;
  setDevicePermissionHandler(handler: (details: unknown) => boolean): void;
}

/** The handlers installed on the session; exported so tests can call them as Electron would. */
export function permissionHandlers(isConsole: (url: string) => boolean) {
  return {
    request: (_webContents: unknown, permission: string, callback: (granted: boolean) => void, details: PermissionDetails): void =>
      callback(permissionGranted(permission, details.requestingUrl, details.isMainFrame === true, isConsole)),
    check: (_webContents: unknown, permission: string, requestingOrigin: string, details: PermissionDetails): boolean =>
      permissionGranted(permission, details.requestingUrl ?? requestingOrigin, details.isMainFrame === true, isConsole),
    device: (): boolean => false,
  };
}

/**
 * Denies every permission request and check (and every HID, serial and USB device) on `session`, except the
 * clipboard write above for the console's own page. Installed on the default session before any window.
 */
export function installPermissionGuards(session: PermissionSession, isConsole: (url: string) => boolean): void {
  const handlers = permissionHandlers(isConsole);
  session.setPermissionRequestHandler(handlers.request);
  session.setPermissionCheckHandler(handlers.check);
  session.setDevicePermissionHandler(handlers.device);
}

/**
 * The only address an agent writes into the engine lock: `http://127.0.0.1:<port>/?token=<token>` (see
 * core/http/server.ts), nothing before or after. Anyone who can write the data folder can write the lock, so
 * any other link (another host, https, localhost, user info, no token) is refused before anything connects:
 * the window would show that page, and the token would be sent there.
 */
const AGENT_URL = /^http:\/\/127\.0\.0\.1:([1-9]\d{0,4})\/\?token=([A-Za-z0-9_-]{1,512})$/;

export function agentAddress(url: string): { url: string; origin: string; token: string } {
  const match = AGENT_URL.exec(url);
  const port = Number(match?.[1] ?? 0);
  if (!match || port > 65535) {
    const shown = url.replace(/token=[^&#]*/g, 'token=…').slice(0, 200);
    throw new LifeboatError(
      'DATA_FOLDER_UNUSABLE',
      `The engine lock (${LOCK_FILE}) names the console at "${shown}", which is not the address of a Lifeboat agent on this computer; Lifeboat did not connect to it.`,
      {
        fix: `Something other than Lifeboat wrote ${LOCK_FILE} in the data folder: stop the Lifeboat agent or service if one runs, delete ${LOCK_FILE}, start Lifeboat again, and check who else can write the data folder.`,
      },
    );
  }
  const origin = `http://127.0.0.1:${port}`;
  return { url: `${origin}/?token=${match[2]!}`, origin: new URL(origin).origin, token: match[2]! };
}
