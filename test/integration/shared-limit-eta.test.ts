import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ConsoleEvent } from '../../core/contract/events';
import { createService } from '../../core/service';
import { runCli } from '../helpers/cli';
import { tempDir } from '../helpers/temp';
import { writeWorkstationVm } from '../helpers/workstation-vm';

const MiB = 1024 * 1024;
const ALL_DAY = { days: [0, 1, 2, 3, 4, 5, 6], from: '00:00', to: '23:59' };

describe("a copy under another policy's limit", () => {
  it('names the limit that applies and whose it is, and its ETA stays within 20% of when it really ends', async () => {
    const dir = tempDir();
    const vault = path.join(dir, 'vault');
    const vms = path.join(dir, 'vms');
    const cli = (...args: string[]) => runCli(['--data', dir, ...args], { LIFEBOAT_PASSPHRASE: 'Tulip-Harbour-93-Gravel-Lantern' });
    await writeWorkstationVm(vms, 'ledger01', 32 * MiB, 16 * MiB);
    await writeWorkstationVm(vms, 'web01', 32 * MiB, 8 * MiB);
    expect(cli('setup', '--organisation', 'Acme', '--vault-folder', vault).status).toBe(0);
    expect(cli('hosts', 'add', 'workstation', '--folder', vms, '--no-inventory').status).toBe(0);
    expect(cli('discover').status).toBe(0);
    const protect = (vm: string, name: string, bytesPerSecond: number): string => {
      const policy = JSON.parse(cli('protect', '--vm', vm, '--target', vault, '--rpo', '60m', '--name', name, '--json').stdout) as {
        id: string;
      };
      expect(cli('call', 'updatePolicy', JSON.stringify({ id: policy.id, bandwidth: [{ ...ALL_DAY, bytesPerSecond }] })).status).toBe(0);
      return policy.id;
    };
    const accounting = protect('ledger01', 'Accounting', 2 * MiB);
    const web = protect('web01', 'Web', 5 * MiB);

    const service = createService({ dataDir: dir, heartbeat: false });
    try {
      const samples: { at: number; event: Extract<ConsoleEvent, { type: 'job.progress' }> }[] = [];
      const finishedAt = new Map<string, { at: number; status: string }>();
      const waiters = new Map<string, () => void>();
      service.subscribe((event) => {
        if (event.type === 'job.progress') samples.push({ at: performance.now(), event });
        if (event.type === 'job.finished') {
          finishedAt.set(event.jobId, { at: performance.now(), status: event.status });
          waiters.get(event.jobId)?.();
        }
      });
      const waitForJob = (id: string) =>
        new Promise<{ at: number; status: string }>((resolve) => {
          if (finishedAt.has(id)) return resolve(finishedAt.get(id)!);
          waiters.set(id, () => resolve(finishedAt.get(id)!));
        });
      const [ledger] = await service.api.runNow({ policyId: accounting });
      // Web's copy starts once Accounting's is sending: from then on both draw from Accounting's 2 MiB/s.
      while (!samples.some((s) => s.event.jobId === ledger!.id && s.event.limit)) await new Promise((resolve) => setImmediate(resolve));
      const started = performance.now();
      const [copy] = await service.api.runNow({ policyId: web });
      const finished = await waitForJob(copy!.id);
      const ended = finished.at;
      expect(finished.status).toBe('succeeded');

      const own = samples.filter((s) => s.event.jobId === copy!.id && s.event.bytesTotal > 0);
      const limits = new Set(own.filter((s) => s.event.limit).map((s) => `${s.event.limit!.policyName} ${s.event.limit!.bytesPerSecond}`));
      expect([...limits]).toEqual([`Accounting ${2 * MiB}`]);
      // Every ETA given with at least 3 s to go is within 20% of the truth (below that, whole seconds are too coarse).
      const judged = own.filter((s) => ended - s.at >= 3000 && s.event.etaSeconds !== null);
      expect(judged.length).toBeGreaterThanOrEqual(4);
      const errors = judged.map((s) => Math.abs(s.event.etaSeconds! - (ended - s.at) / 1000) / ((ended - s.at) / 1000));
      console.log(
        `shared limit: Web's copy took ${((ended - started) / 1000).toFixed(1)} s; ETA error worst ${(Math.max(...errors) * 100).toFixed(0)}%, median ${(errors.sort((a, b) => a - b)[errors.length >> 1]! * 100).toFixed(0)}% over ${errors.length} reports`,
      );
      expect(Math.max(...errors)).toBeLessThan(0.2);
      expect((await waitForJob(ledger!.id)).status).toBe('succeeded');
    } finally {
      await service.close();
    }
  });
});
