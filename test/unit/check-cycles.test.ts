import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot, tempDir } from '../helpers/temp';

const CHECK = path.join(repoRoot, 'scripts', 'check-cycles.mjs');

describe('the import-circle check run by lint', () => {
  it('fails on a circle of value or type-only imports, naming it, and passes a chain', () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'a.ts'), "import { b } from './b';\nexport const a = () => b;\n");
    fs.writeFileSync(path.join(dir, 'b.ts'), "import type { T } from './c';\nexport const b = 1 as unknown as T;\n");
    fs.writeFileSync(path.join(dir, 'c.ts'), 'export type T = number;\n');
    expect(spawnSync(process.execPath, [CHECK, dir], { encoding: 'utf8' }).status).toBe(0);

    fs.writeFileSync(path.join(dir, 'c.ts'), "import type { a } from './a';\nexport type T = typeof a;\n");
    const typeCircle = spawnSync(process.execPath, [CHECK, dir], { encoding: 'utf8' });
    expect(typeCircle.status).toBe(1);
    expect(typeCircle.stderr).toContain('a.ts ↔ b.ts ↔ c.ts');

    fs.writeFileSync(path.join(dir, 'c.ts'), "import { a } from './a';\nexport type T = typeof a;\nexport const c = a;\n");
    fs.writeFileSync(path.join(dir, 'b.ts'), "import { c } from './c';\nexport const b = c;\n");
    const circle = spawnSync(process.execPath, [CHECK, dir], { encoding: 'utf8' });
    expect(circle.status).toBe(1);
    expect(circle.stderr).toContain('a.ts ↔ b.ts ↔ c.ts');
  });

  it('finds none in core/', () => {
    const run = spawnSync(process.execPath, [CHECK, 'core'], { encoding: 'utf8', cwd: repoRoot });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
  });
});
