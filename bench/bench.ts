import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startPrivateInfluxd } from '../tests/fixtures/influxd.js';
import { probeAlerts, quantile, type ProbeResult } from './alert-probe.js';
import { seedDevices, startApp, type AppUnderTest } from './app.js';
import { cpuMeter, cpuSeconds, machineBusySeconds, spawnChild, startNodeFlags, type Child } from './children.js';
import type { BareEvent, LoadCmd, LoadEvent, RawStoreResult, RunStats } from './protocol.js';
import type { RawStoreCmd } from './raw-store.js';

export type StoreKind = 'influxdb' | 'sqlite';
export const PHASES = ['bare', 'raw', 'e2e', 'alerts', 'connections'] as const;
export type Phase = (typeof PHASES)[number];

export interface BenchOptions {
  stores: StoreKind[];
  phases: Phase[];
  /** An InfluxDB 1.x to use; unset: a private influxd is started (as the tests start it) and removed after. */
  influxUrl?: string;
  /** Publishing connections in the throughput runs. */
  devices: number;
  /** Unacknowledged QoS 1 publishes per connection at maximum rate. */
  window: number;
  /** Length of each maximum-rate run (bare broker, end to end). */
  durationS: number;
  rawDurationS: number;
  rawBatch: number;
  alertDurationS: number;
  alertDevices: number;
  /** Alert latency is measured under this share of the end-to-end maximum… */
  alertLoad: number;
  /** …or under this many readings per second, when set. */
  alertRate?: number;
  /** Connection ramp: up to this many devices, in steps, each publishing every `publishIntervalS`. */
  connections: number;
  connectionStep: number;
  connectionHoldS: number;
  publishIntervalS: number;
  /** Memory-flatness run at `soakLoad` × max rate; 0 skips it. */
  soakS: number;
  soakLoad: number;
  /** Throughput, latency and reference phases are repeated this many times; figures are medians. */
  runs: number;
  /** Directory for V8 CPU profiles of the app processes (`node --cpu-prof`). */
  cpuProfDir?: string;
  /** More Node options for the app processes (diagnostics such as --trace-gc). */
  appNodeArgs?: string[];
  /** Run another checkout's build (its dist/ and its start script's Node options) as the app under test. */
  appRoot?: string;
  keep: boolean;
  log: (line: string) => void;
}

export const DEFAULTS: Omit<BenchOptions, 'log'> = {
  stores: ['influxdb', 'sqlite'],
  phases: [...PHASES],
  devices: 100,
  window: 32,
  durationS: 20,
  rawDurationS: 10,
  rawBatch: 5000,
  alertDurationS: 30,
  alertDevices: 4,
  alertLoad: 0.5,
  connections: 10_000,
  connectionStep: 2500,
  connectionHoldS: 20,
  publishIntervalS: 10,
  soakS: 0,
  soakLoad: 0.8,
  runs: 1,
  keep: false,
};

/** A reduced run (well under a minute of measuring): proves the benchmark works; its figures mean little. */
export const QUICK: Partial<BenchOptions> = {
  devices: 8, durationS: 3, rawDurationS: 1, alertDurationS: 3, alertDevices: 2,
  connections: 60, connectionStep: 30, connectionHoldS: 3, publishIntervalS: 1,
};

export interface EndToEnd {
  readingsPerSecond: number;
  /** Publishes acknowledged per second while publishing (the spool may run ahead of the store). */
  ackedPerSecond: number;
  readings: number;
  /** Readings the store holds afterwards (counted by the store itself). */
  counted: number;
  refused: number;
  ackP50Ms: number;
  ackP99Ms: number;
  appCpuShare: number;
  influxdCpuShare?: number;
  loadGenCpuShare: number;
  /** App CPU time (all its threads) per stored reading, in µs: steadier than rates on a shared machine. */
  appCpuUsPerReading: number;
  /** CPU (share of one core) used during the run by processes other than the app, influxd and the load generator. */
  otherCpuShare: number;
  /** Seconds from the last acknowledgement until the store held everything. */
  drainS: number;
  /** Mean readings per spool transaction (group commit) and mean time for the store to confirm a batch. */
  readingsPerCommit: number;
  storeWriteMs: number;
  storeWrites: number;
  /** The app's garbage collection during the run: ms of pauses per second of the run, and pauses per second. */
  gcMsPerSecond: number;
  gcPausesPerSecond: number;
  appRssMb: number;
}

