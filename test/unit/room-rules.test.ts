import path from 'node:path';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/temp';

// The room rules are lint config (scripts/room-rules.mjs); these lint made-up files at real paths in core/.
const eslint = new ESLint({ cwd: repoRoot });

async function importErrors(file: string, source: string): Promise<string[]> {
  const [result] = await eslint.lintText(source, { filePath: path.join(repoRoot, file) });
  return (result?.messages ?? []).filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

describe('lint encodes the room rules of the architecture map', () => {
  it('fails a store module that imports the scheduler, and a provider that imports the store', async () => {
    expect(await importErrors('core/store/policies.ts', "import { x } from '../schedule/scheduler';\nexport const y = x;\n")).toEqual([
      expect.stringContaining('core/store/ may import only core/contract, core/data-dir'),
    ]);
    expect(
      await importErrors('core/hypervisors/hyperv/provider.ts', "import type { Db } from '../../store/database';\nexport type D = Db;\n"),
    ).toEqual([expect.stringContaining('core/hypervisors/ may import only')]);
  });

  it('fails an orchestrator that reaches into a provider or a disk format instead of the public surface', async () => {
    expect(
      await importErrors(
        'core/failover/engine.ts',
        "import { HypervHost } from '../hypervisors/hyperv/provider';\nexport const h = HypervHost;\n",
      ),
    ).toEqual([expect.stringContaining('through its public surface (hypervisors/index, hypervisors/types')]);
    expect(
      await importErrors('core/drills/engine.ts', "import { fileResolver } from '../disks/file-source';\nexport const f = fileResolver;\n"),
    ).toEqual([expect.stringContaining('core/disks/ through its public surface')]);
    expect(
      await importErrors(
        'core/drills/engine.ts',
        "import { fileResolver } from '../disks/index';\nimport type { DiskReader } from '../disks/types';\nexport const f: DiskReader | typeof fileResolver = fileResolver;\n",
      ),
    ).toEqual([]);
  });

  it('keeps the contract free of Node and of other rooms, and the service to the shells', async () => {
    expect(
      await importErrors(
        'core/contract/plans.ts',
        "import fs from 'node:fs';\nimport { HostsStore } from '../store/hosts';\nexport const a = [fs, HostsStore];\n",
      ),
    ).toHaveLength(2);
    expect(
      await importErrors('core/replication/api.ts', "import { createService } from '../service';\nexport const s = createService;\n"),
    ).toEqual([expect.stringContaining('Only the shells')]);
    expect(
      await importErrors('core/cli/context.ts', "import { createService } from '../service';\nexport const s = createService;\n"),
    ).toEqual([]);
  });
});
