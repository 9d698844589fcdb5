/** The same run's references: a bare aedes broker, and the readings written straight to the store. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { cpuSeconds, spawnChild, startNodeFlags } from '../children.js';
import { startLoadGen, stopLoadGen } from '../common.js';
import type { BenchOptions, StoreKind } from '../options.js';
import type { BareEvent, RawStoreResult } from '../protocol.js';
import type { RawStoreCmd } from '../raw-store.js';
import type { BareRun } from '../results.js';

// InfluxDB requests in flight in the raw-store reference: as many as the app's writer keeps (src/app/citysense.ts).
const RAW_CONCURRENCY = 4;

/** The load generator at its maximum against a bare aedes broker with one counting QoS 1 subscriber. */
export async function bareBroker(o: BenchOptions, t0: number): Promise<BareRun> {
  const bare = spawnChild<{ cmd: 'count' | 'close' }, BareEvent>('bare-broker.ts', startNodeFlags());
  try {
    const { port } = await bare.next('listening', 30_000);
    const lg = await startLoadGen(port, 'bench', o.devices, t0);
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

/** The same readings written straight to `store` in batches, nothing in front (bench/raw-store.ts). */
export async function rawStore(o: BenchOptions, store: StoreKind, influxUrl: string | undefined, t0: number): Promise<RawStoreResult> {
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
