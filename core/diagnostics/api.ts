import path from 'node:path';
import type { ConsoleApi } from '../contract/api';
import type { RoomDeps } from '../service-context';
import { exportDiagnostics, type DiagnosticsExportDeps } from './export';

/** What this module needs from the engine (see RoomDeps). */
export type DiagnosticsDeps = RoomDeps<'audit' | 'clock' | 'dataDir' | 'operator'> & DiagnosticsExportDeps;

export function diagnosticsApi(ctx: DiagnosticsDeps): Pick<ConsoleApi, 'exportDiagnostics'> {
  return {
    async exportDiagnostics(input) {
      const stamp = ctx.clock.now().toISOString().replace(/[:.]/g, '-');
      const result = await exportDiagnostics(
        ctx,
        path.resolve(input.outFile ?? path.join(ctx.dataDir, 'diagnostics', `lifeboat-diagnostics-${stamp}.zip`)),
      );
      ctx.audit.append(ctx.operator, 'diagnostics.exported', path.basename(result.file), { bytes: result.bytes });
      return result;
    },
  };
}
