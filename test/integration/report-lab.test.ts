import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLocalClient } from '../../core/contract/dispatch';
import type { Drill, DrillStep } from '../../core/contract/drills';
import { coverageText, quarterOf, type ReportExport, type ReportPeriod } from '../../core/contract/reports';
import { findQemu } from '../../core/drills/qemu-sandbox';
import { SHEETS } from '../../core/reports/workbook';
import { createService, type LifeboatService } from '../../core/service';
import { openCatalog, type Db } from '../../core/store/database';
import { nextFinishedJobs } from '../helpers/engine';
import { tempDirManual } from '../helpers/temp';
import { sheetOf, summaryOf, tableOf } from '../helpers/workbook';

// The compliance workbook from a catalog made by real work, not seeded rows: copies of two sample-lab VMs
// into a real folder vault, and a drill that restores one of them from it and boots it in QEMU.
const qemu = findQemu();

let data: ReturnType<typeof tempDirManual>;
let service: LifeboatService;
let exported: ReportExport;
let drill: Drill & { steps: DrillStep[] };
let book: ExcelJS.Workbook;
let db: Db;
let period: ReportPeriod;

const cell = (ws: ExcelJS.Worksheet, row: number, col: number): unknown => ws.getRow(row).getCell(col).value;

const sheet = (name: string): ExcelJS.Worksheet => sheetOf(book, name);
const dataRows = (name: string): ExcelJS.Row[] => tableOf(book, name).rows;

beforeAll(async () => {
  if (!qemu) return;
  data = tempDirManual();
  service = createService({ dataDir: data.dir, heartbeat: false, operator: 'alice' });
  const client = createLocalClient(service.api);
  const settings = await client.completeFirstRun({
    organisation: 'Acme Dental',
    vault: { kind: 'folder', path: path.join(data.dir, 'vault') },
    passphrase: 'Tulip-Harbour-93-Gravel-Lantern',
  });
  await client.createSampleLab({});
  const vms = await client.listVms();
  const web = vms.find((vm) => vm.name === 'lab-web01')!;
  const dc = vms.find((vm) => vm.name === 'lab-dc01')!;
  const policy = await client.createPolicy({ name: 'Servers', vmIds: [web.id, dc.id], targetId: settings.vault!.id, rpoMinutes: 60 });
  for (let round = 0; round < 2; round++) {
    const copies = nextFinishedJobs(service, 2);
    await client.runNow({ policyId: policy.id });
    expect((await copies).map((event) => event.status)).toEqual(['succeeded', 'succeeded']);
  }
  const drilled = nextFinishedJobs(service, 1);
  const { drillId } = await client.startDrill({ vmIds: [web.id], notes: 'Quarterly restore test' });
  await drilled;
  drill = await client.getDrill({ id: drillId });
  expect(drill.status).toBe('passed');

  // The current quarter: it contains now, so the workbook is a partial one, measured over a few minutes of it.
  period = quarterOf(new Date(), 0);
  exported = await client.exportReport({ ...period, outFile: path.join(data.dir, 'out', 'quarter.xlsx') });
  book = new ExcelJS.Workbook();
  await book.xlsx.readFile(exported.file);
  db = openCatalog(data.dir);
}, 300_000);

afterAll(async () => {
  db?.close();
  await service?.close();
  data?.remove();
});

const count = (sql: string, ...params: unknown[]): number =>
  db
    .prepare(sql)
    .pluck()
    .get(...params) as number;

