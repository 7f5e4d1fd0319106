import fs from 'node:fs';
import path from 'node:path';

/** Files that describe a folder rather than imitate a host's output. */
const NOT_FIXTURES = new Set(['README.md', 'PROVENANCE.md']);

/** `- <file>: written by hand from https://learn.microsoft.com/… (…) — …` */
const WRITTEN_BY_HAND = /^- (?<file>[^:]+): written by hand from https:\/\/learn\.microsoft\.com\/\S+ \([^)]+\) — \S.*$/;
/** `- <file>: recorded on <host>, <OS build>, <language>, <YYYY-MM-DD>` */
const RECORDED = /^- (?<file>[^:]+): recorded on [^,]+, [^,]+, [^,]+, \d{4}-\d{2}-\d{2}$/;
const ENTRY = /^- (?<file>[^:]+):/;

/**
 * Every fixture file (anything but README.md and PROVENANCE.md) must have a line in its own folder's PROVENANCE.md
 * saying where it came from — written by hand from a Microsoft Learn page, or recorded on a named host — and every
 * PROVENANCE.md line must name a file that exists. Returns one problem per offence, naming the file; [] when all is well.
 */
export function checkProvenance(root: string, options: { recursive?: boolean } = {}): string[] {
  const problems: string[] = [];
  const visit = (dir: string): void => {
    const entries = fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name));
    const fixtures = entries.filter((e) => e.isFile() && !NOT_FIXTURES.has(e.name)).map((e) => e.name);
    const provenanceFile = path.join(dir, 'PROVENANCE.md');
    const lines = fs.existsSync(provenanceFile) ? fs.readFileSync(provenanceFile, 'utf8').split(/\r?\n/) : [];
    const shown = path.relative(root, dir) || '.';
    const described = new Set<string>();
    const mentioned = new Set<string>();
    for (const [index, line] of lines.entries()) {
      const entry = ENTRY.exec(line);
      if (!entry) continue;
      const file = entry.groups!.file!;
      const where = `${path.join(shown, 'PROVENANCE.md')}:${index + 1}`;
      mentioned.add(file);
      if (!fixtures.includes(file)) problems.push(`${where} names ${file}, which does not exist`);
      else if (!WRITTEN_BY_HAND.test(line) && !RECORDED.test(line))
        problems.push(
          `${where}: the line for ${file} says neither "written by hand from https://learn.microsoft.com/…" nor "recorded on <host>, <build>, <language>, <date>"`,
        );
      else if (described.has(file)) problems.push(`${where}: ${file} has more than one line`);
      else described.add(file);
    }
    for (const file of fixtures) {
      if (!mentioned.has(file))
        problems.push(`${path.join(shown, file)} has no line in ${path.join(shown, 'PROVENANCE.md')} saying where it came from`);
    }
    if (options.recursive !== false) for (const e of entries) if (e.isDirectory()) visit(path.join(dir, e.name));
  };
  visit(root);
  return problems;
}
