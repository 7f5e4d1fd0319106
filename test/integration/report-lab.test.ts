import fs from 'node:fs';
import path from 'node:path';
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLocalClient } from '../../core/contract/dispatch';
import type { Drill, DrillStep } from '../../core/contract/drills';
import type { ReportExport } from '../../core/contract/reports';
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

const localDay = (d: Date): string => `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
const cell = (ws: ExcelJS.Worksheet, row: number, col: number): unknown => ws.getRow(row).getCell(col).value;

const sheet = (name: string): ExcelJS.Worksheet => sheetOf(book, name);
const dataRows = (name: string): ExcelJS.Row[] => tableOf(book, name).rows;

beforeAll(async () => {
  if (!qemu) return;
  data = tempDirManual();
  service = createService({ dataDir: data.dir, heartbeat: false, operator: 'alice' });
  const client = createLocalClient(service.api);
  const settings = await client.completeFirstRun({ organisation: 'Acme Dental', vault: { kind: 'folder', path: path.join(data.dir, 'vault') }, passphrase: 'Tulip-Harbour-93-Gravel-Lantern' });
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

  const today = localDay(new Date());
  exported = await client.exportReport({ from: today, to: today, outFile: path.join(data.dir, 'out', 'today.xlsx') });
  book = new ExcelJS.Workbook();
  await book.xlsx.readFile(exported.file);
  db = openCatalog(data.dir);
}, 300_000);

afterAll(async () => {
  db?.close();
  await service?.close();
  data?.remove();
});

const count = (sql: string, ...params: unknown[]): number => db.prepare(sql).pluck().get(...params) as number;

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
    // Four copies, the drill, and the export itself: it is a job of the period too, running as it counts.
    expect(s.get('Runs')).toBe(count('SELECT COUNT(*) FROM jobs'));
    expect(count("SELECT COUNT(*) FROM jobs WHERE kind = 'replication'")).toBe(4);
    expect(s.get('Failed runs')).toBe(count("SELECT COUNT(*) FROM jobs WHERE status = 'failed'"));
    expect(s.get('RPO breaches')).toBe(0);
    expect(s.get('Audit log hash chain')).toBe('Intact');
    expect(exported.summary).toMatchObject({ vms: 3, protectedVms: 2, drillsRun: 1, drillsPassed: 1, rpoBreaches: 0, auditIntact: true });
  });

  it('lists the protected VMs with their newest recovery point, and the copies with the bytes the catalog recorded', () => {
    const vms = new Map(dataRows('Protected VMs').map((row) => [row.getCell(1).value as string, row]));
    expect([...vms.keys()].sort()).toEqual(['lab-dc01', 'lab-files01', 'lab-web01']);
    expect(vms.get('lab-files01')!.getCell(11).value).toBe('Unprotected');
    expect(vms.get('lab-web01')!.getCell(5).value).toBe('Servers');
    expect(vms.get('lab-web01')!.getCell(9).value).toBeInstanceOf(Date);

    const jobs = dataRows('Jobs');
    expect(jobs).toHaveLength(exported.summary.jobsRun);
    const copies = db.prepare("SELECT bytes_read FROM jobs WHERE kind = 'replication' ORDER BY started_at, rowid").pluck().all() as number[];
    const copyRows = jobs.filter((row) => String(row.getCell(6).value).startsWith('Copy '));
    expect(copyRows.map((row) => row.getCell(8).value)).toEqual(copies);
    expect(copies.every((bytes) => bytes > 0)).toBe(true);
  });

  it('records the drill per VM with its point, RPO and RTO achieved, its steps, and the QEMU screenshot embedded', () => {
    const [row, ...more] = dataRows('Drills');
    expect(more).toHaveLength(0);
    expect(row!.getCell(4).value).toBe('lab-web01');
    expect(row!.getCell(17).value).toBe('Passed');
    expect(row!.getCell(14).value).toBe('Yes'); // cleanup confirmed
    expect(row!.getCell(16).value).toBe('Quarterly restore test');
    expect(row!.getCell(6).value).toBeInstanceOf(Date); // RPO achieved, a duration
    const screenshot = drill.vms[0]!.screenshot!;
    expect(fs.existsSync(screenshot)).toBe(true);
    const images = sheet('Drills').getImages();
    expect(images).toHaveLength(1);
    const media = book.getImage(Number(images[0]!.imageId));
    expect(Buffer.compare(Buffer.from(media.buffer as unknown as Uint8Array), fs.readFileSync(screenshot))).toBe(0);

    expect(dataRows('Drill steps')).toHaveLength(drill.steps.length);
    expect(cell(sheet('Drill steps'), 2, 5)).toBe(drill.steps[0]!.name);
  });
});