describe.skipIf(!qemu)('the compliance workbook of real runs and a real drill on the sample lab', () => {
  it('has every sheet, and Summary numbers that equal the catalog', () => {
    expect(book.worksheets.map((ws) => ws.name)).toEqual([...SHEETS]);
    const s = summaryOf(book);
    expect(s.get('Organisation')).toBe('Acme Dental');
    expect(s.get('VMs')).toBe(count('SELECT COUNT(*) FROM vms WHERE removed_at IS NULL'));
    expect(s.get('VMs')).toBe(3);
    expect(s.get('Protected VMs')).toBe(2);
    expect(s.get('Unprotected VMs')).toBe(1);
    expect(s.get('Drills run')).toBe(1);
    expect(s.get('Drills passed')).toBe(1);
    expect(s.get('Drills failed')).toBe(0);
    // Four copies and the drill. The export writing the workbook is a job of the period too, but it is left out:
    // it is still running while it counts, and no report can say how it ended.
    expect(count('SELECT COUNT(*) FROM jobs')).toBe(6);
    expect(count('SELECT COUNT(*) FROM jobs WHERE id = ?', exported.jobId)).toBe(1);
    expect(s.get('Runs')).toBe(5);
    expect(exported.summary).toMatchObject({ jobsRun: 5, jobsUnfinished: 0 });
    expect(count("SELECT COUNT(*) FROM jobs WHERE kind = 'replication'")).toBe(4);
    expect(s.get('Failed runs')).toBe(count("SELECT COUNT(*) FROM jobs WHERE status = 'failed'"));
    expect(s.get('RPO breaches')).toBe(0);
    expect(s.get('Audit log hash chain')).toBe('Intact');
    expect(exported.summary).toMatchObject({ vms: 3, protectedVms: 2, drillsRun: 1, drillsPassed: 1, rpoBreaches: 0, auditIntact: true });
  });

  it('says the quarter is partial and how little of it the RPO figures cover', () => {
    const s = summaryOf(book);
    const days = Math.round((Date.parse(`${period.to}T12:00:00Z`) - Date.parse(`${period.from}T12:00:00Z`)) / 86_400_000) + 1;
    expect(days).toBeGreaterThanOrEqual(90);
    expect(exported.summary.coverage).toMatchObject({ state: 'partial', periodDays: days });
    expect(exported.summary.overall).toBe('incomplete');
    expect(s.get('Period state')).toBe('Partial period');
    expect(s.get('Overall status')).toBe('Partial period');
    // Every copy ran minutes ago: a 100% compliance over minutes of a quarter, and the workbook says so.
    expect(s.get('RPO compliance')).toBe(1);
    const measured = String(s.get('RPO measured over'));
    expect(measured).toMatch(new RegExp(`^(under 1 min|\\d+ min) of ${days} days$`));
    const text = coverageText(exported.summary.coverage);
    expect(text).toBe(`RPO measured over ${measured}`);
    const summaryText: string[] = [];
    sheet('Summary').eachRow((row) => row.eachCell((c) => summaryText.push(String(c.value))));
    expect(summaryText.some((t) => t.startsWith(`${text}:`))).toBe(true);
    expect(summaryText.find((t) => t.startsWith('Partial period: the period is not over;'))).toContain(text);
    expect(summaryText.find((t) => t.startsWith('Not over when this report was written: measured until '))).toBeDefined();
  });

  it('lists the protected VMs with their newest recovery point, and the copies with the bytes the catalog recorded', () => {
    const vms = new Map(dataRows('Protected VMs').map((row) => [row.getCell(1).value as string, row]));
    expect([...vms.keys()].sort()).toEqual(['lab-dc01', 'lab-files01', 'lab-web01']);
    expect(vms.get('lab-files01')!.getCell(11).value).toBe('Unprotected');
    expect(vms.get('lab-web01')!.getCell(5).value).toBe('Servers');
    expect(vms.get('lab-web01')!.getCell(9).value).toBeInstanceOf(Date);

    const jobs = dataRows('Jobs');
    expect(jobs).toHaveLength(exported.summary.jobsRun);
    // Not the export's own job: no report lists itself, forever "Running".
    expect(jobs.map((row) => row.getCell(4).value)).not.toContain('report');
    expect(jobs.filter((row) => String(row.getCell(6).value).startsWith('Compliance report'))).toEqual([]);
    expect(jobs.map((row) => row.getCell(10).value)).toEqual(Array(5).fill('Succeeded'));
    const copies = db
      .prepare("SELECT bytes_read FROM jobs WHERE kind = 'replication' ORDER BY started_at, rowid")
      .pluck()
      .all() as number[];
    const copyRows = jobs.filter((row) => String(row.getCell(6).value).startsWith('Copy '));
    expect(copyRows.map((row) => row.getCell(8).value)).toEqual(copies);
    expect(copies.every((bytes) => bytes > 0)).toBe(true);
  });

  it('records the drill per VM with its point, RPO and RTO achieved, its steps, and the QEMU screenshot as evidence in the export', () => {
    const [row, ...more] = dataRows('Drills');
    expect(more).toHaveLength(0);
    expect(row!.getCell(4).value).toBe('lab-web01');
    expect(row!.getCell(17).value).toBe('Passed');
    expect(row!.getCell(14).value).toBe('Yes'); // cleanup confirmed
    expect(row!.getCell(16).value).toBe('Quarterly restore test');
    expect(row!.getCell(6).value).toBeInstanceOf(Date); // RPO achieved, a duration
    const screenshot = drill.vms[0]!.screenshot!;
    expect(fs.existsSync(screenshot)).toBe(true);
    // The Drills row links to the copy beside the workbook, by a path inside the export.
    const rel = `quarter-evidence/${drill.id}/${drill.vms[0]!.vmId}.png`;
    expect(row!.getCell(19).value).toEqual({ text: 'E1 on sheet Evidence', hyperlink: rel });
    const copy = fs.readFileSync(path.join(data.dir, 'out', rel));
    expect(copy.equals(fs.readFileSync(screenshot))).toBe(true);
    expect(sheet('Drills').getImages()).toEqual([]);
    // The Evidence page shows it, stamped with the hash of that copy.
    const evidence = sheet('Evidence');
    const images = evidence.getImages();
    expect(images).toHaveLength(1);
    expect(String(cell(evidence, 1, 1))).toBe('E1 — console screenshot of lab-web01');
    expect(String(cell(evidence, 3, 2))).toContain(`drill id ${drill.id}`);
    expect(cell(evidence, 6, 2)).toBe(createHash('sha256').update(copy).digest('hex'));
    expect(cell(evidence, 7, 2)).toBe('quarter-evidence/ (beside this workbook)');
    expect(cell(evidence, 8, 2)).toBe(`${drill.id}/${drill.vms[0]!.vmId}.png`);
    expect(cell(evidence, 9, 2)).toEqual({ text: 'Open the copy beside this workbook', hyperlink: rel });
    // QEMU's PNG may carry an alpha channel LibreOffice prints as nothing: what is embedded is then 8-bit RGB
    // of the same size (the copy in the folder stays byte for byte what QEMU wrote).
    const media = Buffer.from(book.getImage(Number(images[0]!.imageId)).buffer as unknown as Uint8Array);
    expect(media.readUInt32BE(16)).toBe(copy.readUInt32BE(16));
    expect(media.readUInt32BE(20)).toBe(copy.readUInt32BE(20));
    if (!media.equals(copy)) expect([media[24], media[25]]).toEqual([8, 2]);

    // No engine-side path in any cell but the audit log (which records, as hashed, where the vault is).
    const tmp = os.tmpdir();
    for (const ws of book.worksheets.filter((w) => w.name !== 'Audit log')) {
      ws.eachRow((r) => r.eachCell((c) => expect(JSON.stringify(c.value ?? ''), `${ws.name}!${c.address}`).not.toContain(tmp)));
    }
    const auditText: string[] = [];
    sheet('Audit log').eachRow((r) => r.eachCell((c) => auditText.push(JSON.stringify(c.value ?? ''))));
    expect(auditText.filter((t) => t.includes(path.dirname(screenshot)))).toEqual([]);

    expect(dataRows('Drill steps')).toHaveLength(drill.steps.length);
    expect(cell(sheet('Drill steps'), 2, 5)).toBe(drill.steps[0]!.name);
  });
});
