import path from 'node:path';
import type { ConsoleApi } from '../contract/api';
import type { ServiceContext } from '../service-context';
import { exportDiagnostics } from './export';

export function diagnosticsApi(ctx: ServiceContext): Pick<ConsoleApi, 'exportDiagnostics'> {
  return {
    async exportDiagnostics(input) {
      const stamp = ctx.clock.now().toISOString().replace(/[:.]/g, '-');
      const result = await exportDiagnostics(ctx, path.resolve(input.outFile ?? path.join(ctx.dataDir, 'diagnostics', `lifeboat-diagnostics-${stamp}.zip`)));
      ctx.audit.append(ctx.operator, 'diagnostics.exported', path.basename(result.file), { bytes: result.bytes });
      return result;
    },
  };
}
