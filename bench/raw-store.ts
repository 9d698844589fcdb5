/**
 * The raw-store reference, as its own process: the benchmark's readings written straight to the store in
 * large batches, with nothing in front. InfluxDB: line protocol POSTed to /write, as many requests in flight as
 * the app's writer uses, the next batch built while they are. SQLite: the reading store's own batched write() (one transaction per batch), timed alone.
 * Then the store counts what it holds, so the figure is what was stored, not what was sent.
 */
import { request, Agent } from 'node:http';
import { createLogger } from '../src/core/index.js';
import { createSqliteReadingStore } from '../src/storage/index.js';
import type { RawStoreResult } from './protocol.js';
import { fleet, readingOf, type FleetDevice } from './readings.js';

export interface RawStoreCmd {
  cmd: 'raw';
  store: 'influxdb' | 'sqlite';
  /** InfluxDB base URL and database. */
  url?: string;
  db?: string;
  /** SQLite readings file. */
  file?: string;
  prefix: string;
  devices: number;
  durationMs: number;
  batch: number;
  /** InfluxDB requests in flight at once. */
  concurrency: number;
  t0: number;
}

/** Field values as the InfluxDB adapter writes them: numbers as floats, booleans as T/F. */
function field(v: number | boolean): string {
  return typeof v === 'boolean' ? (v ? 'T' : 'F') : String(v);
}

/** Batches of the fleet's readings, devices in turn, each device's seq counting up. */
function* batches(devices: FleetDevice[], t0: number, size: number) {
  let seq = 0;
  let d = 0;
  for (;;) {
    const out = [];
    for (let i = 0; i < size; i++) {
      out.push(readingOf(devices[d]!, seq, t0, Date.now()));
      if (++d === devices.length) { d = 0; seq++; }
    }
    yield out;
  }
}

function post(agent: Agent, url: URL, path: string, body: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = request({ agent, host: url.hostname, port: url.port, path, method: 'POST', headers: { 'content-type': 'text/plain' } }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => (res.statusCode! < 300 ? resolve() : reject(new Error(`${path}: ${res.statusCode} ${text}`))));
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function influxCount(url: URL, db: string): Promise<number> {
  const q = new URLSearchParams({ db, q: 'SELECT count(received_at) FROM readings' });
  const res = await fetch(new URL(`/query?${q}`, url));
  const body = (await res.json()) as { results: { series?: { values: [string, number][] }[] }[] };
  return body.results[0]?.series?.[0]?.values[0]?.[1] ?? 0;
}

async function influx(c: RawStoreCmd): Promise<RawStoreResult> {
  const url = new URL(c.url!);
  const agent = new Agent({ keepAlive: true, maxSockets: c.concurrency });
  await post(agent, url, `/query?${new URLSearchParams({ q: `CREATE DATABASE "${c.db}"` })}`, '');
  const path = `/write?${new URLSearchParams({ db: c.db!, precision: 'ms' })}`;
  const source = batches(fleet(c.prefix, c.devices), c.t0, c.batch);
  const lines = () =>
    source.next().value!.map((r) => {
      let fields = '';
      for (const m in r.values) fields += `${m}=${field(r.values[m]!)},`;
      return `readings,device=${r.deviceId},domain=${r.domain},type=${r.type} ${fields}received_at=${r.receivedAt}i,seq=${r.seq}i ${r.ts}`;
    }).join('\n');
  const cpu = process.cpuUsage();
  const started = performance.now();
  let written = 0;
  // Up to `concurrency` requests in flight (as the app's writer has them), the next batch built meanwhile.
  const inFlight = new Set<Promise<void>>();
  while (performance.now() - started < c.durationMs) {
    const body = lines();
    while (inFlight.size >= c.concurrency) await Promise.race(inFlight);
    const p: Promise<void> = post(agent, url, path, body).then(() => {
      written += c.batch;
      inFlight.delete(p);
    });
    inFlight.add(p);
  }
  await Promise.all(inFlight);
  const elapsedMs = performance.now() - started;
  const used = process.cpuUsage(cpu);
  agent.destroy();
  return { ev: 'raw', written, elapsedMs, counted: await influxCount(url, c.db!), cpuShare: (used.user + used.system) / 1000 / elapsedMs };
}

async function sqlite(c: RawStoreCmd): Promise<RawStoreResult> {
  const store = createSqliteReadingStore({ file: c.file!, log: createLogger('silent') });
  await store.start();
  const source = batches(fleet(c.prefix, c.devices), c.t0, c.batch);
  let written = 0;
  let elapsedMs = 0;
  const cpu = process.cpuUsage();
  const started = performance.now();
  // Only the store's own work is timed; building the Reading objects is not.
  while (elapsedMs < c.durationMs) {
    const batch = source.next().value!;
    const t = performance.now();
    await store.write(batch);
    elapsedMs += performance.now() - t;
    written += batch.length;
  }
  const used = process.cpuUsage(cpu);
  const counted = await store.count();
  await store.close();
  return { ev: 'raw', written, elapsedMs, counted, cpuShare: (used.user + used.system) / 1000 / (performance.now() - started) };
}

process.once('message', (c: RawStoreCmd) => {
  (c.store === 'influxdb' ? influx(c) : sqlite(c)).then(
    (r) => {
      process.send!(r);
      process.disconnect();
    },
    (err: unknown) => {
      process.stderr.write(`raw store: ${(err as Error).stack}\n`);
      process.exit(1);
    },
  );
});
