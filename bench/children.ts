import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (bench/ sits in it). */
export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * The Node options `npm start` gives the app (package.json `scripts.start`, e.g. `--max-semi-space-size=64`):
 * the app under test runs with exactly these, and the bare-broker reference gets them too, so both run alike.
 */
export function startNodeFlags(root = ROOT): string[] {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts?: Record<string, string> };
  const words = (pkg.scripts?.start ?? '').trim().split(/\s+/);
  const flags: string[] = [];
  for (const w of words.slice(words.indexOf('node') + 1)) {
    if (!w.startsWith('--')) break;
    flags.push(w);
  }
  return flags;
}

/** A benchmark child process (TypeScript, run through tsx) that talks over Node IPC. */
export interface Child<Cmd, Ev extends { ev: string }> {
  proc: ChildProcess;
  send(cmd: Cmd): void;
  /** The next event named `ev` (events that arrived before anyone waited are kept). */
  next<K extends Ev['ev']>(ev: K, timeoutMs?: number): Promise<Extract<Ev, { ev: K }>>;
  /** Called for every event named `ev`, from now on, instead of queueing it. */
  on<K extends Ev['ev']>(ev: K, listener: (e: Extract<Ev, { ev: K }>) => void): void;
  exited: Promise<number | string>;
  kill(): Promise<void>;
}

/** Starts `bench/${file}` in its own Node process (through tsx) with an IPC channel. */
export function spawnChild<Cmd, Ev extends { ev: string }>(file: string, nodeFlags: string[] = []): Child<Cmd, Ev> {
  const proc = spawn(process.execPath, [...nodeFlags, '--import', 'tsx', join(ROOT, 'bench', file)], {
    cwd: ROOT,
    env: process.env,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const queued = new Map<string, Ev[]>();
  const waiters = new Map<string, Array<(e: Ev) => void>>();
  const listeners = new Map<string, (e: Ev) => void>();
  let exitCode: number | string | undefined;
  const exited = new Promise<number | string>((resolve) =>
    proc.once('exit', (code, signal) => {
      exitCode = code ?? signal ?? -1;
      resolve(exitCode);
    }),
  );
  proc.on('message', (e: Ev) => {
    const listener = listeners.get(e.ev);
    if (listener) return listener(e);
    const w = waiters.get(e.ev)?.shift();
    if (w) return w(e);
    queued.set(e.ev, [...(queued.get(e.ev) ?? []), e]);
  });
  return {
    proc,
    exited,
    send(cmd) {
      if (proc.connected) proc.send(cmd as object);
    },
    next(ev, timeoutMs = 600_000) {
      const q = queued.get(ev);
      if (q?.length) return Promise.resolve(q.shift() as never);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`${file}: no "${ev}" within ${timeoutMs} ms`)), timeoutMs);
        const done = (e: Ev) => {
          clearTimeout(timer);
          resolve(e as never);
        };
        waiters.set(ev, [...(waiters.get(ev) ?? []), done]);
        void exited.then((code) => {
          clearTimeout(timer);
          reject(new Error(`${file} exited (${code}) while waiting for "${ev}"`));
        });
      });
    },
    on(ev, listener) {
      listeners.set(ev, listener as (e: Ev) => void);
    },
    async kill() {
      if (exitCode !== undefined) return;
      proc.kill('SIGTERM');
      const t = setTimeout(() => proc.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(t);
    },
  };
}

const TICKS_PER_S = 100; // USER_HZ on Linux

/** CPU seconds (user + system) a process has used, from /proc. */
export function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_S;
  } catch {
    return NaN;
  }
}

/** Resident memory of a process in MiB, from /proc. */
export function rssMb(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}

/** CPU share (of one core) a process used between two calls: `const end = cpuMeter(pid); …; end()`. */
export function cpuMeter(pid: number): () => number {
  const c0 = cpuSeconds(pid);
  const t0 = performance.now();
  return () => (cpuSeconds(pid) - c0) / ((performance.now() - t0) / 1000);
}

/** Busy CPU seconds of the whole machine (all cores), from /proc/stat. */
export function machineBusySeconds(): number {
  const cpu = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal …: idle and iowait are not busy.
  const busy = cpu.reduce((a, b) => a + b, 0) - (cpu[3] ?? 0) - (cpu[4] ?? 0);
  return busy / TICKS_PER_S;
}
