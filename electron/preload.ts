// Runs sandboxed with context isolation: the page gets exactly two functions, nothing from Node or Electron.
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import { IPC_EVENT_CHANNEL, IPC_INVOKE_CHANNEL, type CallResult, type LifeboatBridge } from '../core/contract/bridge';
import type { ConsoleEvent } from '../core/contract/events';

const bridge: LifeboatBridge = {
  invoke: (method, input) => ipcRenderer.invoke(IPC_INVOKE_CHANNEL, method, input) as Promise<CallResult>,
  subscribe: (listener) => {
    const relay = (_event: IpcRendererEvent, payload: ConsoleEvent): void => listener(payload);
    ipcRenderer.on(IPC_EVENT_CHANNEL, relay);
    return () => {
      ipcRenderer.off(IPC_EVENT_CHANNEL, relay);
    };
  },
};

contextBridge.exposeInMainWorld('lifeboat', bridge);
