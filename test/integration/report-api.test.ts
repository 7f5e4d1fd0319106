import fs from 'node:fs';
import path from 'node:path';
import ExcelJS from 'exceljs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ConsoleEvent } from '../../core/contract/events';
import { createLocalClient } from '../../core/contract/dispatch';
import { createService, type LifeboatService } from '../../core/service';
import { manualClock } from '../helpers/catalog';
import { seedQuarter } from '../helpers/seed-catalog';
import { tempDir } from '../helpers/temp';

beforeAll(() => {
  process.env.TZ = 'Europe/Amsterdam';
  // Showing a folder needs a desktop session; without one the engine says where the file is.
  delete process.env.DISPLAY;
  delete process.env.WAYLAND_DISPLAY;
});

let service: LifeboatService | null = null;
afterEach(async () => {
  await service?.close();
  service = null;
});

function open(dir: string, now = '2026-04-02T08:00:00Z') {
  const clock = manualClock(now);
  service = createService({ dataDir: dir, clock, operator: 'alice' });
  return { service, client: createLocalClient(service.api), clock };
}

/** Resolves with the job.finished event of a job, however early it comes. */
function finishedEvents(s: LifeboatService): (jobId: string) => Promise<ConsoleEvent> {
  const seen = new Map<string, ConsoleEvent>();
  const waiting = new Map<string, (event: ConsoleEvent) => void>();
  s.subscribe((event) => {
    if (event.type !== 'job.finished') return;
    seen.set(event.jobId, event);
    waiting.get(event.jobId)?.(event);
  });
  return (jobId) => new Promise((resolve) => (seen.has(jobId) ? resolve(seen.get(jobId)!) : waiting.set(jobId, resolve)));
}

