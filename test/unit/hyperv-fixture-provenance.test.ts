import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkProvenance } from '../helpers/fixture-provenance';
import { repoRoot, tempDir } from '../helpers/temp';

const FIXTURES = path.join(repoRoot, 'test', 'fixtures', 'hyperv');
const HAND = 'written by hand from https://learn.microsoft.com/powershell/module/hyper-v/get-vm (Get-VM, PowerShell 7.x) — a host';

describe('Hyper-V fixture provenance', () => {
  it('every fixture under test/fixtures/hyperv says where it came from, and every line names a file that exists', () => {
    expect(checkProvenance(FIXTURES)).toEqual([]);
    // The walk reached every folder (a PROVENANCE.md per folder, the top level included).
    const folders = fs.readdirSync(FIXTURES, { withFileTypes: true }).filter((e) => e.isDirectory());
    expect(folders.length).toBeGreaterThanOrEqual(4);
    for (const folder of ['.', ...folders.map((e) => e.name)])
      expect(fs.existsSync(path.join(FIXTURES, folder, 'PROVENANCE.md')), folder).toBe(true);
  });

  it('none of the hand-written fixtures claims to be recorded', () => {
    const walk = (dir: string): string[] =>
      fs
        .readdirSync(dir, { withFileTypes: true })
        .flatMap((e) => (e.isDirectory() ? walk(path.join(dir, e.name)) : e.name === 'PROVENANCE.md' ? [path.join(dir, e.name)] : []));
    for (const file of walk(FIXTURES)) {
      const entries = fs
        .readFileSync(file, 'utf8')
        .split('\n')
        .filter((line) => line.startsWith('- '));
      expect(entries.length, file).toBeGreaterThan(0);
      for (const line of entries) expect(line, file).not.toMatch(/recorded/i);
    }
  });

  it('reports a fixture without a line, a line for a missing file, a line without a source, and one in a subfolder', () => {
    const dir = tempDir();
    fs.mkdirSync(path.join(dir, 'drill'));
    fs.writeFileSync(path.join(dir, 'a.json'), '{}');
    fs.writeFileSync(path.join(dir, 'b.json'), '{}');
    fs.writeFileSync(path.join(dir, 'c.json'), '{}');
    fs.writeFileSync(path.join(dir, 'README.md'), 'not a fixture');
    fs.writeFileSync(path.join(dir, 'drill', 'd.json'), '{}');
    fs.writeFileSync(
      path.join(dir, 'PROVENANCE.md'),
      [
        `- a.json: ${HAND}`,
        '- c.json: made up one afternoon',
        `- gone.json: ${HAND}`,
        '- e.json: recorded on HV01, 10.0.20348, de-DE, 2026-12-04',
      ].join('\n'),
    );
    expect(checkProvenance(dir)).toEqual([
      'PROVENANCE.md:2: the line for c.json says neither "written by hand from https://learn.microsoft.com/…" nor "recorded on <host>, <build>, <language>, <date>"',
      'PROVENANCE.md:3 names gone.json, which does not exist',
      'PROVENANCE.md:4 names e.json, which does not exist',
      'b.json has no line in PROVENANCE.md saying where it came from',
      'drill/d.json has no line in drill/PROVENANCE.md saying where it came from',
    ]);

    fs.writeFileSync(path.join(dir, 'e.json'), '{}');
    fs.writeFileSync(
      path.join(dir, 'PROVENANCE.md'),
      [`- a.json: ${HAND}`, `- b.json: ${HAND}`, `- c.json: ${HAND}`, '- e.json: recorded on HV01, 10.0.20348, de-DE, 2026-12-04'].join(
        '\n',
      ),
    );
    fs.writeFileSync(path.join(dir, 'drill', 'PROVENANCE.md'), '- d.json: recorded on HV01, 10.0.20348, de-DE, yesterday\n');
    expect(checkProvenance(dir)).toEqual([
      'drill/PROVENANCE.md:1: the line for d.json says neither "written by hand from https://learn.microsoft.com/…" nor "recorded on <host>, <build>, <language>, <date>"',
    ]);
    fs.writeFileSync(path.join(dir, 'drill', 'PROVENANCE.md'), '- d.json: recorded on HV01, 10.0.20348, de-DE, 2026-12-04\n');
    expect(checkProvenance(dir)).toEqual([]);
  });
});
