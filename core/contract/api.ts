import type { z } from 'zod';
import type { MethodSpec } from './define';
import { auditMethods } from './audit';
import { diagnosticsMethods } from './diagnostics';
import { notificationMethods } from './notifications';
import { drillMethods, planMethods } from './plans';
import { failoverMethods } from './failover';
import { hostsMethods } from './hosts';
import { overviewMethods } from './overview';
import { protectionMethods } from './protection';
import { targetMethods } from './targets';
import { reportMethods } from './reports';
import { restoreMethods } from './restore';
import { settingsMethods } from './settings';
import { vaultMethods } from './vault';

/**
 * The ConsoleApi: every method the UI, the CLI and scripts may call, each declared once. A new feature adds
 * its methods here (one spread per domain file); transports and the renderer's client pick them up untouched.
 */
export const methods = {
  ...settingsMethods,
  ...auditMethods,
  ...diagnosticsMethods,
  ...protectionMethods,
  ...targetMethods,
  ...notificationMethods,
  ...planMethods,
  ...drillMethods,
  ...failoverMethods,
  ...hostsMethods,
  ...reportMethods,
  ...vaultMethods,
  ...overviewMethods,
  ...restoreMethods,
} satisfies Record<string, MethodSpec>;

export type Methods = typeof methods;
export type MethodName = keyof Methods;

/** What a caller sends (defaults and optional fields still optional). */
export type MethodInput<M extends MethodName> = z.input<Methods[M]['input']>;
/** What an implementation receives once the schema has parsed it. */
export type MethodParsedInput<M extends MethodName> = z.output<Methods[M]['input']>;
export type MethodOutput<M extends MethodName> = Methods[M] extends MethodSpec<z.ZodType, infer O> ? O : never;

/** Implemented by core/service.ts. */
export type ConsoleApi = { [M in MethodName]: (input: MethodParsedInput<M>) => Promise<MethodOutput<M>> };

/** Used by the renderer and tests: the same methods, called with un-parsed input. */
export type ConsoleClient = { [M in MethodName]: (input?: MethodInput<M>) => Promise<MethodOutput<M>> };

export function isMethodName(name: string): name is MethodName {
  return Object.hasOwn(methods, name);
}