describe('report API', () => {
  it('runs an export as a job with progress, and reports its file and hash afterwards', async () => {
    const dir = tempDir();
    seedQuarter(dir);
    const { service: s, client } = open(dir);
    const finished = finishedEvents(s);
    const phases = new Set<string>();
    s.subscribe((event) => {
      if (event.type === 'job.progress') phases.add(event.phase);
    });

    const started = await client.startReportExport({ from: '2026-01-01', to: '2026-03-31' });
    expect(started).toMatchObject({ status: expect.stringMatching(/queued|running/), result: null });
    expect(started.file).toBe(path.join(dir, 'reports', 'lifeboat-report-2026-01-01-to-2026-03-31.xlsx'));
    expect(await finished(started.jobId)).toMatchObject({ status: 'succeeded' });

    const done = await client.getReportExport({ jobId: started.jobId });
    expect(done).toMatchObject({
      status: 'succeeded',
      file: started.file,
      error: null,
      result: { file: started.file, bytes: fs.statSync(started.file).size },
    });
    expect(done.result!.summary).toMatchObject({ vms: 8, protectedVms: 6, drillsRun: 3 });
    expect(done.result).toMatchObject({ evidenceFolder: started.file.replace(/\.xlsx$/, '-evidence'), evidenceFiles: 6 });
    expect([...phases]).toEqual(expect.arrayContaining(['Summary', 'RPO compliance', 'Drills', 'Jobs', 'Audit log', 'Compressing']));
    const job = await client.getJob({ id: started.jobId });
    expect(job).toMatchObject({ kind: 'report', title: 'Compliance report 2026-01-01 to 2026-03-31', bytesStored: done.result!.bytes });
    expect(job.log).toContain(`SHA-256 ${done.result!.sha256}`);

    // A second export of the same period does not overwrite the first.
    const again = await client.exportReport({ from: '2026-01-01', to: '2026-03-31' });
    expect(again.file).toBe(path.join(dir, 'reports', 'lifeboat-report-2026-01-01-to-2026-03-31-2.xlsx'));

    // A later engine finds the result in the audit log.
    await s.close();
    const { client: later } = open(dir);
    expect((await later.getReportExport({ jobId: started.jobId })).result).toMatchObject({
      sha256: done.result!.sha256,
      evidenceFolder: done.result!.evidenceFolder,
      evidenceFiles: done.result!.evidenceFiles,
      summary: { vms: 8 },
    });
    await expect(later.getReportExport({ jobId: 'nope' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('shows only files it exported, and says where they are when it cannot open a window', async () => {
    const dir = tempDir();
    seedQuarter(dir);
    const { client } = open(dir);
    const { file } = await client.exportReport({ from: '2026-03-01', to: '2026-03-31', outFile: path.join(dir, 'march.xlsx') });
    expect(await client.openReportFolder({ file })).toEqual({
      opened: false,
      folder: dir,
      message: expect.stringContaining(`The report is in ${dir}`),
    });
    fs.writeFileSync(path.join(dir, 'other.xlsx'), 'x');
    await expect(client.openReportFolder({ file: path.join(dir, 'other.xlsx') })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(client.readReportFile({ file: path.join(dir, 'other.xlsx') })).rejects.toMatchObject({ code: 'NOT_FOUND' });

    // Read back in pieces, it is the file.
    const pieces: Buffer[] = [];
    for (let offset = 0; ;) {
      const chunk = await client.readReportFile({ file, offset, length: 100_000 });
      if (chunk.bytes === 0) break;
      pieces.push(Buffer.from(chunk.data, 'base64'));
      offset += chunk.bytes;
    }
    expect(Buffer.concat(pieces).equals(fs.readFileSync(file))).toBe(true);
    expect(pieces.length).toBeGreaterThan(1);
    await expect(client.readReportFile({ file, length: 64 * 1024 * 1024 })).rejects.toMatchObject({
      code: 'INVALID_INPUT',
      field: 'length',
    });
    await expect(client.openReportFolder({ file: 'relative.xlsx' })).rejects.toMatchObject({ code: 'INVALID_INPUT', field: 'file' });
  });

  it('refuses a folder it cannot write, and leaves no partial file when cancelled', async () => {
    const dir = tempDir();
    seedQuarter(dir);
    const { service: s, client } = open(dir);
    const blocker = path.join(dir, 'not-a-folder');
    fs.writeFileSync(blocker, '');
    await expect(
      client.exportReport({ from: '2026-01-01', to: '2026-03-31', outFile: path.join(blocker, 'q1.xlsx') }),
    ).rejects.toMatchObject({
      message: expect.stringContaining('Lifeboat cannot write to the folder'),
    });

    // Cancel as soon as the first sheet is written.
    let cancelled = false;
    s.subscribe((event) => {
      if (event.type === 'job.progress' && !cancelled) {
        cancelled = true;
        void client.cancelJob({ id: event.jobId });
      }
    });
    const out = path.join(dir, 'cancel', 'q1.xlsx');
    await expect(client.exportReport({ from: '2026-01-01', to: '2026-03-31', outFile: out })).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(fs.readdirSync(path.dirname(out))).toEqual([]);
  });

  it('writes a valid workbook for an empty catalog: every table with one empty row, nothing to embed', async () => {
    const dir = tempDir();
    const { client } = open(dir);
    await client.completeFirstRun({
      organisation: 'Empty & Co <test>',
      vault: { kind: 'folder', path: path.join(dir, 'vault') },
      passphrase: 'Tulip-Harbour-93-Gravel-Lantern',
    });
    expect(await client.previewReport({ from: '2026-01-01', to: '2026-03-31' })).toMatchObject({
      vms: 0,
      protectedVms: 0,
      rpoCompliancePercent: null,
      drillsRun: 0,
      overall: 'attention',
    });
    const { file, evidenceFolder, evidenceFiles } = await client.exportReport({ from: '2026-01-01', to: '2026-03-31' });
    // No screenshots, no evidence folder beside it.
    expect([evidenceFolder, evidenceFiles]).toEqual([null, 0]);
    expect(fs.readdirSync(path.dirname(file))).toEqual([path.basename(file)]);
    const book = new ExcelJS.Workbook();
    await book.xlsx.readFile(file);
    expect(book.company).toBe('Empty & Co <test>');
    // The Evidence sheet is pages, not a table: it says there is nothing to show.
    const evidence = book.getWorksheet('Evidence')!;
    expect(evidence.getCell('A1').value).toBe('No drill in the period captured a screenshot.');
    expect(evidence.getImages()).toEqual([]);
    for (const ws of book.worksheets.slice(1).filter((w) => w.name !== 'Evidence')) {
      const tables = Object.values((ws as unknown as { tables: Record<string, { table: { tableRef: string } }> }).tables);
      expect(tables, ws.name).toHaveLength(1);
      const headerRow = ws.name === 'Audit log' ? 3 : 1;
      expect(tables[0]!.table.tableRef, ws.name).toMatch(new RegExp(`^A${headerRow}:[A-Z]+${headerRow + 1}$`));
      expect(ws.getImages()).toEqual([]);
    }
  });

  it('exports the month that ended when the engine starts, then waits for the next one', async () => {
    const dir = tempDir();
    seedQuarter(dir);
    const { service: s, client } = open(dir, '2026-03-02T09:00:00Z');
    const folder = path.join(dir, 'audit');
    await expect(client.setReportSchedule({ enabled: true, frequency: 'monthly', folder: null })).rejects.toMatchObject({
      field: 'folder',
    });
    const saved = await client.setReportSchedule({ enabled: true, frequency: 'monthly', folder });
    expect(saved.next).toMatchObject({ from: '2026-02-01', to: '2026-02-28' });

    // The seeded quarter's copies are dated after this test's clock: the copy scheduler would (rightly) take
    // that for a clock that went back and copy at once. Copies are not what this test is about.
    await client.setSchedulesPaused({ paused: true });
    const finished = finishedEvents(s);
    const firstJob = new Promise<string>((resolve) => s.subscribe((event) => event.type === 'job.progress' && resolve(event.jobId)));
    void s.startBackground();
    expect(await finished(await firstJob)).toMatchObject({ status: 'succeeded' });
    // The February drill's screenshots travel with the workbook, in the folder named after it.
    expect(fs.readdirSync(folder)).toEqual([
      'lifeboat-report-2026-02-01-to-2026-02-28-evidence',
      'lifeboat-report-2026-02-01-to-2026-02-28.xlsx',
    ]);
    expect(fs.readdirSync(path.join(folder, 'lifeboat-report-2026-02-01-to-2026-02-28-evidence'))).toContain('SHA256SUMS');
    const after = await client.getReportSchedule();
    expect(after.last).toMatchObject({
      from: '2026-02-01',
      to: '2026-02-28',
      file: path.join(folder, 'lifeboat-report-2026-02-01-to-2026-02-28.xlsx'),
    });
    expect(after.next).toMatchObject({ from: '2026-03-01', to: '2026-03-31' });
    const [audit] = await client.listAuditEvents({ limit: 1 });
    expect(audit).toMatchObject({ actor: 'system', action: 'report.exported' });
  });
});