export interface Memory {
  durationS: number;
  ratePerSecond: number;
  baselineRssMb: number;
  finalRssMb: number;
  maxRssMb: number;
  growth: number;
  flat: boolean;
  behind: number;
  spoolBacklogAtEnd: number;
  samples: Array<{ s: number; rssMb: number; backlog: number }>;
}

export interface Connections {
  devices: number;
  rssMb: number;
  target: number;
  loginsPerSecond: number;
  publishesAcked: number;
  failure?: string;
  steps: Array<{ devices: number; rssMb: number }>;
  /** Every device dropped at once (no DISCONNECT) and reconnected: how long until all were back. */
  reconnect?: { devices: number; seconds: number; refusedOrFailed: number };
}

export interface BenchResult {
  readingsPerSecond: Partial<Record<StoreKind, number>>;
  reference: { bareBrokerPerSecond: number | null; rawStorePerSecond: Partial<Record<StoreKind, number>> };
  ratio: Partial<Record<StoreKind, number>>;
  alertLatencyMs: (Pick<ProbeResult, 'p50' | 'p99' | 'max' | 'samples' | 'missed'> & { loadPerSecond: number; store: StoreKind; loop: LoopHealth }) | null;
  /** Publish of a breaching reading → its `fired` webhook request received by a receiver, in the same run as alertLatencyMs. */
  webhookLatencyMs: (NonNullable<ProbeResult['webhook']> & { loadPerSecond: number; store: StoreKind }) | null;
  connections: Connections | null;
  /** As CONTRACT.md section 7 names them: connections.devices and connections.rssMb. */
  devices: number | null;
  rssMb: number | null;
  memory: Memory | null;
  machine: { cores: number; cpu: string; memGb: number; node: string; platform: string };
  loadGenerator: { kind: string; processes: number; cpuShare: number; cpuShareOfMachine: number; bareRunCpuShare: number | null };
  details: { endToEnd: Partial<Record<StoreKind, EndToEnd>>; rawStore: Partial<Record<StoreKind, RawStoreResult>>; bare: (RunStats & { deliveredPerSecond: number; brokerCpuShare: number; brokerCpuUsPerMessage: number }) | null; runs: number; options: Omit<BenchOptions, 'log'> };
}

const SECRET = 'bench-secret-not-for-production';
// InfluxDB requests in flight in the raw-store reference: as many as the app's writer keeps (src/app/citysense.ts).
const RAW_CONCURRENCY = 4;
type LoadGen = Child<LoadCmd, LoadEvent>;

const median = (xs: number[]) => quantile([...xs].sort((a, b) => a - b), 0.5);
const round = (n: number, digits = 0) => Math.round(n * 10 ** digits) / 10 ** digits;

