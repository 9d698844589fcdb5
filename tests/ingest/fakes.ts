import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deserialize } from 'node:v8';
import Database from 'better-sqlite3';
import { Registry } from 'prom-client';
import { createLogger, loadCatalog, type DeadLetter, type Logger, type InboundMessage, type Reading, type RefusalReason } from '../../src/core/index.js';
import { createIngest, type Ingest } from '../../src/ingest/index.js';
import type { DeadLetterSelection, DeadLetterStore, HistoryQuery, Point, ReadingSink, ReadingStore, ScanQuery, StoredDeadLetter, StoredReading } from '../../src/storage/index.js';

/** An in-memory ReadingStore that can be switched to failing, or held so that writes wait (the real stores are tested elsewhere). */
export class MemoryReadingStore implements ReadingStore {
  readonly kind = 'sqlite' as const;
  readonly points = new Map<string, Reading>();
  /** Every write call, failed or not, with its batch size. */
  readonly calls: { size: number; ok: boolean }[] = [];
  failing = false;
  private gate: Promise<void> | undefined;

  /** Makes the next writes wait until the returned function is called. */
  hold(): () => void {
    let release!: () => void;
    this.gate = new Promise((resolve) => (release = resolve));
    return () => {
      this.gate = undefined;
      release();
    };
  }

  async start(): Promise<void> {}

  async write(readings: readonly Reading[]): Promise<void> {
    if (this.gate) await this.gate;
    if (this.failing) {
      this.calls.push({ size: readings.length, ok: false });
      throw new Error('store is down');
    }
    this.calls.push({ size: readings.length, ok: true });
    for (const r of readings) this.points.set(`${r.deviceId}@${r.ts}`, r);
  }

  async query(q: HistoryQuery): Promise<Point[]> {
    return [...this.points.values()]
      .filter((r) => r.deviceId === q.deviceId && r.ts >= q.from && r.ts < q.to && q.metric in r.values)
      .sort((a, b) => a.ts - b.ts)
      .slice(0, q.limit)
      .map((r) => ({ t: r.ts, v: r.values[q.metric]! }));
  }

  async count(deviceId?: string): Promise<number> {
    return deviceId ? [...this.points.values()].filter((r) => r.deviceId === deviceId).length : this.points.size;
  }

  async scan(q: ScanQuery): Promise<StoredReading[]> {
    return [...this.points.values()]
      .filter((r) => r.deviceId === q.deviceId && r.ts >= q.from && r.ts < q.to)
      .sort((a, b) => a.ts - b.ts)
      .slice(0, q.limit)
      .map((r) => ({ deviceId: r.deviceId, ts: r.ts, receivedAt: r.receivedAt, values: { ...r.values } }));
  }

  async countRange(deviceId: string, from: number, to: number): Promise<number> {
    return [...this.points.values()].filter((r) => r.deviceId === deviceId && r.ts >= from && r.ts < to).length;
  }

  async ping(): Promise<boolean> {
    return !this.failing;
  }

  async close(): Promise<void> {}
}

/** An in-memory sink of the spool (a stand-in for the event stream) that can be switched to failing; it records every delivery. */
export class MemorySink implements ReadingSink {
  /** Every reading delivered, in order, repeats included. */
  readonly delivered: Reading[] = [];
  readonly calls: { size: number; ok: boolean }[] = [];
  failing = false;

  constructor(readonly name = 'memory', readonly batchSize = 5000) {}

  async write(readings: readonly Reading[]): Promise<void> {
    await new Promise((resolve) => setImmediate(resolve));
    this.calls.push({ size: readings.length, ok: !this.failing });
    if (this.failing) throw new Error(`${this.name} is down`);
    for (const r of readings) this.delivered.push(r);
  }
}

/** An in-memory DeadLetterStore that records each add() call (one call per batch). */
export class MemoryDeadLetters implements DeadLetterStore {
  readonly letters: StoredDeadLetter[] = [];
  readonly batches: number[] = [];

  add(letters: readonly DeadLetter[]): void {
    this.batches.push(letters.length);
    for (const l of letters) this.letters.push({ ...l, id: this.letters.length + 1 });
  }

  list(opts: { limit: number; reason?: RefusalReason; before?: number }): StoredDeadLetter[] {
    return this.letters
      .filter((l) => (!opts.reason || l.reason === opts.reason) && (opts.before === undefined || l.id < opts.before))
      .reverse()
      .slice(0, opts.limit);
  }

