/** What the benchmark's phases share: the devices' secret, the load generator's start and stop, the app's lifetime, small maths. */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { quantile } from './alert-probe.js';
import { seedDevices, startApp, type AppOptions, type AppUnderTest } from './app.js';
import { spawnChild, type Child } from './children.js';
import type { BenchOptions, StoreKind } from './options.js';
import type { LoadCmd, LoadEvent } from './protocol.js';

export const SECRET = 'bench-secret-not-for-production';
export type LoadGen = Child<LoadCmd, LoadEvent>;

export const median = (xs: number[]) => quantile([...xs].sort((a, b) => a - b), 0.5);
export const round = (n: number, digits = 0) => Math.round(n * 10 ** digits) / 10 ** digits;

/** How much a metric grew between two scrapes, summed over its labels (every series whose name starts with `prefix`). */
export function metricDelta(m0: Map<string, number>, m1: Map<string, number>, prefix: string): number {
  const sum = (m: Map<string, number>) => [...m].filter(([k]) => k.startsWith(prefix)).reduce((a, [, v]) => a + v, 0);
  return sum(m1) - sum(m0);
}

/** The pid of a direct child of this process named `comm` (the private influxd), for its CPU share. */
export function childPid(comm: string): number | undefined {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (name === comm && ppid === process.pid) return Number(entry);
    } catch {
      /* gone meanwhile */
    }
  }
  return undefined;
}

/** A load generator process with `count` devices `${prefix}-…` connected (all of them, or it throws). */
export async function startLoadGen(port: number, prefix: string, count: number, t0: number): Promise<LoadGen> {
  const lg = spawnChild<LoadCmd, LoadEvent>('loadgen.ts');
  lg.on('progress', () => undefined);
  lg.send({ cmd: 'connect', host: '127.0.0.1', port, prefix, from: 0, count, password: SECRET, keepaliveS: 60, concurrency: 8, timeoutMs: 60_000, t0 });
  const c = await lg.next('connected');
  if (c.connected !== count) {
    await lg.kill();
    throw new Error(`load generator connected ${c.connected} of ${count} devices: ${c.firstError}`);
  }
  return lg;
}

export async function stopLoadGen(lg: LoadGen): Promise<void> {
  lg.send({ cmd: 'close' });
  await Promise.race([lg.exited, sleep(5000)]);
  await lg.kill();
}

const tokens = new WeakMap<AppUnderTest, string>();
/** The admin API token the app under test was started with. */
export const adminTokenOf = (app: AppUnderTest) => tokens.get(app)!;

export interface AppContext {
  dataDir: string;
  adminToken: string;
  /** startApp's options for this data dir and store (a restart after a kill starts it again with these). */
  appOptions: AppOptions;
}

/**
 * Seeds `fleets` into a fresh data dir, starts the built app on it with `store`, runs `fn`, then stops the app
 * (a no-op if `fn` killed it; an app `fn` started again is `fn`'s to stop) and removes the data dir (unless --keep).
 */
export async function withApp<T>(
  o: BenchOptions, store: StoreKind, influxUrl: string | undefined, fleets: Parameters<typeof seedDevices>[1],
  fn: (app: AppUnderTest, ctx: AppContext) => Promise<T>, extra: Pick<AppOptions, 'env'> = {},
): Promise<T> {
  const dataDir = mkdtempSync(join(tmpdir(), `citysense-bench-${store}-`));
  const adminToken = randomBytes(24).toString('hex');
  await seedDevices(dataDir, fleets, SECRET);
  if (o.cpuProfDir) mkdirSync(o.cpuProfDir, { recursive: true });
  const appOptions: AppOptions = {
    dataDir, adminToken, cpuProfDir: o.cpuProfDir, nodeArgs: o.appNodeArgs, appRoot: o.appRoot, ...extra,
    ...(store === 'influxdb' ? { influx: { url: influxUrl!, db: `bench_${Date.now()}` } } : {}),
  };
  const app = await startApp(appOptions);
  tokens.set(app, adminToken);
  try {
    return await fn(app, { dataDir, adminToken, appOptions });
  } finally {
    await app.stop();
    if (!o.keep) rmSync(dataDir, { recursive: true, force: true });
  }
}

/** Remembers the admin token of an app started again on the same data dir (after a kill). */
export function adopt(app: AppUnderTest, adminToken: string): AppUnderTest {
  tokens.set(app, adminToken);
  return app;
}
