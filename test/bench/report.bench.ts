// The compliance workbook over a million runs: `npm run bench -- report`. Seeds 1,000,000 job rows in one
// transaction, exports a quarter through the same API as the Reports page, and prints time and peak RSS.
// Budget (issue 9): peak RSS under 400 MiB while exporting.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLocalClient } from '../../core/contract/dispatch';
import { createService } from '../../core/service';
import { openCatalog } from '../../core/store/database';
import { seedQuarter } from '../helpers/seed-catalog';

// Days are local: one zone for the seeding process and the exporting one.
process.env.TZ ??= 'Europe/Amsterdam';

const JOB_ROWS = Number(process.env.REPORT_BENCH_ROWS ?? 1_000_000);
const RSS_BUDGET_MIB = 400;

function peakRssMiB(): number {
  const status = fs.readFileSync('/proc/self/status', 'utf8');
  const match = /VmHWM:\s+(\d+) kB/.exec(status);
  return match ? Number(match[1]) / 1024 : process.resourceUsage().maxRSS / 1024;
}

async function exportInThisProcess(dir: string): Promise<void> {
  const period = { from: '2026-01-01', to: '2026-03-31' };
  const service = createService({ dataDir: dir, clock: { now: () => new Date(2026, 3, 2, 9) }, operator: 'bench' });
  const started = performance.now();
  const result = await createLocalClient(service.api).exportReport({ ...period, outFile: path.join(dir, 'q1.xlsx') });
  const seconds = (performance.now() - started) / 1000;
  await service.close();
  process.stdout.write(JSON.stringify({ seconds, rows: result.summary.jobsRun, bytes: result.bytes, peakMiB: peakRssMiB() }) + '\n');
}

/** Seeds in this process, exports in a fresh one: the export's peak RSS is then its own. */
async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-report-bench-'));
  try {
    const started = performance.now();
    const seeded = seedQuarter(dir);
    const db = openCatalog(dir);
    const vmIds = Object.values(seeded.vms);
    const insert = db.prepare(
      `INSERT INTO jobs (id, kind, title, status, trigger, vm_id, policy_id, host_id, target_id, created_at, started_at, finished_at, bytes_read, bytes_stored, app_consistent, error)
       VALUES (?, 'replication', ?, ?, 'schedule', ?, NULL, NULL, NULL, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const from = new Date(2026, 0, 1).getTime();
    const span = new Date(2026, 3, 1).getTime() - from;
    db.transaction(() => {
      for (let i = 0; i < JOB_ROWS; i++) {
        const start = from + Math.floor((i / JOB_ROWS) * span);
        const failed = i % 97 === 0;
        const iso = new Date(start).toISOString();
        insert.run(
          `bench-${String(i).padStart(8, '0')}`,
          `Copy vm${i % vmIds.length}`,
          failed ? 'failed' : 'succeeded',
          vmIds[i % vmIds.length]!,
          iso,
          iso,
          new Date(start + 95_000).toISOString(),
          1_000_000 + i,
          100_000 + i,
          failed ? null : i % 13 === 0 ? 0 : 1,
          failed ? 'HV01 did not answer: WinRM connection refused.' : null,
        );
      }
    })();
    db.close();
    console.log(
      `seeded a quarter plus ${JOB_ROWS.toLocaleString('en-US')} job rows in ${((performance.now() - started) / 1000).toFixed(1)} s`,
    );

    const child = spawnSync(process.execPath, [fileURLToPath(import.meta.url), 'export', dir], { encoding: 'utf8', env: process.env });
    if (child.status !== 0) throw new Error(`export failed: ${child.stderr}`);
    const { seconds, rows, bytes, peakMiB } = JSON.parse(child.stdout.trim().split('\n').pop()!) as {
      seconds: number;
      rows: number;
      bytes: number;
      peakMiB: number;
    };
    console.log(
      `export: ${rows.toLocaleString('en-US')} job rows in ${seconds.toFixed(1)} s (${Math.round(rows / seconds).toLocaleString('en-US')} rows/s), ${(bytes / 2 ** 20).toFixed(1)} MiB xlsx`,
    );
    console.log(
      `peak RSS of the exporting process: ${peakMiB.toFixed(0)} MiB; budget ${RSS_BUDGET_MIB} MiB → ${peakMiB < RSS_BUDGET_MIB ? 'PASS' : 'FAIL'} (${(peakMiB / RSS_BUDGET_MIB).toFixed(2)} of budget)`,
    );
    if (peakMiB >= RSS_BUDGET_MIB) process.exitCode = 1;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === 'export') await exportInThisProcess(process.argv[3]!);
else await main();