  select(sel: DeadLetterSelection, opts: { after: number; limit: number }): StoredDeadLetter[] {
    return this.letters
      .filter((l) => l.id > opts.after && (!sel.reason || l.reason === sel.reason) && (!sel.deviceId || l.deviceId === sel.deviceId)
        && (sel.from === undefined || l.receivedAt >= sel.from) && (sel.to === undefined || l.receivedAt < sel.to))
      .slice(0, opts.limit);
  }

  remove(ids: readonly number[]): void {
    for (const id of ids) {
      const i = this.letters.findIndex((l) => l.id === id);
      if (i >= 0) this.letters.splice(i, 1);
    }
  }

  setReason(id: number, reason: RefusalReason, detail: string): void {
    const l = this.letters.find((x) => x.id === id);
    if (l) Object.assign(l, { reason, detail });
  }

  purge(): number {
    return 0;
  }
}

export const catalog = loadCatalog();
export const silent = createLogger('silent');

/** A temp data dir, removed by the returned function. */
export function tempDir(): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'citysense-ingest-'));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface Rig {
  ingest: Ingest;
  store: MemoryReadingStore;
  letters: MemoryDeadLetters;
  registry: Registry;
  dir: string;
}

/** An ingest on `dir` with fresh fakes (or the given ones), started. */
export async function startIngest(
  dir: string,
  opts: { store?: MemoryReadingStore; letters?: MemoryDeadLetters; spoolMaxBytes?: number; batchSize?: number; writeConcurrency?: number; writeLingerMs?: number; log?: Logger; sinks?: ReadingSink[] } = {},
): Promise<Rig> {
  const store = opts.store ?? new MemoryReadingStore();
  const letters = opts.letters ?? new MemoryDeadLetters();
  const registry = new Registry();
  const ingest = createIngest({
    catalog, store, deadLetters: letters, log: opts.log ?? silent, metrics: registry, dataDir: dir,
    spoolMaxBytes: opts.spoolMaxBytes ?? 64 * 1024 * 1024, batchSize: opts.batchSize, writeConcurrency: opts.writeConcurrency,
    writeLingerMs: opts.writeLingerMs, sinks: opts.sinks,
  });
  await ingest.start();
  return { ingest, store, letters, registry, dir };
}

/** A telemetry message on the device's own topic, received now. */
export function message(deviceId: string, payload: string | Buffer, opts: { domain?: string; type?: string; receivedAt?: number; qos?: 0 | 1 | 2 } = {}): InboundMessage {
  const domain = opts.domain ?? 'safety';
  const type = opts.type ?? 'gas';
  return {
    deviceId, domain, type, topic: `city/${domain}/${type}/${deviceId}`,
    payload: typeof payload === 'string' ? Buffer.from(payload) : payload,
    qos: opts.qos ?? 1, receivedAt: opts.receivedAt ?? Date.now(),
  };
}

/** handle() as a promise of its done() argument. */
export function handle(ingest: Ingest, msg: InboundMessage): Promise<Error | undefined> {
  return new Promise((resolve) => ingest.handle(msg, (err) => resolve(err)));
}

/** The readings in spool.db as a second, independent connection sees them, one entry per reading. */
export function spoolRows(dir: string): { device_id: string; ts: number; seq: number | null; vals: string }[] {
  const db = new Database(join(dir, 'spool.db'), { readonly: true, fileMustExist: true });
  try {
    const bodies = db.prepare('SELECT body FROM spool_appends ORDER BY id').pluck().all() as Buffer[];
    return bodies.flatMap((body) =>
      (deserialize(body) as Reading[]).map((r) => ({ device_id: r.deviceId, ts: r.ts, seq: r.seq ?? null, vals: JSON.stringify(r.values) })),
    );
  } finally {
    db.close();
  }
}

/** The value of a counter or gauge (summed over labels, or for one label set). */
export async function metricValue(registry: Registry, name: string, labels: Record<string, string> = {}): Promise<number> {
  const metric = registry.getSingleMetric(name);
  if (!metric) throw new Error(`no metric ${name}`);
  const { values } = await metric.get();
  return values
    .filter((v) => Object.entries(labels).every(([k, want]) => (v.labels as Record<string, unknown>)[k] === want))
    .reduce((sum, v) => sum + v.value, 0);
}

/** Polls until `check` holds (or throws after `ms`). */
export async function until(check: () => boolean | Promise<boolean>, what: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
