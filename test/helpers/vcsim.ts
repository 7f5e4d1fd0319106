import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { HostConnection } from '../../core/hypervisors/types';
import { repoRoot } from './temp';

const MAIN = path.join(repoRoot, 'test', 'vcsim', 'main.go');
const GOPATH = '/usr/share/gocode';

export const VCSIM_USER = 'lifeboat';
export const VCSIM_PASSWORD = 's3cret-pass';

export interface Vcsim {
  /** http(s)://127.0.0.1:PORT/sdk */
  url: string;
  host: string;
  port: number;
  scheme: 'http' | 'https';
  /** Local folder behind the datastore LocalDS_0 (files put here appear on the datastore). */
  datastoreDir: string;
  /** SHA-256 of the simulator's certificate (TLS only). */
  thumbprint: string;
  stop(): Promise<void>;
}

/** How Lifeboat connects to a running simulator, as a host added in Settings would. */
export function vcsimConnection(
  sim: Vcsim,
  overrides: Partial<HostConnection> = {},
  settings: HostConnection['settings'] = {},
): HostConnection {
  return {
    id: 'vc',
    name: 'vcsim',
    kind: 'vsphere',
    address: sim.host,
    settings: { scheme: sim.scheme, port: sim.port, ...settings },
    credentials: { username: VCSIM_USER, password: VCSIM_PASSWORD },
    ...overrides,
  };
}

export interface VcsimOptions {
  tls?: boolean;
  /** VMs per host/cluster resource pool (the default model has 1 cluster of 2 hosts: 2 pools → 2×vms + standalone). */
  vms?: number;
  clusters?: number;
  clusterHosts?: number;
  hosts?: number;
}

/**
 * Builds govmomi's simulator once per main.go version (test-results/.cache/vcsim/<hash>/vcsim, ~20 s the
 * first time) — concurrent test files wait for one build through a lock directory.
 */
export function buildVcsim(): string {
  const hash = createHash('sha256').update(fs.readFileSync(MAIN)).digest('hex').slice(0, 16);
  const dir = path.join(repoRoot, 'test-results', '.cache', 'vcsim', hash);
  const binary = path.join(dir, 'vcsim');
  if (fs.existsSync(binary)) return binary;
  fs.mkdirSync(dir, { recursive: true });
  const lock = path.join(dir, '.building');
  const deadline = Date.now() + 300_000;
  for (;;) {
    try {
      fs.mkdirSync(lock);
      break;
    } catch {
      if (fs.existsSync(binary)) return binary;
      if (Date.now() > deadline) throw new Error(`vcsim build lock ${lock} held for 5 minutes; remove it if no build runs`);
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 500); // another worker is building it
    }
  }
  try {
    const temp = `${binary}.${process.pid}.tmp`;
    const result = spawnSync('go', ['build', '-o', temp, MAIN], {
      env: { ...process.env, GOPATH, GO111MODULE: 'off', GOCACHE: path.join(repoRoot, 'test-results', '.cache', 'go-build') },
      encoding: 'utf8',
      timeout: 280_000,
    });
    if (result.status !== 0)
      throw new Error(
        `building the vSphere simulator failed (run scripts/setup.sh for golang-go and golang-github-vmware-govmomi-dev):\n${result.stderr}`,
      );
    fs.renameSync(temp, binary);
    return binary;
  } finally {
    fs.rmSync(lock, { recursive: true, force: true });
  }
}

/** Starts a simulator on 127.0.0.1 with a random port; resolves once it prints where it listens. */
export async function startVcsim(options: VcsimOptions = {}): Promise<Vcsim> {
  const binary = buildVcsim();
  const args = ['-listen', '127.0.0.1:0', '-user', VCSIM_USER, '-password', VCSIM_PASSWORD];
  if (options.tls) args.push('-tls');
  if (options.vms !== undefined) args.push('-vms', String(options.vms));
  if (options.clusters !== undefined) args.push('-clusters', String(options.clusters));
  if (options.clusterHosts !== undefined) args.push('-cluster-hosts', String(options.clusterHosts));
  if (options.hosts !== undefined) args.push('-hosts', String(options.hosts));
  const child: ChildProcess = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
  const info = await new Promise<{ url: string; datastore: string; thumbprint: string }>((resolve, reject) => {
    let stdout = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const line = stdout.split('\n').find((l) => l.startsWith('{'));
      if (line && stdout.includes('\n')) resolve(JSON.parse(line) as { url: string; datastore: string; thumbprint: string });
    });
    void exited.then(() => reject(new Error(`vcsim exited before listening: ${stderr}`)));
  });
  const url = new URL(info.url);
  return {
    url: info.url,
    host: url.hostname,
    port: Number(url.port),
    scheme: url.protocol === 'https:' ? 'https' : 'http',
    datastoreDir: info.datastore,
    thumbprint: info.thumbprint,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