/** The pid of a direct child of this process named `comm` (the private influxd), for its CPU share. */
function childPid(comm: string): number | undefined {
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

async function startLoadGen(o: BenchOptions, port: number, prefix: string, count: number, t0: number): Promise<LoadGen> {
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

async function stopLoadGen(lg: LoadGen): Promise<void> {
  lg.send({ cmd: 'close' });
  await Promise.race([lg.exited, sleep(5000)]);
  await lg.kill();
}

// ---- references ----

type BareRun = RunStats & { deliveredPerSecond: number; brokerCpuShare: number; brokerCpuUsPerMessage: number };

async function bareBroker(o: BenchOptions, t0: number): Promise<BareRun> {
  const bare = spawnChild<{ cmd: 'count' | 'close' }, BareEvent>('bare-broker.ts', startNodeFlags());
  try {
    const { port } = await bare.next('listening', 30_000);
    const lg = await startLoadGen(o, port, 'bench', o.devices, t0);
    bare.send({ cmd: 'count' });
    const c0 = await bare.next('count');
    const cpu0 = cpuSeconds(bare.proc.pid!);
    lg.send({ cmd: 'max', durationMs: o.durationS * 1000, window: o.window });
    const ran = await lg.next('ran');
    const cpu = cpuSeconds(bare.proc.pid!) - cpu0;
    bare.send({ cmd: 'count' });
    const c1 = await bare.next('count');
    await stopLoadGen(lg);
    const delivered = c1.delivered - c0.delivered;
    return { ...ran, deliveredPerSecond: delivered / (ran.elapsedMs / 1000), brokerCpuShare: cpu / (ran.elapsedMs / 1000), brokerCpuUsPerMessage: (cpu * 1e6) / delivered };
  } finally {
    bare.send({ cmd: 'close' });
    await Promise.race([bare.exited, sleep(3000)]);
    await bare.kill();
  }
}

async function rawStore(o: BenchOptions, store: StoreKind, influxUrl: string | undefined, t0: number): Promise<RawStoreResult> {
  const dir = mkdtempSync(join(tmpdir(), 'citysense-bench-raw-'));
  const child = spawnChild<RawStoreCmd, RawStoreResult>('raw-store.ts');
  try {
    child.send({
      cmd: 'raw', store, url: influxUrl, db: `bench_raw_${Date.now()}`, file: join(dir, 'readings.db'),
      prefix: 'bench', devices: o.devices, durationMs: o.rawDurationS * 1000, batch: o.rawBatch, concurrency: RAW_CONCURRENCY, t0,
    });
    return await child.next('raw', o.rawDurationS * 1000 + 120_000);
  } finally {
    await child.kill();
    if (!o.keep) rmSync(dir, { recursive: true, force: true });
  }
}

// ---- the app under test ----

async function waitStored(app: AppUnderTest, n: number, timeoutMs: number): Promise<number> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const s = await app.stats();
    if (s.readings.stored >= n) return performance.now();
    if (performance.now() > deadline) throw new Error(`the store holds ${s.readings.stored} of ${n} readings after ${timeoutMs} ms (spool backlog ${s.spool.backlog})`);
    await sleep(100);
  }
}

async function endToEnd(o: BenchOptions, app: AppUnderTest, lg: LoadGen, influxdPid: number | undefined): Promise<EndToEnd> {
  const log = o.log;
  const before = await app.stats();
  const m0 = await app.metrics();
  const appCpu = cpuMeter(app.pid);
  const appCpu0 = app.cpuSeconds();
  const influxCpu = influxdPid ? cpuMeter(influxdPid) : undefined;
  const busy0 = machineBusySeconds();
  const lgCpu0 = cpuSeconds(lg.proc.pid!);
  const started = performance.now();
  lg.send({ cmd: 'max', durationMs: o.durationS * 1000, window: o.window });
  const ran = await lg.next('ran');
  const ackedAt = performance.now();
  const target = before.readings.stored + ran.acked;
  const doneAt = await waitStored(app, target, 300_000);
  const appCpuShare = appCpu();
  const influxdCpuShare = influxCpu?.();
  const wallS = (performance.now() - started) / 1000;
  const ours = app.cpuSeconds() - appCpu0 + (cpuSeconds(lg.proc.pid!) - lgCpu0) + (influxdCpuShare ?? 0) * wallS;
  const otherCpuShare = Math.max(0, (machineBusySeconds() - busy0 - ours) / wallS);
  if (otherCpuShare > 0.1) log(`  note: other processes used ${Math.round(otherCpuShare * 100)}% of a core during this run; its figures are lower than a quiet machine gives`);
  const rss = app.rssMb();
  const after = await app.stats();
  const refused = Object.values(after.readings.refused).reduce((a, b) => a + b, 0) - Object.values(before.readings.refused).reduce((a, b) => a + b, 0);
  const counted = await app.countStored();
  const m1 = await app.metrics();
  const delta = (k: string) => (m1.get(k) ?? 0) - (m0.get(k) ?? 0);
  const writes = delta('citysense_store_write_seconds_count');
  return {
    readingsPerSecond: ran.acked / ((doneAt - started) / 1000),
    ackedPerSecond: ran.acked / (ran.elapsedMs / 1000),
    readings: ran.acked,
    counted,
    refused,
    ackP50Ms: ran.ackP50Ms,
    ackP99Ms: ran.ackP99Ms,
    appCpuShare,
    ...(influxdCpuShare !== undefined ? { influxdCpuShare } : {}),
    loadGenCpuShare: ran.cpuShare,
    appCpuUsPerReading: ((app.cpuSeconds() - appCpu0) * 1e6) / ran.acked,
    otherCpuShare,
    drainS: Math.max(0, (doneAt - ackedAt) / 1000),
    readingsPerCommit: delta('citysense_readings_accepted_total') / Math.max(1, delta('citysense_spool_commits_total')),
    storeWriteMs: (1000 * delta('citysense_store_write_seconds_sum')) / Math.max(1, writes),
    storeWrites: writes,
    gcMsPerSecond: (1000 * metricDelta(m0, m1, 'nodejs_gc_duration_seconds_sum')) / wallS,
    gcPausesPerSecond: metricDelta(m0, m1, 'nodejs_gc_duration_seconds_count') / wallS,
    appRssMb: rss,
  };
}

