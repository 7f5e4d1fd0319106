import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Drill, DrillStep, DrillVmResult } from '../contract/drills';
import { flattenedPng, pngSize } from './png';

/**
 * The drill evidence a report hands over. Screenshots live in the engine's data folder (or wherever a
 * sandbox wrote them), a path an auditor can neither open nor trust. The export copies each one into a
 * folder beside the workbook, named after it (`q4.xlsx` → `q4-evidence/`), keyed by drill id and VM id,
 * with a SHA256SUMS file; the workbook embeds each picture at a readable size on its Evidence sheet,
 * stamped with the VM, drill, capture time and the SHA-256 of the copied file, and links to the copy by
 * its path relative to the workbook. Folder and workbook travel together; the workbook alone still shows
 * every picture and its hash.
 */

export interface EvidenceItem {
  /** E1, E2, … in Drills-sheet order. */
  label: string;
  drill: Drill;
  vm: DrillVmResult;
  /** When the screenshot was taken: its drill step's end, else the file's modification time. */
  capturedAt: number;
  /** Path relative to the workbook's folder, with forward slashes (the hyperlink and the SHA256SUMS name). */
  relPath: string;
  sha256: string;
  bytes: number;
  /** Set for PNGs: its size, and what to embed (the copy itself, or a flattened buffer LibreOffice prints). */
  picture: { width: number; height: number; embed: { file: string } | { buffer: Buffer } } | null;
}

export interface StagedEvidence {
  /** Final folder beside the workbook; written as `<folder>.partial` until the workbook is in place. */
  folder: string;
  staging: string;
  items: EvidenceItem[];
  /** Screenshots the catalog names that were not on disk, keyed like `evidenceKey`. */
  missing: Set<string>;
  /** Engine-side screenshot paths and what the workbook says instead (the copy's path, or that it is missing). */
  localPaths: Map<string, string>;
}

/**
 * A relative path as lines of at most `perLine` characters, broken after a slash. Neither Excel nor
 * LibreOffice breaks a line inside "name/0bdc-…" (no break before a digit), so a long path in a narrow
 * cell would be cut off in print; a segment longer than a line keeps a line of its own.
 */
export function pathLines(relPath: string, perLine: number): string {
  const lines: string[] = [];
  for (const segment of relPath.split(/(?<=\/)/)) {
    const last = lines.length - 1;
    if (last >= 0 && lines[last]!.length + segment.length <= perLine) lines[last] += segment;
    else lines.push(segment);
  }
  return lines.join('\n');
}

export function evidenceFolderFor(workbook: string): string {
  return path.join(path.dirname(workbook), `${path.basename(workbook, path.extname(workbook))}-evidence`);
}

export const evidenceKey = (drillId: string, vm: DrillVmResult): string => `${drillId}\u0000${vm.vmId ?? vm.vm}`;

/** Copies every screenshot of the period's drills into the staging folder and hashes the copies. */
export function stageEvidence(workbook: string, drills: readonly Drill[], steps: readonly DrillStep[]): StagedEvidence {
  const folder = evidenceFolderFor(workbook);
  const staging = `${folder}.partial`;
  fs.rmSync(staging, { recursive: true, force: true });
  const items: EvidenceItem[] = [];
  const missing = new Set<string>();
  const localPaths = new Map<string, string>();
  const base = path.basename(folder);
  for (const drill of drills) {
    for (const vm of drill.vms) {
      if (!vm.screenshot) continue;
      let bytes: Buffer;
      try {
        bytes = fs.readFileSync(vm.screenshot);
      } catch {
        missing.add(evidenceKey(drill.id, vm));
        localPaths.set(vm.screenshot, '(screenshot no longer on the engine when this report was written)');
        continue;
      }
      const ext = (path.extname(vm.screenshot) || '.bin').toLowerCase();
      // Ids, not names: two VMs may share a name, and a name may not be a valid file name.
      const rel = [safe(drill.id), `${safe(vm.vmId ?? vm.vm)}${ext}`];
      const copy = path.join(staging, ...rel);
      fs.mkdirSync(path.dirname(copy), { recursive: true });
      fs.writeFileSync(copy, bytes);
      const size = pngSize(bytes.subarray(0, 24));
      const flat = size ? flattenedPng(bytes) : null;
      items.push({
        label: `E${items.length + 1}`,
        drill,
        vm,
        capturedAt: capturedAt(drill, vm, steps) ?? fs.statSync(vm.screenshot).mtimeMs,
        relPath: [base, ...rel].join('/'),
        sha256: createHash('sha256').update(bytes).digest('hex'),
        bytes: bytes.length,
        picture: size ? { ...size, embed: flat ? { buffer: flat } : { file: copy } } : null,
      });
      localPaths.set(vm.screenshot, `${items.at(-1)!.label} on sheet Evidence, file\n${pathLines([base, ...rel].join('/'), 56)}`);
    }
  }
  if (items.length > 0) {
    const sums = items.map((item) => `${item.sha256}  ${item.relPath.slice(base.length + 1)}\n`).join('');
    fs.writeFileSync(path.join(staging, 'SHA256SUMS'), sums);
  }
  return { folder, staging, items, missing, localPaths };
}

/**
 * Text from the catalog (a drill step's detail) with every engine-side screenshot path replaced by where the
 * evidence is in this export: the workbook must never send its reader to a folder on the engine machine.
 */
export function withExportPaths(staged: StagedEvidence, text: string): string {
  let out = text;
  for (const [local, inExport] of staged.localPaths) if (out.includes(local)) out = out.split(local).join(inExport);
  return out;
}

/** Puts the staged folder in place (replacing one an earlier export of the same file name left). */
export function commitEvidence(staged: StagedEvidence): string | null {
  if (staged.items.length === 0) {
    fs.rmSync(staged.staging, { recursive: true, force: true });
    return null;
  }
  fs.rmSync(staged.folder, { recursive: true, force: true });
  fs.renameSync(staged.staging, staged.folder);
  return staged.folder;
}

export function discardEvidence(staged: StagedEvidence | null): void {
  if (staged) fs.rmSync(staged.staging, { recursive: true, force: true });
}

function capturedAt(drill: Drill, vm: DrillVmResult, steps: readonly DrillStep[]): number | null {
  const step = steps.find((s) => s.drillId === drill.id && s.vm === vm.vm && /screenshot/i.test(s.name) && s.finishedAt !== null);
  return step ? Date.parse(step.finishedAt!) : null;
}

function safe(name: string): string {
  return name.replace(/[^A-Za-z0-9._-]/g, '_');
}
