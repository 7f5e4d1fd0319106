import fs from 'node:fs';
import { LifeboatError } from '../contract/errors';
import type { Checkpoint, Hypervisor } from '../hypervisors/types';
import type { JobResource, JobsStore } from '../store/jobs';

export interface LeftoverDeps {
  jobs: JobsStore;
  connect(hostId: string): Hypervisor;
}

/**
 * What killed or failed jobs still hold — checkpoints, sandbox VMs, QEMU processes, restored files — given
 * back at the next engine start. What still cannot be released stays recorded on its job and is reported.
 */
export async function releaseLeftovers(
  deps: LeftoverDeps,
): Promise<{ released: number; failed: { jobId: string; error: LifeboatError }[] }> {
  let released = 0;
  const failed: { jobId: string; error: LifeboatError }[] = [];
  for (const { jobId, resources } of deps.jobs.heldResources()) {
    const remaining: JobResource[] = [];
    for (const resource of resources) {
      try {
        await release(resource, deps);
        deps.jobs.appendLog(jobId, `${new Date().toISOString()} Released the ${resource.description} left by this job.`);
        released++;
      } catch (error) {
        remaining.push(resource);
        failed.push({ jobId, error: error instanceof LifeboatError ? error : new LifeboatError('INTERNAL', (error as Error).message) });
      }
    }
    deps.jobs.setResources(jobId, remaining);
  }
  return { released, failed };
}

async function release(resource: JobResource, deps: LeftoverDeps): Promise<void> {
  switch (resource.kind) {
    case 'process': {
      const { pid } = resource.ref as { pid: number };
      try {
        process.kill(pid, 'SIGKILL');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
      }
      return;
    }
    case 'path':
      fs.rmSync((resource.ref as { path: string }).path, { recursive: true, force: true });
      return;
    case 'checkpoint':
    case 'vm': {
      if (!resource.hostId) return;
      const hypervisor = deps.connect(resource.hostId);
      try {
        if (resource.kind === 'checkpoint') await hypervisor.releaseCheckpoint(resource.ref as Checkpoint);
        else await hypervisor.removeVm((resource.ref as { vmId: string }).vmId);
      } finally {
        await hypervisor.close().catch(() => undefined);
      }
    }
  }
}