/** The app's event-loop delay and GC pauses over a phase, from its own Prometheus metrics (prom-client defaults). */
export interface LoopHealth {
  /** The app process's CPU meanwhile (all its threads), as a share of one core. */
  appCpuShare: number;
  /** The private influxd's, when the store is InfluxDB. */
  influxdCpuShare?: number;
  eventLoopP99Ms: number;
  eventLoopMaxMs: number;
  gcPauses: number;
  gcMsPerSecond: number;
  /** Pauses of at least 10 ms (from the histogram's buckets: major GCs, mostly). */
  gcPausesOver10ms: number;
  /** Spool group commits per second, and readings per commit: how finely the load is cut into loop turns. */
  commitsPerSecond: number;
  readingsPerCommit: number;
}

/** How much a metric grew between two scrapes, summed over its labels (every series whose name starts with `prefix`). */
function metricDelta(m0: Map<string, number>, m1: Map<string, number>, prefix: string): number {
  const sum = (m: Map<string, number>) => [...m].filter(([k]) => k.startsWith(prefix)).reduce((a, [, v]) => a + v, 0);
  return sum(m1) - sum(m0);
}

async function loopHealth(app: AppUnderTest, influxdPid: number | undefined, run: () => Promise<void>): Promise<LoopHealth> {
  const m0 = await app.metrics();
  const t0 = performance.now();
  const appCpu = cpuMeter(app.pid);
  const influxdCpu = influxdPid ? cpuMeter(influxdPid) : undefined;
  await run();
  const appCpuShare = round(appCpu(), 3);
  const influxdCpuShare = influxdCpu ? round(influxdCpu(), 3) : undefined;
  const s = (performance.now() - t0) / 1000;
  const m1 = await app.metrics();
  const d = (prefix: string) => metricDelta(m0, m1, prefix);
  return {
    appCpuShare,
    ...(influxdCpuShare === undefined ? {} : { influxdCpuShare }),
    eventLoopP99Ms: round((m1.get('nodejs_eventloop_lag_p99_seconds') ?? NaN) * 1000, 2),
    eventLoopMaxMs: round((m1.get('nodejs_eventloop_lag_max_seconds') ?? NaN) * 1000, 2),
    gcPauses: d('nodejs_gc_duration_seconds_count'),
    gcMsPerSecond: round((d('nodejs_gc_duration_seconds_sum') * 1000) / s, 2),
    gcPausesOver10ms: d('nodejs_gc_duration_seconds_count') - [...m1].filter(([k]) => k.startsWith('nodejs_gc_duration_seconds_bucket') && k.includes('le="0.01"')).reduce((a, [k, v]) => a + v - (m0.get(k) ?? 0), 0),
    commitsPerSecond: round(d('citysense_spool_commits_total') / s, 1),
    readingsPerCommit: round(d('citysense_readings_accepted_total') / Math.max(1, d('citysense_spool_commits_total')), 1),
  };
}

async function alertLatency(o: BenchOptions, app: AppUnderTest, lg: LoadGen, rate: number, influxdPid: number | undefined): Promise<ProbeResult & { loop: LoopHealth }> {
  const warmupMs = 3000;
  lg.send({ cmd: 'rate', rate, durationMs: warmupMs + o.alertDurationS * 1000 + 2000, window: o.window });
  await sleep(warmupMs);
  let result!: ProbeResult;
  const loop = await loopHealth(app, influxdPid, async () => {
    result = await probeAlerts({
      httpUrl: app.httpUrl,
      mqttUrl: `mqtt://127.0.0.1:${app.mqttPort}`,
      adminToken: adminTokenOf(app),
      devices: Array.from({ length: o.alertDevices }, (_, i) => ({ id: `probe-${i}`, password: SECRET })),
      durationMs: o.alertDurationS * 1000,
      webhook: true,
    });
  });
  const ran = await lg.next('ran');
  if (ran.behind > 0) o.log(`  note: the background load fell behind by ${ran.behind} publishes`);
  return { ...result, loop };
}

