import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import ExcelJS from 'exceljs';
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

const count = (sql: string, ...params: unknown[]): number => db.prepare(sql).pluck().get(...params) as number;

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
  it('has the eight sheets in order, document properties, and its SHA-256 in the audit log', async () => {
    expect(book.worksheets.map((ws) => ws.name)).toEqual([...SHEETS]);
    expect(book.creator).toMatch(/^Lifeboat /);
    expect(book.title).toBe('Disaster-recovery compliance report 2026-01-01 to 2026-03-31');
    expect(book.company).toBe(seeded.organisation);
    expect(book.subject).toContain(seeded.organisation);

    const bytes = fs.readFileSync(exported.file);
    expect(exported.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
    expect(exported.bytes).toBe(bytes.length);
    const [entry] = await createLocalClient(service.api).listAuditEvents({ limit: 1 });
    expect(entry).toMatchObject({ action: 'report.exported', actor: 'alice', subject: 'q1.xlsx', details: { sha256: exported.sha256, bytes: exported.bytes, file: exported.file } });
    expect((await createLocalClient(service.api).verifyAudit()).ok).toBe(true);
  });

  it('states Summary numbers that equal the catalog', () => {
    const s = summaryValues();
    const vms = count('SELECT COUNT(*) FROM vms WHERE removed_at IS NULL');
    const protectedVms = count('SELECT COUNT(*) FROM policy_vms pv JOIN policies p ON p.id = pv.policy_id JOIN vms v ON v.id = pv.vm_id WHERE p.enabled = 1 AND v.removed_at IS NULL AND p.created_at < ?', periodEnd);
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
    expect(s.get('Runs')).toBe(count('SELECT COUNT(*) FROM jobs WHERE (started_at >= ? AND started_at < ?) OR (started_at IS NULL AND created_at >= ? AND created_at < ?)', periodStart, periodEnd, periodStart, periodEnd));
    expect(s.get('Failed runs')).toBe(count("SELECT COUNT(*) FROM jobs WHERE status = 'failed' AND started_at >= ? AND started_at < ?", periodStart, periodEnd));
    expect(s.get('Open action items')).toBe(count("SELECT COUNT(*) FROM action_items WHERE status = 'open'"));
    expect(s.get('Audit entries in the period')).toBe(count('SELECT COUNT(*) FROM audit_events WHERE time >= ? AND time < ?', periodStart, periodEnd));
    expect(s.get('Audit log hash chain')).toBe('Intact');
    expect(s.get('Overall status')).toBe('Needs attention');
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
    expect(headers).toEqual(['VM', 'Host', 'Host type', 'Power state', 'Policy', 'Target', 'RPO target', 'Protected since', 'Last good point', 'Age', 'Status', 'Within RPO in period']);
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
    const newest = db.prepare('SELECT MAX(time) FROM recovery_points WHERE vm_id = ? AND time < ?').pluck().get(seeded.vms.sql01, periodEnd) as string;
    expect(cellWallClock(sql01.getCell(9).value)).toBe(wallClock(Date.parse(newest)));
    expect(sql01.getCell(9).numFmt).toBe('yyyy-mm-dd hh:mm:ss');
  });

  it('computes RPO compliance per VM per local day, breaches and minutes in breach', () => {
    const { headers, rows } = table('RPO compliance');
    expect(headers).toEqual(['Day', 'VM', 'Policy', 'RPO target', 'Worst age', 'Breaches', 'Minutes in breach', 'Minutes measured', 'Within RPO', 'Status']);
    // Five VMs for all 90 days, app01 from 10 February (50 days).
    expect(rows).toHaveLength(5 * 90 + 50);
    const find = (day: string, vm: string): ExcelJS.Row => rows.find((r) => cellWallClock(r.getCell(1).value).startsWith(day) && r.getCell(2).value === vm)!;
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

  it('has one drill row per VM, with RPO/RTO against targets and the console screenshot embedded', () => {
    const { headers, rows } = table('Drills');
    expect(headers).toEqual([
      'Drill started', 'Plan', 'Kind', 'VM', 'Recovery point time', 'RPO achieved', 'RPO target', 'RTO achieved', 'RTO target', 'Checks passed', 'Checks failed',
      'Check results', 'Isolation network', 'Cleanup confirmed', 'Operator', 'Notes', 'Result', 'Failure', 'Screenshot',
    ]);
    expect(rows).toHaveLength(seeded.drills.reduce((sum, d) => sum + d.vms.length, 0));
    expect(rows.filter((r) => r.getCell(3).value !== 'Test').map((r) => [r.getCell(3).value, r.getCell(4).value])).toEqual([['Planned', 'dc01']]);
    const failed = rows.find((r) => r.getCell(17).value === 'Failed')!;
    expect(failed.getCell(4).value).toBe('web02');
    expect(failed.getCell(11).value).toBe(1);
    expect(failed.getCell(18).value).toContain('Port 443 refused');
    expect(String(failed.getCell(19).value)).toMatch(/^Missing: /);
    const first = rows[0]!;
    expect(cellWallClock(first.getCell(1).value)).toBe('2026-01-15T10:00:00');
    expect(seconds(first.getCell(6).value)).toBe(12 * 60); // the point was 12 minutes old
    expect(seconds(first.getCell(8).value)).toBe(240);
    expect(first.getCell(8).numFmt).toBe('[h]:mm:ss');
    expect(first.getCell(14).value).toBe('Yes');
    expect(first.getCell(19).value).toMatchObject({ text: seeded.screenshots[0], hyperlink: expect.stringMatching(/^file:\/\//) });

    const images = sheet('Drills').getImages();
    expect(images).toHaveLength(seeded.screenshots.length);
    const media = book.getImage(Number(images[0]!.imageId));
    expect(media.extension).toBe('png');
    expect(Buffer.compare(Buffer.from(media.buffer as unknown as Uint8Array), fs.readFileSync(seeded.screenshots[0]!))).toBe(0);
    // Anchored inside the Screenshot cell of the first data row (zero-based column 18, row 1).
    expect(images[0]!.range.tl.nativeCol).toBe(18);
    expect(images[0]!.range.tl.nativeRow).toBe(1);
  });

  it('lists every drill step, every run, the action items and the audit entries of the period', () => {
    const steps = table('Drill steps');
    expect(steps.headers).toEqual(['Drill started', 'Plan', 'Step', 'VM', 'What', 'Started', 'Finished', 'Duration', 'Result', 'Detail']);
    expect(steps.rows).toHaveLength(count('SELECT COUNT(*) FROM drill_steps'));
    expect(seconds(steps.rows[0]!.getCell(8).value)).toBe(95);

    const jobs = table('Jobs');
    expect(jobs.headers).toEqual(['Started', 'Finished', 'Duration', 'Kind', 'VM', 'Title', 'Trigger', 'Bytes read', 'Bytes stored', 'Result', 'App-consistent', 'Error']);
    expect(jobs.rows).toHaveLength(exported.summary.jobsRun);
    const firstJob = db.prepare('SELECT * FROM jobs WHERE started_at >= ? ORDER BY started_at, rowid LIMIT 1').get(periodStart) as { started_at: string; bytes_read: number };
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
    expect(audit.headers).toEqual(['Seq', 'Time', 'Actor', 'Action', 'Subject', 'Details', 'Previous hash', 'Hash']);
    const entries = db.prepare('SELECT seq, hash FROM audit_events WHERE time >= ? AND time < ? ORDER BY seq').all(periodStart, periodEnd) as { seq: number; hash: string }[];
    expect(audit.rows.map((r) => [r.getCell(1).value, r.getCell(8).value])).toEqual(entries.map((e) => [e.seq, e.hash]));
  });

  it('makes every list a real Excel table with a frozen header, print titles, landscape fit to width and red/green rules', () => {
    for (const [name, headerRow] of [['Protected VMs', 1], ['RPO compliance', 1], ['Drills', 1], ['Drill steps', 1], ['Jobs', 1], ['Action items', 1], ['Audit log', 3]] as const) {
      const ws = sheet(name);
      const tables = Object.values((ws as unknown as { tables: Record<string, { table: { tableRef: string; autoFilterRef: string; name: string; columns: { name: string }[] } }> }).tables);
      expect(tables, name).toHaveLength(1);
      const t = tables[0]!.table;
      expect(t.tableRef.startsWith(`A${headerRow}:`), name).toBe(true);
      expect(t.autoFilterRef, name).toBe(t.tableRef);
      expect(t.columns.map((c) => c.name)).toEqual((ws.getRow(headerRow).values as unknown[]).slice(1));
      expect(ws.views[0], name).toMatchObject({ state: 'frozen', ySplit: headerRow });
      expect(ws.pageSetup, name).toMatchObject({ orientation: 'landscape', fitToPage: true, fitToWidth: 1, fitToHeight: 0, printTitlesRow: `${headerRow}:${headerRow}` });
      expect(ws.headerFooter.oddFooter, name).toContain('Page &P of &N');
      // exceljs leaves out columns of exactly the default width (9), and reads them back without one.
      for (let c = 1; c <= t.columns.length; c++) expect(ws.getColumn(c).width ?? 9, `${name} column ${c}`).toBeGreaterThan(5);
    }
    const rules = (name: string) => (sheet(name) as unknown as { conditionalFormattings: { ref: string; rules: { type: string; style: { fill: { bgColor: { argb: string } } } }[] }[] }).conditionalFormattings;
    const status = rules('Jobs').find((cf) => cf.ref.startsWith('J2:'))!;
    expect(status.rules.map((r) => r.style.fill.bgColor.argb)).toEqual(['FFFFC7CE', 'FFFFC7CE', 'FFC6EFCE']);
    expect(rules('Drills').length).toBeGreaterThanOrEqual(5);
    expect(rules('Summary').length).toBeGreaterThanOrEqual(5);
    // Widths fit the content: the VM column is as wide as the longest VM name plus a margin.
    expect(sheet('Protected VMs').getColumn(1).width).toBe('legacy01'.length + 2);
  });

  it('is written by `lifeboat report` and refuses bad periods naming the field', () => {
    const out = path.join(data.dir, 'cli', 'q1.xlsx');
    const ok = runCli(['--data', data.dir, 'report', '--from', '2026-01-01', '--to', '2026-03-31', '--out', out], { TZ: 'Europe/Amsterdam' });
    expect(ok.stderr).toBe('');
    expect(ok.status).toBe(0);
    expect(ok.stdout).toMatch(/Report written to .*q1\.xlsx\n {2}\d+ bytes, SHA-256 [0-9a-f]{64}/);
    expect(ok.stdout).toContain('RPO compliance: 99.');
    expect(fs.existsSync(out)).toBe(true);
    expect(fs.readdirSync(path.dirname(out))).toEqual(['q1.xlsx']); // no partial file left behind

    const preview = runCli(['--data', data.dir, 'report', '--from', '2026-01-01', '--to', '2026-03-31', '--preview', '--json'], { TZ: 'Europe/Amsterdam' });
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
    const wrongName = runCli(['--data', data.dir, 'report', '--from', '2026-01-01', '--to', '2026-03-31', '--out', path.join(data.dir, 'q1.pdf')]);
    expect(wrongName.status).toBe(2);
    expect(wrongName.stderr).toContain('outFile: The file name must end in .xlsx.');
  });
});

const soffice = ['/usr/bin/soffice', '/usr/bin/libreoffice'].find((file) => fs.existsSync(file));

describe.runIf(soffice)('LibreOffice', () => {
  it('opens the workbook and prints it to PDF', () => {
    const out = path.join(data.dir, 'pdf');
    const profile = path.join(data.dir, 'lo-profile');
    const run = spawnSync(soffice!, [`-env:UserInstallation=file://${profile}`, '--headless', '--convert-to', 'pdf', '--outdir', out, exported.file], { encoding: 'utf8', timeout: 170_000 });
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
    const drillsPage = Array.from({ length: pages }, (_, i) => i + 1).find((p) => spawnSync('pdftotext', ['-f', String(p), '-l', String(p), pdf, '-'], { encoding: 'utf8' }).stdout.trimEnd().endsWith('Drills'));
    expect(drillsPage).toBeDefined();
    spawnSync('pdftoppm', ['-r', '110', '-png', '-f', String(drillsPage), '-l', String(drillsPage), '-singlefile', pdf, path.join(SCREENSHOT_DIR, 'report-drills-page')]);
    expect(fs.existsSync(path.join(SCREENSHOT_DIR, 'report-drills-page.png'))).toBe(true);
  }, 180_000);
});
