import path from 'node:path';
import { app, ipcMain, protocol, safeStorage } from 'electron';
import type { ConsoleClient } from '../core/contract/api';
import { CONTENT_SECURITY_POLICY } from '../core/contract/csp';
import { createLocalClient } from '../core/contract/dispatch';
import type { EventListener } from '../core/contract/events';
import { acquireEngineLock, type EngineLockInfo } from '../core/engine-lock';
import { connectToEngine } from '../core/http/client';
import { readStaticFile } from '../core/http/static-files';
import { logEvent } from '../core/logging/event-log';
import { RotatingLog } from '../core/logging/rotating-log';
import { createService } from '../core/service';
import { registerIpc } from './ipc';
import { desktopSecretBox } from './safe-storage-box';
import { agentAddress, APP_ENTRY, APP_SCHEME, isAppUrl } from './window';

/** The engine the window shows: this process's own, or an agent already running the data folder. */
export interface DesktopEngine {
  client: ConsoleClient;
  subscribe(listener: EventListener): () => void;
  /** What the window loads. */
  url: string;
  /** Only the in-process engine needs the preload bridge; an agent's console speaks HTTP. */
  usesPreload: boolean;
  /** True when an agent runs the engine: quitting the app then stops nothing. */
  remote: boolean;
  isOwnUrl(url: string): boolean;
  close(): Promise<void>;
}

export function connectToAgent(agent: EngineLockInfo & { url: string }): DesktopEngine {
  const { url, origin, token } = agentAddress(agent.url);
  const remote = connectToEngine(origin, token);
  return {
    client: remote.client,
    subscribe: (listener) => remote.subscribe(listener),
    url,
    usesPreload: false,
    remote: true,
    isOwnUrl: (url) => {
      try {
        return new URL(url).origin === origin;
      } catch {
        return false;
      }
    },
    close: async () => undefined,
  };
}

export function startLocalEngine(dataDir: string, rendererDir: string): DesktopEngine {
  const lock = acquireEngineLock(dataDir, 'desktop');
  const log = new RotatingLog(dataDir);
  // Linux without a keyring has no real safeStorage; the 0600 key file is better than its plain-text fallback.
  const boxes = desktopSecretBox(safeStorage, dataDir, process.platform, (message) => log.write('warn', message));
  const service = createService({ dataDir, secretBox: boxes.box, ...(boxes.previous ? { previousSecretBox: boxes.previous } : {}) });
  const stopLogging = service.subscribe((event) => logEvent(log, event));
  protocol.handle(APP_SCHEME, (request) => {
    const file = readStaticFile(rendererDir, new URL(request.url).pathname);
    if (!file) return new Response('Not found', { status: 404 });
    return new Response(new Uint8Array(file.body), {
      headers: { 'content-type': file.contentType, 'content-security-policy': CONTENT_SECURITY_POLICY },
    });
  });
  registerIpc(ipcMain, service);
  void service.startBackground().catch((error: unknown) => log.write('error', `background start failed: ${(error as Error).message}`));
  log.write('info', `desktop engine started (process ${process.pid}, Lifeboat ${app.getVersion()})`);
  return {
    client: createLocalClient(service.api),
    subscribe: (listener) => service.subscribe(listener),
    url: APP_ENTRY,
    usesPreload: true,
    remote: false,
    isOwnUrl: isAppUrl,
    close: async () => {
      stopLogging();
      await service.close();
      lock.release();
    },
  };
}

/** Packaged: resources next to app.asar; from source: the repository's resources/. */
export function resourcePath(...parts: string[]): string {
  return app.isPackaged ? path.join(process.resourcesPath, ...parts) : path.join(app.getAppPath(), 'resources', ...parts);
}