async function memoryRun(o: BenchOptions, app: AppUnderTest, lg: LoadGen, rate: number): Promise<Memory> {
  const samples: Memory['samples'] = [];
  const started = performance.now();
  lg.send({ cmd: 'rate', rate, durationMs: o.soakS * 1000, window: o.window });
  const ran = lg.next('ran', o.soakS * 1000 + 60_000);
  let done = false;
  void ran.then(() => (done = true), () => (done = true));
  // eslint-disable-next-line no-unmodified-loop-condition -- `done` is set by ran's callbacks, between awaits
  while (!done) {
    const s = await app.stats().catch(() => undefined);
    samples.push({ s: round((performance.now() - started) / 1000, 1), rssMb: round(app.rssMb(), 1), backlog: s?.spool.backlog ?? -1 });
    if (samples.length % 12 === 0) o.log(`  ${samples.at(-1)!.s} s: RSS ${samples.at(-1)!.rssMb} MB, spool backlog ${samples.at(-1)!.backlog}`);
    await Promise.race([sleep(5000), ran]);
  }
  const r = await ran;
  const at = (from: number, to: number) => samples.filter((x) => x.s >= from * o.soakS && x.s <= to * o.soakS).map((x) => x.rssMb);
  // Baseline: once warm (the second fifth of the run); final: the last fifth.
  const baselineRssMb = median(at(0.2, 0.4));
  const finalRssMb = median(at(0.8, 1));
  const growth = (finalRssMb - baselineRssMb) / baselineRssMb;
  return {
    durationS: o.soakS, ratePerSecond: rate, baselineRssMb, finalRssMb, maxRssMb: Math.max(...samples.map((x) => x.rssMb)),
    growth, flat: growth <= 0.1, behind: r.behind, spoolBacklogAtEnd: samples.at(-1)?.backlog ?? -1, samples,
  };
}

const tokens = new WeakMap<AppUnderTest, string>();
const adminTokenOf = (app: AppUnderTest) => tokens.get(app)!;

async function withApp<T>(o: BenchOptions, store: StoreKind, influxUrl: string | undefined, fleets: Parameters<typeof seedDevices>[1], fn: (app: AppUnderTest) => Promise<T>): Promise<T> {
  const dataDir = mkdtempSync(join(tmpdir(), `citysense-bench-${store}-`));
  const adminToken = randomBytes(24).toString('hex');
  await seedDevices(dataDir, fleets, SECRET);
  if (o.cpuProfDir) mkdirSync(o.cpuProfDir, { recursive: true });
  const app = await startApp({
    dataDir, adminToken, cpuProfDir: o.cpuProfDir, nodeArgs: o.appNodeArgs, appRoot: o.appRoot,
    ...(store === 'influxdb' ? { influx: { url: influxUrl!, db: `bench_${Date.now()}` } } : {}),
  });
  tokens.set(app, adminToken);
  try {
    return await fn(app);
  } finally {
    await app.stop();
    if (!o.keep) rmSync(dataDir, { recursive: true, force: true });
  }
}

