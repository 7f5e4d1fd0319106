import { IPC_INVOKE_CHANNEL, type CallResult } from '../core/contract/bridge';
import { dispatch } from '../core/contract/dispatch';
import { LifeboatError, toLifeboatError } from '../core/contract/errors';
import type { ConsoleEvent } from '../core/contract/events';
import type { LifeboatService } from '../core/service';
import { isAppUrl } from './window';

/** The slice of ipcMain this needs (tests pass a fake). */
export interface IpcMainLike {
  handle(channel: string, listener: (event: { senderFrame: { url: string } | null }, ...args: unknown[]) => Promise<CallResult>): void;
}

/**
 * One generic channel for every ConsoleApi method: the renderer sends (method, input), the schema in
 * core/contract validates it, the service answers. Only frames of our own app:// origin may call.
 */
export function registerIpc(ipcMain: IpcMainLike, service: LifeboatService): void {
  ipcMain.handle(IPC_INVOKE_CHANNEL, async (event, method, input) => {
    try {
      if (!isAppUrl(event.senderFrame?.url)) {
        throw new LifeboatError('UNAUTHORIZED', 'Calls are only accepted from the Lifeboat window.');
      }
      return { ok: true, result: (await dispatch(service.api, String(method), input)) ?? null };
    } catch (error) {
      return { ok: false, error: toLifeboatError(error).toBody() };
    }
  });
}

/** Forwards engine events to a window; returns the unsubscribe for when the window closes. */
export function forwardEvents(service: LifeboatService, send: (event: ConsoleEvent) => void): () => void {
  return service.subscribe(send);
}
