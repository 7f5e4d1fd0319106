import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import ExcelJS from 'exceljs';
import JSZip from 'jszip';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLocalClient } from '../../core/contract/dispatch';
import type { ReportExport } from '../../core/contract/reports';
import { createService, type LifeboatService } from '../../core/service';
import { openCatalog, type Db } from '../../core/store/database';
import { DrillsStore } from '../../core/store/drills';
import { SHEETS } from '../../core/reports/workbook';
import { runCli } from '../helpers/cli';
import { seedQuarter, type SeededQuarter } from '../helpers/seed-catalog';
import { SCREENSHOT_DIR } from '../helpers/browser';
import { tempDirManual } from '../helpers/temp';
import { sheetOf, summaryOf, tableOf } from '../helpers/workbook';

// Days and times in the workbook are local: a zone with DST inside the quarter (EU: 29 March) exercises both.
process.env.TZ = 'Europe/Amsterdam';

let data: ReturnType<typeof tempDirManual>;
let seeded: SeededQuarter;
let service: LifeboatService;
let exported: ReportExport;
let book: ExcelJS.Workbook;
let db: Db;

const iso = (local: Date): string => local.toISOString();
const periodStart = iso(new Date(2026, 0, 1));
const periodEnd = iso(new Date(2026, 3, 1));

beforeAll(async () => {
  data = tempDirManual();
  seeded = seedQuarter(data.dir);
  service = createService({ dataDir: data.dir, clock: { now: () => new Date(2026, 3, 2, 10, 0) }, operator: 'alice' });
  exported = await createLocalClient(service.api).exportReport({ ...seeded.period, outFile: path.join(data.dir, 'out', 'q1.xlsx') });
  book = new ExcelJS.Workbook();
  await book.xlsx.readFile(exported.file);
  db = openCatalog(data.dir);
});

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
const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

const sheet = (name: string): ExcelJS.Worksheet => sheetOf(book, name);
const table = (name: string, headerRow = 1): { headers: string[]; rows: ExcelJS.Row[] } => tableOf(book, name, headerRow);
const summaryValues = (): Map<string, unknown> => summaryOf(book);

/** Excel stores wall-clock time: the Date exceljs reads back has the local time in its UTC fields. */
const wallClock = (ms: number): string => {
  const d = new Date(ms);
  const pad = (n: number): string => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
};
const cellWallClock = (value: unknown): string => (value as Date).toISOString().slice(0, 19);
/** A duration cell holds days; exceljs reads a number in [h]:mm:ss format back as a Date from Excel's epoch. */
const seconds = (value: unknown): number => (value instanceof Date ? (value.getTime() - Date.UTC(1899, 11, 30)) / 1000 : NaN);