async function connections(o: BenchOptions, t0: number): Promise<Connections> {
  return withApp(o, 'sqlite', undefined, [{ prefix: 'conn', count: o.connections }], async (app) => {
    const lg = spawnChild<LoadCmd, LoadEvent>('loadgen.ts');
    lg.on('progress', () => undefined);
    const steps: Connections['steps'] = [];
    let connected = 0;
    let loginMs = 0;
    let failure: string | undefined;
    try {
      lg.send({ cmd: 'interval', intervalMs: o.publishIntervalS * 1000, ackTimeoutMs: 10_000 });
      const check = async (): Promise<string | undefined> => {
        lg.send({ cmd: 'status' });
        const s = await lg.next('status');
        if (s.dropped) return `${s.dropped} connections dropped`;
        if (s.timeouts) return `${s.timeouts} PUBACKs later than 10 s`;
        return undefined;
      };
      while (connected < o.connections && !failure) {
        const count = Math.min(o.connectionStep, o.connections - connected);
        lg.send({ cmd: 'connect', host: '127.0.0.1', port: app.mqttPort, prefix: 'conn', from: connected, count, password: SECRET, keepaliveS: 60, concurrency: 16, timeoutMs: 60_000, t0 });
        const r = await lg.next('connected');
        connected += r.connected;
        loginMs += r.elapsedMs;
        if (r.refused || r.failed) failure = `${r.refused} refused, ${r.failed} failed at ${connected + r.refused + r.failed} devices: ${r.firstError}`;
        failure ??= await check();
        if (!failure) steps.push({ devices: connected, rssMb: round(app.rssMb(), 1) });
        o.log(`  ${connected} devices connected, app RSS ${round(app.rssMb())} MB${failure ? ` — ${failure}` : ''}`);
      }
      let rssMb = steps.at(-1)?.rssMb ?? 0;
      if (!failure) {
        // Hold: every device publishes at least once more; RSS is taken at the end, all connections live.
        const holdUntil = performance.now() + o.connectionHoldS * 1000;
        while (performance.now() < holdUntil && !failure) {
          await sleep(Math.min(2000, holdUntil - performance.now()));
          failure = await check();
          rssMb = Math.max(rssMb, round(app.rssMb(), 1));
        }
        if (failure) steps.pop();
        else steps[steps.length - 1] = { devices: connected, rssMb };
      }
      let reconnect: Connections['reconnect'];
      if (!failure && connected > 0) {
        lg.send({ cmd: 'reconnect', host: '127.0.0.1', port: app.mqttPort, password: SECRET, keepaliveS: 60, concurrency: 64, timeoutMs: 120_000 });
        const r = await lg.next('connected');
        reconnect = { devices: r.connected, seconds: round(r.elapsedMs / 1000, 2), refusedOrFailed: r.refused + r.failed };
        o.log(`  reconnect storm: ${r.connected} of ${connected} devices back in ${reconnect.seconds} s${r.firstError ? ` (${r.firstError})` : ''}`);
      }
      lg.send({ cmd: 'status' });
      const s = await lg.next('status');
      const held = steps.at(-1);
      return {
        devices: held?.devices ?? 0, rssMb: held?.rssMb ?? 0, target: o.connections,
        loginsPerSecond: connected / (loginMs / 1000), publishesAcked: s.acked, ...(failure ? { failure } : {}), steps, ...(reconnect ? { reconnect } : {}),
      };
    } finally {
      await stopLoadGen(lg);
    }
  });
}

// ---- the whole run ----

