import { z } from 'zod';
import { method } from './define';

export interface DiagnosticsExport {
  file: string;
  bytes: number;
  entries: string[];
}

export const diagnosticsMethods = {
  exportDiagnostics: method(
    'Zip the logs and a copy of the catalog, with every secret removed, for support.',
    z.object({ outFile: z.string().trim().min(1).optional() }).default({}),
  )
    .returns<DiagnosticsExport>()
    .reads(),
};