describe('the compliance workbook', () => {
  it('has the nine sheets in order, document properties, and its SHA-256 in the audit log', async () => {
    expect(book.worksheets.map((ws) => ws.name)).toEqual([...SHEETS]);
    expect(book.creator).toMatch(/^Lifeboat /);
    expect(book.title).toBe('Disaster-recovery compliance report 2026-01-01 to 2026-03-31');
    expect(book.company).toBe(seeded.organisation);
    expect(book.subject).toContain(seeded.organisation);

    const bytes = fs.readFileSync(exported.file);
    expect(exported.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
    expect(exported.bytes).toBe(bytes.length);
    const [entry] = await createLocalClient(service.api).listAuditEvents({ limit: 1 });
    expect(entry).toMatchObject({
      action: 'report.exported',
      actor: 'alice',
      subject: 'q1.xlsx',
      details: { sha256: exported.sha256, bytes: exported.bytes, file: exported.file, evidenceFolder: exported.evidenceFolder },
    });
    expect((await createLocalClient(service.api).verifyAudit()).ok).toBe(true);
  });

  it('copies the drill evidence into a folder beside the workbook, with a SHA256SUMS the audit entry repeats', async () => {
    const folder = path.join(data.dir, 'out', 'q1-evidence');
    expect(exported.evidenceFolder).toBe(folder);
    expect(exported.evidenceFiles).toBe(seeded.screenshots.length);
    expect(fs.readdirSync(path.dirname(folder)).sort()).toEqual(['q1-evidence', 'q1.xlsx']); // no .partial folder left
    const sums = fs
      .readFileSync(path.join(folder, 'SHA256SUMS'), 'utf8')
      .trimEnd()
      .split('\n')
      .map((line) => line.split('  ') as [string, string]);
    expect(sums).toHaveLength(seeded.screenshots.length);
    const sources = new Set(seeded.screenshots.map((file) => sha256(fs.readFileSync(file))));
    for (const [hash, rel] of sums) {
      expect(rel).toMatch(/^[0-9a-f-]{36}\/[0-9a-f-]{36}\.png$/); // drill id / VM id: no engine path, no VM name
      expect(sha256(fs.readFileSync(path.join(folder, rel)))).toBe(hash);
      expect(sources.has(hash)).toBe(true);
    }
    const [entry] = await createLocalClient(service.api).listAuditEvents({ limit: 1 });
    expect(
      (entry!.details as { evidence: { file: string; sha256: string }[] }).evidence.map((e) => [
        e.sha256,
        e.file.replace(/^q1-evidence\//, ''),
      ]),
    ).toEqual(sums);
  });

  it('states Summary numbers that equal the catalog', () => {
    const s = summaryValues();
    const vms = count('SELECT COUNT(*) FROM vms WHERE removed_at IS NULL');
    const protectedVms = count(
      'SELECT COUNT(*) FROM policy_vms pv JOIN policies p ON p.id = pv.policy_id JOIN vms v ON v.id = pv.vm_id WHERE p.enabled = 1 AND v.removed_at IS NULL AND p.created_at < ?',
      periodEnd,
    );
    const all = new DrillsStore(db).list({ from: periodStart, to: periodEnd });
    const drills = all.filter((d) => d.kind === 'test');
    expect(all.length - drills.length).toBe(1); // the planned failover is not a test
    expect(s.get('Organisation')).toBe(seeded.organisation);
    expect(s.get('VMs')).toBe(vms);
    expect(s.get('Protected VMs')).toBe(protectedVms);
    expect(s.get('Unprotected VMs')).toBe(vms - protectedVms);
    expect(s.get('Drills run')).toBe(drills.length);
    expect(s.get('Drills passed')).toBe(drills.filter((d) => d.status === 'passed').length);
    expect(s.get('Drills failed')).toBe(drills.filter((d) => d.status === 'failed').length);
    expect(s.get('Runs')).toBe(
      count(
        'SELECT COUNT(*) FROM jobs WHERE (started_at >= ? AND started_at < ?) OR (started_at IS NULL AND created_at >= ? AND created_at < ?)',
        periodStart,
        periodEnd,
        periodStart,
        periodEnd,
      ),
    );
    expect(s.get('Failed runs')).toBe(
      count("SELECT COUNT(*) FROM jobs WHERE status = 'failed' AND started_at >= ? AND started_at < ?", periodStart, periodEnd),
    );
    expect(s.get('Open action items')).toBe(count("SELECT COUNT(*) FROM action_items WHERE status = 'open'"));
    expect(s.get('Audit entries in the period')).toBe(
      count('SELECT COUNT(*) FROM audit_events WHERE time >= ? AND time < ?', periodStart, periodEnd),
    );
    expect(s.get('Audit log hash chain')).toBe('Intact');
    expect(s.get('Overall status')).toBe('Needs attention');
    // A finished quarter, measured from its first minute to its last (one hour short of 90 × 24 h: DST).
    expect(s.get('Period state')).toBe('Complete');
    expect(s.get('RPO measured over')).toBe('90 days of 90 days');
    expect(exported.summary.coverage).toMatchObject({
      state: 'complete',
      periodDays: 90,
      periodSeconds: 90 * 86_400 - 3600,
      rpoMeasuredSeconds: 90 * 86_400 - 3600,
    });
    // Period and generation time are Excel dates (local wall clock).
    expect(cellWallClock(s.get('Period from'))).toBe('2026-01-01T00:00:00');
    expect(cellWallClock(s.get('Period to'))).toBe('2026-03-31T00:00:00');
    expect(cellWallClock(s.get('Generated at'))).toBe('2026-04-02T10:00:00');

    // RPO figures agree with the per-day sheet, and with the outages the catalog was seeded with.
    const { rows } = table('RPO compliance');
    const breachMinutes = rows.reduce((sum, r) => sum + (r.getCell(7).value as number), 0);
    const measuredMinutes = rows.reduce((sum, r) => sum + (r.getCell(8).value as number), 0);
    expect(s.get('Minutes in breach')).toBe(Math.round(breachMinutes));
    expect(s.get('RPO breaches')).toBe(rows.reduce((sum, r) => sum + (r.getCell(6).value as number), 0));
    expect(s.get('RPO compliance') as number).toBeCloseTo(1 - breachMinutes / measuredMinutes, 4);
    expect(s.get('Minutes in breach')).toBe(240 + 480 + 210 + 390);
    // Worst age: sql01's five hours without a point, against its one-hour RPO.
    expect(seconds(s.get('Worst recovery point age'))).toBe(5 * 3600);
    expect(exported.summary).toMatchObject({ vms, protectedVms, rpoBreaches: 3, minutesInBreach: 1320, drillsRun: 3, auditIntact: true });
    // The failover's 50-minute recovery is not the worst drill RTO: web tier's 35-minute re-test is.
    expect(exported.summary.worstDrillRto).toMatchObject({ plan: 'Web tier', seconds: 2100 });
  });

  it('lists every VM with its policy, last good point and status', () => {
    const { headers, rows } = table('Protected VMs');
    expect(headers).toEqual([
      'VM',
      'Host',
      'Host type',
      'Power state',
      'Policy',
      'Target',
      'RPO target',
      'Protected since',
      'Last good point',
      'Age',
      'Status',
      'Within RPO in period',
    ]);
    // Every VM not removed before the period started (legacy01 was removed during it).
    expect(rows).toHaveLength(count('SELECT COUNT(*) FROM vms WHERE removed_at IS NULL OR removed_at >= ?', periodStart));
    const byName = new Map(rows.map((r) => [r.getCell(1).value as string, r]));
    expect(byName.get('print01')!.getCell(11).value).toBe('Unprotected');
    expect(byName.get('test-vm')!.getCell(11).value).toBe('Policy disabled');
    expect(byName.get('legacy01')!.getCell(11).value).toBe('Removed');
    const sql01 = byName.get('sql01')!;
    expect(sql01.getCell(5).value).toBe('Tier 1 servers');
    expect(seconds(sql01.getCell(7).value)).toBe(3600);
    expect(sql01.getCell(7).numFmt).toBe('[h]:mm:ss');
    const newest = db
      .prepare('SELECT MAX(time) FROM recovery_points WHERE vm_id = ? AND time < ?')
      .pluck()
      .get(seeded.vms.sql01, periodEnd) as string;
    expect(cellWallClock(sql01.getCell(9).value)).toBe(wallClock(Date.parse(newest)));
    expect(sql01.getCell(9).numFmt).toBe('yyyy-mm-dd hh:mm:ss');
  });

  it('computes RPO compliance per VM per local day, breaches and minutes in breach', () => {
    const { headers, rows } = table('RPO compliance');
    expect(headers).toEqual([
      'Day',
      'VM',
      'Policy',
      'RPO target',
      'Worst age',
      'Breaches',
      'Minutes in breach',
      'Minutes measured',
      'Within RPO',
      'Status',
    ]);
    // Five VMs for all 90 days, app01 from 10 February (50 days).
    expect(rows).toHaveLength(5 * 90 + 50);
    const find = (day: string, vm: string): ExcelJS.Row =>
      rows.find((r) => cellWallClock(r.getCell(1).value).startsWith(day) && r.getCell(2).value === vm)!;
    expect(find('2026-02-14', 'sql01').getCell(6).value).toBe(1);
    expect(find('2026-02-14', 'sql01').getCell(7).value).toBe(240);
    expect(find('2026-02-14', 'sql01').getCell(10).value).toBe('Breach');
    expect(seconds(find('2026-02-14', 'sql01').getCell(5).value)).toBe(5 * 3600);
    // file01's outage crosses midnight: the breach starts on the 20th and goes on into the 21st.
    expect([find('2026-01-20', 'file01').getCell(6).value, find('2026-01-20', 'file01').getCell(7).value]).toEqual([1, 210]);
    expect([find('2026-01-21', 'file01').getCell(6).value, find('2026-01-21', 'file01').getCell(7).value]).toEqual([0, 390]);
    // The day the clocks go forward has 23 hours.
    expect(find('2026-03-29', 'dc01').getCell(8).value).toBe(23 * 60);
    expect(find('2026-03-28', 'dc01').getCell(10).value).toBe('OK');
    expect(find('2026-03-28', 'dc01').getCell(9).numFmt).toBe('0.00%');
  });

  it('has one drill row per VM, with RPO/RTO against targets and a link to its evidence inside the export', () => {
    const { headers, rows } = table('Drills');
    expect(headers).toEqual([
      'Drill started',
      'Plan',
      'Kind',
      'VM',
      'Recovery point time',
      'RPO achieved',
      'RPO target',
      'RTO achieved',
      'RTO target',
      'Checks passed',
      'Checks failed',
      'Check results',
      'Isolation network',
      'Cleanup confirmed',
      'Operator',
      'Notes',
      'Result',
      'Failure',
      'Evidence',
    ]);
    expect(rows).toHaveLength(seeded.drills.reduce((sum, d) => sum + d.vms.length, 0));
    expect(rows.filter((r) => r.getCell(3).value !== 'Test').map((r) => [r.getCell(3).value, r.getCell(4).value])).toEqual([
      ['Planned', 'dc01'],
    ]);
    const failed = rows.find((r) => r.getCell(17).value === 'Failed')!;
    expect(failed.getCell(4).value).toBe('web02');
    expect(failed.getCell(11).value).toBe(1);
    expect(failed.getCell(18).value).toContain('Port 443 refused');
    expect(String(failed.getCell(19).value)).toMatch(/^Missing: /);
    expect(String(failed.getCell(19).value)).not.toContain(seeded.evidenceDir);
    const first = rows[0]!;
    expect(cellWallClock(first.getCell(1).value)).toBe('2026-01-15T10:00:00');
    expect(seconds(first.getCell(6).value)).toBe(12 * 60); // the point was 12 minutes old
    expect(seconds(first.getCell(8).value)).toBe(240);
    expect(first.getCell(8).numFmt).toBe('[h]:mm:ss');
    expect(first.getCell(14).value).toBe('Yes');
    // A path relative to the workbook, into the folder that travels with it: the copy of the screenshot.
    const rel = `q1-evidence/${seeded.drills[0]!.id}/${seeded.drills[0]!.vms[0]!.vmId}.png`;
    expect(first.getCell(19).value).toEqual({ text: 'E1 on sheet Evidence', hyperlink: rel });
    expect(fs.readFileSync(path.join(data.dir, 'out', rel)).equals(fs.readFileSync(seeded.screenshots[0]!))).toBe(true);
    // The pictures are on the Evidence sheet, at a readable size, not squeezed into a table cell.
    expect(sheet('Drills').getImages()).toEqual([]);
  });

  it('shows each screenshot on its own Evidence page, scaled up and stamped with VM, drill, time and SHA-256', async () => {
    const ws = sheet('Evidence');
    const images = ws.getImages();
    expect(images).toHaveLength(seeded.screenshots.length);
    const media = book.getImage(Number(images[0]!.imageId));
    expect(media.extension).toBe('png');
    expect(Buffer.compare(Buffer.from(media.buffer as unknown as Uint8Array), fs.readFileSync(seeded.screenshots[0]!))).toBe(0);
    // The stamp above the first picture: label → value.
    const stamp = new Map<string, unknown>();
    for (let r = 2; r <= 11; r++) stamp.set(String(ws.getRow(r).getCell(1).value), ws.getRow(r).getCell(2).value);
    const drill = seeded.drills[0]!;
    const vm = drill.vms[0]!;
    const rel = `q1-evidence/${drill.id}/${vm.vmId}.png`;
    expect(String(ws.getCell('A1').value)).toBe(`E1 — console screenshot of ${vm.vm}`);
    expect(stamp.get('VM')).toBe(`${vm.vm} (VM id ${vm.vmId})`);
    expect(String(stamp.get('Drill'))).toContain(`drill id ${drill.id}`);
    expect(cellWallClock(stamp.get('Drill started'))).toBe('2026-01-15T10:00:00');
    expect(stamp.get('Captured')).toBeInstanceOf(Date);
    expect(stamp.get('SHA-256')).toBe(sha256(fs.readFileSync(seeded.screenshots[0]!)));
    // The folder and the file in it on lines of their own (a default file name makes the path wider than the page), and a link.
    expect(stamp.get('Evidence folder')).toBe('q1-evidence/ (beside this workbook)');
    expect(stamp.get('File in it')).toBe(`${drill.id}/${vm.vmId}.png`);
    expect(ws.getCell('B9').value).toEqual({ text: 'Open the copy beside this workbook', hyperlink: rel });
    expect(String(stamp.get('Size'))).toMatch(/^320 × 200 px, [\d,]+ bytes; shown at 216%$/);
    // The picture sits in the row after the stamp, 690 px wide: 320 px scaled to the page, not a thumbnail.
    expect(images[0]!.range.tl.nativeRow).toBe(10);
    expect(images[0]!.range.tl.nativeCol).toBe(0);
    expect((images[0]!.range as unknown as { ext: unknown }).ext).toEqual({ width: 690, height: 431 });
    // One printed page per screenshot (exceljs does not read page breaks back: the sheet's XML has them).
    const zip = await JSZip.loadAsync(fs.readFileSync(exported.file));
    const sheetsXml = await Promise.all(
      Object.keys(zip.files)
        .filter((f) => /^xl\/worksheets\/sheet\d+\.xml$/.test(f))
        .map((f) => zip.file(f)!.async('string')),
    );
    const breaks = sheetsXml.map((xml) => /<rowBreaks count="(\d+)"/.exec(xml)?.[1]).filter(Boolean);
    expect(breaks).toEqual([String(seeded.screenshots.length - 1)]);
  });

  it('names no path on the engine machine anywhere in its cells: evidence is referenced inside the export', () => {
    const tmp = os.tmpdir();
    const seen: string[] = [];
    for (const ws of book.worksheets) {
      ws.eachRow((row) =>
        row.eachCell((c) => {
          const v = c.value as unknown;
          const text = v !== null && typeof v === 'object' && !(v instanceof Date) ? JSON.stringify(v) : String(v);
          if (text.includes(tmp) || text.includes(data.dir) || text.includes('file://'))
            seen.push(`${ws.name}!${c.address}: ${text.slice(0, 120)}`);
        }),
      );
    }
    expect(seen).toEqual([]);
    // The drill step that took the screenshot names the copy (the catalog has the engine path).
    const shot = table('Drill steps').rows.find((r) => r.getCell(5).value === 'Capture console screenshot')!;
    expect(shot.getCell(10).value).toBe(
      `E1 on sheet Evidence, file\nq1-evidence/${seeded.drills[0]!.id}/\n${seeded.drills[0]!.vms[0]!.vmId}.png`,
    );
  });

  it('lists every drill step, every run, the action items and the audit entries of the period', () => {
    const steps = table('Drill steps');
    expect(steps.headers).toEqual(['Drill started', 'Plan', 'Step', 'VM', 'What', 'Started', 'Finished', 'Duration', 'Result', 'Detail']);
    expect(steps.rows).toHaveLength(count('SELECT COUNT(*) FROM drill_steps'));
    expect(seconds(steps.rows[0]!.getCell(8).value)).toBe(95);

    const jobs = table('Jobs');
    expect(jobs.headers).toEqual([
      'Started',
      'Finished',
      'Duration',
      'Kind',
      'VM',
      'Title',
      'Trigger',
      'Bytes read',
      'Bytes stored',
      'Result',
      'App-consistent',
      'Error',
    ]);
    expect(jobs.rows).toHaveLength(exported.summary.jobsRun);
    const firstJob = db.prepare('SELECT * FROM jobs WHERE started_at >= ? ORDER BY started_at, rowid LIMIT 1').get(periodStart) as {
      started_at: string;
      bytes_read: number;
    };
    expect(cellWallClock(jobs.rows[0]!.getCell(1).value)).toBe(wallClock(Date.parse(firstJob.started_at)));
    expect(jobs.rows[0]!.getCell(8).value).toBe(firstJob.bytes_read);
    expect(jobs.rows[0]!.getCell(8).numFmt).toBe('#,##0');
    expect(jobs.rows.filter((r) => r.getCell(10).value === 'Failed')).toHaveLength(exported.summary.jobsFailed);
    expect(jobs.rows.at(-1)!.getCell(10).value).toBe('Cancelled'); // never started: listed last, without a start

    const actions = table('Action items');
    expect(actions.headers).toEqual(['Raised', 'Source', 'Subject', 'Description', 'Owner', 'Status', 'Closed', 'Drill']);
    const statuses = actions.rows.map((r) => `${r.getCell(3).value}:${r.getCell(6).value}`).sort();
    expect(statuses).toEqual(['file01:Not raised', 'sql01:Open', 'web02:Done', 'web02:Not raised']);

    const audit = table('Audit log', 3);
    expect(String(sheet('Audit log').getCell('A1').value)).toMatch(/^Hash chain verified: intact\. \d+ entries checked/);
    expect(audit.headers).toEqual([
      'Seq',
      'Time',
      'Actor',
      'Action',
      'Subject',
      'Details',
      'Details (JSON, as hashed)',
      'Previous hash',
      'Hash',
    ]);
    const entries = db
      .prepare('SELECT seq, details, hash FROM audit_events WHERE time >= ? AND time < ? ORDER BY seq')
      .all(periodStart, periodEnd) as { seq: number; details: string | null; hash: string }[];
    expect(audit.rows.map((r) => [r.getCell(1).value, r.getCell(9).value])).toEqual(entries.map((e) => [e.seq, e.hash]));
    // The JSON exactly as hashed, and beside it the same details as lines a reader takes in.
    expect(audit.rows.map((r) => r.getCell(7).value ?? null)).toEqual(entries.map((e) => e.details));
    const byAction = (action: string): ExcelJS.Row => audit.rows.find((r) => r.getCell(4).value === action)!;
    expect(byAction('policy.changed').getCell(6).value).toBe('Changes, retention, keep last: 48');
    expect(byAction('vault.verified').getCell(6).value).toBe('Errors: 0\nPacks: 412'); // in the JSON's (sorted) order
    expect(byAction('job.cancelled').getCell(6).value).toMatch(/^Job id: [0-9a-f-]{36}$/);
    for (const r of audit.rows) if (r.getCell(7).value) expect(String(r.getCell(6).value)).not.toMatch(/^[{[]/);
  });

  it('makes every list a real Excel table with a frozen header, print titles, landscape fit to width and red/green rules', () => {
    for (const [name, headerRow] of [
      ['Protected VMs', 1],
      ['RPO compliance', 1],
      ['Drills', 1],
      ['Drill steps', 1],
      ['Jobs', 1],
      ['Action items', 1],
      ['Audit log', 3],
    ] as const) {
      const ws = sheet(name);
      const tables = Object.values(
        (
          ws as unknown as {
            tables: Record<string, { table: { tableRef: string; autoFilterRef: string; name: string; columns: { name: string }[] } }>;
          }
        ).tables,
      );
      expect(tables, name).toHaveLength(1);
      const t = tables[0]!.table;
      expect(t.tableRef.startsWith(`A${headerRow}:`), name).toBe(true);
      expect(t.autoFilterRef, name).toBe(t.tableRef);
      expect(t.columns.map((c) => c.name)).toEqual((ws.getRow(headerRow).values as unknown[]).slice(1));
      expect(ws.views[0], name).toMatchObject({ state: 'frozen', ySplit: headerRow });
      expect(ws.pageSetup, name).toMatchObject({
        orientation: 'landscape',
        fitToPage: true,
        fitToWidth: 1,
        fitToHeight: 0,
        printTitlesRow: `${headerRow}:${headerRow}`,
      });
      expect(ws.headerFooter.oddFooter, name).toContain('Page &P of &N');
      // exceljs leaves out columns of exactly the default width (9), and reads them back without one.
      for (let c = 1; c <= t.columns.length; c++) expect(ws.getColumn(c).width ?? 9, `${name} column ${c}`).toBeGreaterThan(5);
    }
    const rules = (name: string) =>
      (
        sheet(name) as unknown as {
          conditionalFormattings: { ref: string; rules: { type: string; style: { fill: { bgColor: { argb: string } } } }[] }[];
        }
      ).conditionalFormattings;
    const status = rules('Jobs').find((cf) => cf.ref.startsWith('J2:'))!;
    // Failed and Interrupted red, Unfinished (still running when written) amber, Succeeded green.
    expect(status.rules.map((r) => r.style.fill.bgColor.argb)).toEqual(['FFFFC7CE', 'FFFFC7CE', 'FFFFEB9C', 'FFC6EFCE']);
    expect(rules('Drills').length).toBeGreaterThanOrEqual(5);
    expect(rules('Summary').length).toBeGreaterThanOrEqual(5);
    // Widths fit the content: the VM column is as wide as the longest VM name plus a margin.
    expect(sheet('Protected VMs').getColumn(1).width).toBe('legacy01'.length + 2);
  });

  it('is written by `lifeboat report` and refuses bad periods naming the field', () => {
    const out = path.join(data.dir, 'cli', 'q1.xlsx');
    const ok = runCli(['--data', data.dir, 'report', '--from', '2026-01-01', '--to', '2026-03-31', '--out', out], {
      TZ: 'Europe/Amsterdam',
    });
    expect(ok.stderr).toBe('');
    expect(ok.status).toBe(0);
    expect(ok.stdout).toMatch(/Report written to .*q1\.xlsx\n {2}\d+ bytes, SHA-256 [0-9a-f]{64}/);
    expect(ok.stdout).toContain('RPO compliance: 99.');
    expect(ok.stdout).toContain('(RPO measured over 90 days of 90 days)');
    expect(ok.stdout).toContain(
      `  Drill evidence: ${seeded.screenshots.length} files in ${path.join(path.dirname(out), 'q1-evidence')} (keep it beside the workbook)\n`,
    );
    expect(fs.existsSync(out)).toBe(true);
    expect(fs.readdirSync(path.dirname(out)).sort()).toEqual(['q1-evidence', 'q1.xlsx']); // no partial file or folder left behind

    const preview = runCli(['--data', data.dir, 'report', '--from', '2026-01-01', '--to', '2026-03-31', '--preview', '--json'], {
      TZ: 'Europe/Amsterdam',
    });
    expect(preview.status).toBe(0);
    const { generatedAt: _g, ...previewed } = JSON.parse(preview.stdout) as typeof exported.summary;
    const { generatedAt: _e, ...written } = exported.summary;
    // The catalog gained audit entries since (the exports themselves): everything else is the same.
    expect({ ...previewed, auditEntries: 0 }).toEqual({ ...written, auditEntries: 0 });

    const backwards = runCli(['--data', data.dir, 'report', '--from', '2026-03-31', '--to', '2026-01-01']);
    expect(backwards.status).toBe(2);
    expect(backwards.stderr).toContain('to: The period ends before it starts.');
    const notADay = runCli(['--data', data.dir, 'report', '--from', '2026-02-30', '--to', '2026-03-31']);
    expect(notADay.status).toBe(2);
    expect(notADay.stderr).toContain('from: That day does not exist');
    const wrongName = runCli([
      '--data',
      data.dir,
      'report',
      '--from',
      '2026-01-01',
      '--to',
      '2026-03-31',
      '--out',
      path.join(data.dir, 'q1.pdf'),
    ]);
    expect(wrongName.status).toBe(2);
    expect(wrongName.stderr).toContain('outFile: The file name must end in .xlsx.');
  });
});

const soffice = ['/usr/bin/soffice', '/usr/bin/libreoffice'].find((file) => fs.existsSync(file));

describe.runIf(soffice)('LibreOffice', () => {
  it('opens the workbook and prints it to PDF', () => {
    const out = path.join(data.dir, 'pdf');
    const profile = path.join(data.dir, 'lo-profile');
    const run = spawnSync(
      soffice!,
      [`-env:UserInstallation=file://${profile}`, '--headless', '--convert-to', 'pdf', '--outdir', out, exported.file],
      { encoding: 'utf8', timeout: 170_000 },
    );
    expect(run.status, run.stderr).toBe(0);
    const pdf = path.join(out, 'q1.pdf');
    expect(fs.statSync(pdf).size).toBeGreaterThan(100_000);
    const text = spawnSync('pdftotext', ['-f', '1', '-l', '1', pdf, '-'], { encoding: 'utf8' }).stdout;
    expect(text).toContain('Disaster-recovery compliance report');
    expect(text).toContain(seeded.organisation);
    expect(text).toContain('Needs attention');
    // Keep page 1 and the Drills page (with the embedded screenshots) to look at.
    fs.mkdirSync(SCREENSHOT_DIR, { recursive: true });
    spawnSync('pdftoppm', ['-r', '70', '-png', '-f', '1', '-l', '1', '-singlefile', pdf, path.join(SCREENSHOT_DIR, 'report-summary-page')]);
    const pages = Number(/Pages:\s+(\d+)/.exec(spawnSync('pdfinfo', [pdf], { encoding: 'utf8' }).stdout)?.[1] ?? 0);
    // Each page's footer ends "<sheet> — Page n of N".
    const texts = spawnSync('pdftotext', ['-layout', pdf, '-'], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 }).stdout.split('\f');
    const pageText = (p: number): string => texts[p - 1] ?? '';
    const sheetOfPage = (p: number): string | undefined =>
      /(\S[^\n]*?) — Page \d+ of \d+\s*$/
        .exec(pageText(p))?.[1]
        ?.split(/\s{2,}/)
        .pop();
    const sheets = Array.from({ length: pages }, (_, i) => sheetOfPage(i + 1));
    const drillsPage = sheets.indexOf('Drills') + 1;
    expect(drillsPage).toBeGreaterThan(0);
    spawnSync('pdftoppm', [
      '-r',
      '110',
      '-png',
      '-f',
      String(drillsPage),
      '-l',
      String(drillsPage),
      '-singlefile',
      pdf,
      path.join(SCREENSHOT_DIR, 'report-drills-page'),
    ]);
    expect(fs.existsSync(path.join(SCREENSHOT_DIR, 'report-drills-page.png'))).toBe(true);

    // The first Evidence page: its stamp is printed text, and its picture printed as a picture.
    const evidencePages = Array.from({ length: pages }, (_, i) => i + 1).filter((p) => sheets[p - 1] === 'Evidence');
    expect(evidencePages).toHaveLength(seeded.screenshots.length); // one page each
    const evidencePage = evidencePages[0]!;
    const stamp = pageText(evidencePage);
    const drill = seeded.drills[0]!;
    expect(stamp).toContain(`E1 — console screenshot of ${drill.vms[0]!.vm}`);
    expect(stamp).toContain(`drill id ${drill.id}`);
    expect(stamp).toContain(createHash('sha256').update(fs.readFileSync(seeded.screenshots[0]!)).digest('hex'));
    expect(stamp).toMatch(/Evidence folder\s+q1-evidence\/ \(beside this workbook\)/);
    expect(stamp).toMatch(new RegExp(`File in it\\s+${drill.id}/${drill.vms[0]!.vmId}\\.png`));
    expect(stamp).toMatch(/Captured\s+2026-01-15 \d\d:\d\d:\d\d/);
    spawnSync('pdftoppm', [
      '-r',
      '110',
      '-png',
      '-f',
      String(evidencePage),
      '-l',
      String(evidencePage),
      '-singlefile',
      pdf,
      path.join(SCREENSHOT_DIR, 'report-evidence-page'),
    ]);
    expect(fs.existsSync(path.join(SCREENSHOT_DIR, 'report-evidence-page.png'))).toBe(true);

    // Measured on a grey render: the console screenshot (dark, with light text lines) must be there, at
    // page width, and show its content — neither left out (white page) nor a black box (alpha lost).
    const pgm = path.join(data.dir, 'evidence-page');
    spawnSync('pdftoppm', ['-r', '40', '-gray', '-f', String(evidencePage), '-l', String(evidencePage), '-singlefile', pdf, pgm]);
    const { width, height, pixels } = readPgm(fs.readFileSync(`${pgm}.pgm`));
    const at = (x: number, y: number): number => pixels[y * width + x]!;
    let darkOnPage = 0;
    for (const v of pixels) if (v < 45) darkOnPage++;
    expect(darkOnPage / (width * height), 'dark share of the page').toBeLessThan(0.6);
    // The picture has no white pixel: its rows hold a long unbroken run of non-white. Text has white between
    // words and is a few pixels tall, so the tallest band of such rows is the picture.
    const longestInk = (y: number): { from: number; length: number } => {
      let best = { from: 0, length: 0 };
      for (let x = 0, from = -1; x <= width; x++) {
        const ink = x < width && at(x, y) < 235;
        if (ink && from < 0) from = x;
        if (!ink && from >= 0) {
          if (x - from > best.length) best = { from, length: x - from };
          from = -1;
        }
      }
      return best;
    };
    let band = { top: 0, bottom: -1 };
    for (let y = 0, from = -1; y <= height; y++) {
      const inPicture = y < height && longestInk(y).length > 0.4 * width;
      if (inPicture && from < 0) from = y;
      if (!inPicture && from >= 0) {
        if (y - from > band.bottom - band.top + 1) band = { top: from, bottom: y - 1 };
        from = -1;
      }
    }
    const rows = band.bottom - band.top + 1;
    const middle = longestInk(Math.round((band.top + band.bottom) / 2));
    const [left, right] = [middle.from, middle.from + middle.length - 1];
    const columns = right - left + 1;
    // Scaled to the page (at its own 320 px it would be a third of the width) and still 16:10.
    expect(columns / width, 'picture width / page width').toBeGreaterThan(0.5);
    expect(rows / columns, 'picture height / width').toBeCloseTo(200 / 320, 1);
    // Inside it: the dark console, and its light text lines visible on it; neither blank nor a black box.
    let dark = 0,
      bright = 0;
    for (let y = band.top; y <= band.bottom; y++) {
      for (let x = left; x <= right; x++) {
        if (at(x, y) < 45) dark++;
        else if (at(x, y) > 140) bright++;
      }
    }
    expect(dark / (rows * columns), 'dark share inside the picture').toBeGreaterThan(0.4);
    expect(dark / (rows * columns), 'dark share inside the picture').toBeLessThan(0.95);
    expect(bright / (rows * columns), 'bright share inside the picture').toBeGreaterThan(0.08);
  }, 180_000);
});

/** A binary PGM (P5, 8-bit) as pdftoppm -gray writes it. */
function readPgm(file: Buffer): { width: number; height: number; pixels: Buffer } {
  const header = /^P5\s+(\d+)\s+(\d+)\s+(\d+)\s/.exec(file.subarray(0, 64).toString('latin1'));
  if (!header || header[3] !== '255') throw new Error('not an 8-bit binary PGM');
  const width = Number(header[1]);
  const height = Number(header[2]);
  return { width, height, pixels: file.subarray(header[0].length, header[0].length + width * height) };
}