/** Runs the benchmark's phases and returns every figure. */
export async function runBench(o: BenchOptions): Promise<BenchResult> {
  const want = (p: Phase) => o.phases.includes(p);
  const needInflux = o.stores.includes('influxdb') && (want('raw') || want('e2e') || want('alerts'));
  const privateInflux = needInflux && !o.influxUrl ? await startPrivateInfluxd() : undefined;
  const influxUrl = o.influxUrl ?? privateInflux?.url;
  const influxdPid = privateInflux ? childPid('influxd') : undefined;
  if (privateInflux) o.log(`private InfluxDB (Debian influxd) at ${influxUrl}`);
  // Event times start a minute back: every reading's time is distinct and never runs into the future.
  const t0 = Date.now() - 60_000;

  const bareRuns: BareRun[] = [];
  const rawRuns: Record<StoreKind, RawStoreResult[]> = { influxdb: [], sqlite: [] };
  const e2eRuns: Record<StoreKind, EndToEnd[]> = { influxdb: [], sqlite: [] };
  const probes: Array<ProbeResult & { loop: LoopHealth }> = [];
  let alertRate = 0;
  let alertStore: StoreKind = o.stores[0]!;
  let memory: Memory | null = null;
  let conns: Connections | null = null;

  try {
    for (let run = 1; run <= o.runs; run++) {
      const tag = o.runs > 1 ? ` (run ${run} of ${o.runs})` : '';
      if (want('bare')) {
        o.log(`bare aedes broker, ${o.devices} connections at maximum rate for ${o.durationS} s${tag}`);
        const b = await bareBroker(o, t0 - run);
        o.log(`  ${Math.round(b.deliveredPerSecond)} delivered/s, broker ${Math.round(b.brokerCpuShare * 100)}% of a core (${round(b.brokerCpuUsPerMessage, 1)} µs/message), load generator ${Math.round(b.cpuShare * 100)}%`);
        bareRuns.push(b);
      }
      if (want('raw')) {
        for (const store of o.stores) {
          o.log(`raw ${store} writes, batches of ${o.rawBatch}, ${o.rawDurationS} s${tag}`);
          const r = await rawStore(o, store, influxUrl, t0 - run);
          if (r.counted !== r.written) o.log(`  note: wrote ${r.written}, the store counts ${r.counted}`);
          o.log(`  ${Math.round(r.counted / (r.elapsedMs / 1000))} readings/s`);
          rawRuns[store].push(r);
        }
      }
      for (const store of o.stores) {
        const doAlerts = want('alerts') && store === alertStore;
        const doSoak = o.soakS > 0 && store === alertStore && run === 1;
        if (!want('e2e') && !doAlerts && !doSoak) continue;
        const fleets = [{ prefix: 'bench', count: o.devices }, { prefix: 'probe', count: o.alertDevices, domain: 'safety', type: 'gas' }];
        await withApp(o, store, influxUrl, fleets, async (app) => {
          const lg = await startLoadGen(o, app.mqttPort, 'bench', o.devices, t0 - run);
          const storePid = store === 'influxdb' ? influxdPid : undefined;
          try {
            let maxRate = e2eRuns[store].at(-1)?.readingsPerSecond ?? 0;
            // A fixed --alert-rate needs no maximum first (unless the soak runs, which is relative to it).
            if (want('e2e') || (maxRate === 0 && (doSoak || (doAlerts && o.alertRate === undefined)))) {
              o.log(`end to end, ${store}: ${o.devices} devices at maximum rate for ${o.durationS} s${tag}`);
              const e = await endToEnd(o, app, lg, storePid);
              o.log(`  ${Math.round(e.readingsPerSecond)} stored/s (acked ${Math.round(e.ackedPerSecond)}/s, drained ${round(e.drainS, 1)} s after), counted ${e.counted} of ${e.readings}`);
              o.log(`  ${round(e.appCpuUsPerReading, 1)} µs app CPU per reading; ${Math.round(e.readingsPerCommit)} readings per spool commit; ${e.storeWrites} store writes of ${round(e.storeWriteMs, 1)} ms on average; GC ${Math.round(e.gcMsPerSecond)} ms/s`);
              e2eRuns[store].push(e);
              maxRate = e.readingsPerSecond;
            }
            if (doAlerts) {
              alertRate = o.alertRate ?? maxRate * o.alertLoad;
              alertStore = store;
              o.log(`alert latency under ${Math.round(alertRate)} readings/s (${o.alertRate ? 'fixed' : `${o.alertLoad} × max`}), ${o.alertDurationS} s${tag}`);
              const p = await alertLatency(o, app, lg, alertRate, storePid);
              o.log(`  p50 ${round(p.p50, 1)} ms, p99 ${round(p.p99, 1)} ms over ${p.samples} alerts${p.missed ? `, ${p.missed} missed` : ''}`);
              if (p.webhook) o.log(`  webhook received: p50 ${round(p.webhook.p50, 1)} ms, p99 ${round(p.webhook.p99, 1)} ms over ${p.webhook.samples}${p.webhook.missed ? `, ${p.webhook.missed} missed` : ''}`);
              o.log(`  app CPU ${Math.round(p.loop.appCpuShare * 100)}% of a core${p.loop.influxdCpuShare === undefined ? '' : `, influxd ${Math.round(p.loop.influxdCpuShare * 100)}%`}; event loop delay p99 ${p.loop.eventLoopP99Ms} ms, max ${p.loop.eventLoopMaxMs} ms; GC ${p.loop.gcMsPerSecond} ms/s, ${p.loop.gcPausesOver10ms} pauses ≥ 10 ms; ${p.loop.commitsPerSecond} spool commits/s of ${p.loop.readingsPerCommit} readings`);
              probes.push(p);
            }
            if (doSoak) {
              const rate = maxRate * o.soakLoad;
              o.log(`memory over ${o.soakS} s at ${Math.round(rate)} readings/s (${o.soakLoad} × max)`);
              memory = await memoryRun(o, app, lg, rate);
              o.log(`  RSS ${memory.baselineRssMb} → ${memory.finalRssMb} MB (${round(memory.growth * 100, 1)}%)`);
            }
          } finally {
            await stopLoadGen(lg);
          }
        });
      }
    }
    if (want('connections')) {
      o.log(`connections: up to ${o.connections} devices in steps of ${o.connectionStep}, each publishing every ${o.publishIntervalS} s`);
      conns = await connections(o, t0);
    }
  } finally {
    await privateInflux?.close();
  }

  const readingsPerSecond: BenchResult['readingsPerSecond'] = {};
  const rawStorePerSecond: BenchResult['reference']['rawStorePerSecond'] = {};
  const ratio: BenchResult['ratio'] = {};
  const bareBrokerPerSecond = bareRuns.length ? median(bareRuns.map((b) => b.deliveredPerSecond)) : null;
  const e2eDetail: BenchResult['details']['endToEnd'] = {};
  const rawStoreDetail: BenchResult['details']['rawStore'] = {};
  for (const store of o.stores) {
    if (e2eRuns[store].length) {
      readingsPerSecond[store] = Math.round(median(e2eRuns[store].map((e) => e.readingsPerSecond)));
      e2eDetail[store] = e2eRuns[store].at(-1);
    }
    if (rawRuns[store].length) {
      rawStorePerSecond[store] = Math.round(median(rawRuns[store].map((r) => r.counted / (r.elapsedMs / 1000))));
      rawStoreDetail[store] = rawRuns[store].at(-1);
    }
    const refs = [bareBrokerPerSecond, rawStorePerSecond[store]].filter((x): x is number => typeof x === 'number');
    if (readingsPerSecond[store] !== undefined && refs.length) ratio[store] = round(readingsPerSecond[store]! / Math.min(...refs), 3);
  }
  const lgShares = [...bareRuns.map((b) => b.cpuShare), ...Object.values(e2eRuns).flat().map((e) => e.loadGenCpuShare)];
  const cores = cpus().length;
  const lgShare = lgShares.length ? Math.max(...lgShares) : 0;
  return {
    readingsPerSecond,
    reference: { bareBrokerPerSecond: bareBrokerPerSecond === null ? null : Math.round(bareBrokerPerSecond), rawStorePerSecond },
    ratio,
    alertLatencyMs: probes.length
      ? {
          p50: round(median(probes.map((p) => p.p50)), 2), p99: round(median(probes.map((p) => p.p99)), 2), max: round(Math.max(...probes.map((p) => p.max)), 2),
          samples: probes.reduce((n, p) => n + p.samples, 0), missed: probes.reduce((n, p) => n + p.missed, 0), loadPerSecond: Math.round(alertRate), store: alertStore,
          loop: probes.at(-1)!.loop,
        }
      : null,
    webhookLatencyMs: probes.some((p) => p.webhook)
      ? (() => {
          const hooks = probes.flatMap((p) => (p.webhook ? [p.webhook] : []));
          return {
            p50: round(median(hooks.map((h) => h.p50)), 2), p99: round(median(hooks.map((h) => h.p99)), 2), max: round(Math.max(...hooks.map((h) => h.max)), 2),
            samples: hooks.reduce((n, h) => n + h.samples, 0), missed: hooks.reduce((n, h) => n + h.missed, 0), loadPerSecond: Math.round(alertRate), store: alertStore,
          };
        })()
      : null,
    connections: conns,
    devices: (conns as Connections | null)?.devices ?? null,
    rssMb: (conns as Connections | null)?.rssMb ?? null,
    memory,
    machine: { cores, cpu: cpus()[0]?.model ?? 'unknown', memGb: round(totalmem() / 2 ** 30, 1), node: process.version, platform: `${process.platform}-${process.arch}` },
    loadGenerator: {
      kind: 'raw-socket MQTT 3.1.1 publisher, pre-encoded QoS 1 packets (bench/loadgen.ts), one process',
      processes: 1,
      cpuShare: round(lgShare, 2),
      cpuShareOfMachine: round(lgShare / cores, 2),
      bareRunCpuShare: bareRuns.length ? round(median(bareRuns.map((b) => b.cpuShare)), 2) : null,
    },
    details: { endToEnd: e2eDetail, rawStore: rawStoreDetail, bare: bareRuns.at(-1) ?? null, runs: o.runs, options: (({ log: _log, ...rest }) => rest)(o) },
  };
}
