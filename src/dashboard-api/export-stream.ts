// The history export's rows and their writing: per device, a page at a time, with the response's backpressure.
import type { Response } from 'express';
import { matches, type Catalog, type Logger } from '../core/index.js';
import type { Aggregate, Device, DeviceFilter, DeviceRegistry, ReadingStore } from '../storage/index.js';
import type { Principal } from './auth.js';
import type { ExportFormat } from './schemas/index.js';

/** Readings (or buckets) read from the store per request to it. */
const PAGE = 2000;
/** Devices listed from the registry per page. */
const DEVICE_PAGE = 500;
/** A chunk is handed to the response once it holds about this many characters. */
const CHUNK_CHARS = 64 * 1024;
/** Aggregates that a boolean metric has an answer for (the store refuses the others). */
const BOOLEAN_AGGREGATES: readonly Aggregate[] = ['count', 'last'];

export const EXPORT_COLUMNS = ['ts', 'deviceId', 'domain', 'type', 'district', 'metric', 'value', 'unit'] as const;

/** One row of the export without its device: a reading's metric, or a bucket's aggregate (ts is then the bucket's start). */
interface Cell {
  ts: number;
  metric: string;
  value: number | boolean;
}

export interface ExportRequest {
  filter: Pick<DeviceFilter, 'domain' | 'type' | 'district'> & { deviceId?: string };
  metric?: string;
  from: number;
  to: number;
  every?: number;
  agg?: Aggregate;
  format: ExportFormat;
}

export interface ExportDeps {
  catalog: Catalog;
  registry: DeviceRegistry;
  readings: ReadingStore;
  log: Logger;
  /**
   * The caller's scope: whether the caller may see this device. Every device of an export passes through it, so
   * a scope (domains, districts of a user or token) is applied here and nowhere else.
   */
  visible: (principal: Principal | undefined, device: Device) => boolean;
}

/** The registered devices an export covers, in id order: the request's filter, then the caller's scope. */
export function* exportDevices(deps: ExportDeps, req: ExportRequest, principal: Principal | undefined): Generator<Device> {
  const { visible } = deps;
  const { deviceId, ...filter } = req.filter;
  if (deviceId !== undefined) {
    const d = deps.registry.get(deviceId);
    if (d && matches(filter, d) && visible(principal, d)) yield d;
    return;
  }
  for (let after: string | undefined; ;) {
    const page = deps.registry.list({ ...filter, after, limit: DEVICE_PAGE });
    for (const d of page) if (visible(principal, d)) yield d;
    if (page.length < DEVICE_PAGE) return;
    after = page[page.length - 1]!.id;
  }
}

/** One device's rows in time order, a page of the store at a time (raw readings by `scan`, buckets by `query`). */
async function* deviceRows(deps: ExportDeps, req: ExportRequest, d: Device): AsyncGenerator<Cell[]> {
  if (req.every === undefined) {
    for (let start = req.from; ;) {
      const page = await deps.readings.scan({ deviceId: d.id, from: start, to: req.to, limit: PAGE });
      const rows: Cell[] = [];
      for (const r of page) {
        for (const metric in r.values) {
          if (req.metric === undefined || metric === req.metric) rows.push({ ts: r.ts, metric, value: r.values[metric]! });
        }
      }
      if (rows.length > 0) yield rows;
      if (page.length < PAGE) return;
      start = page[page.length - 1]!.ts + 1;
    }
  }
  const every = req.every;
  const agg = req.agg ?? 'mean';
  for (const spec of deps.catalog.get(d.domain, d.type)?.metrics.values() ?? []) {
    if (req.metric !== undefined && spec.name !== req.metric) continue;
    if (spec.kind === 'boolean' && !BOOLEAN_AGGREGATES.includes(agg)) continue;
    for (let start = req.from; start < req.to;) {
      const points = await deps.readings.query({ deviceId: d.id, metric: spec.name, from: start, to: req.to, every, agg, limit: PAGE });
      if (points.length > 0) yield points.map((p) => ({ ts: p.t, metric: spec.name, value: p.v }));
      if (points.length < PAGE) break;
      start = points[points.length - 1]!.t + every;
    }
  }
}

/** RFC 4180: a field with a comma, quote or line break is quoted, its quotes doubled. */
function csvField(v: string): string {
  return /[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

/**
 * The rows' text for one device: its columns are formatted once, and each metric's (name, unit) once, so a row
 * costs its time and value only. `ts` and `value` never need CSV quoting (RFC 3339, a number or a boolean).
 */
function rowFormatter(catalog: Catalog, d: Device, format: ExportFormat): (c: Cell) => string {
  const sensor = catalog.get(d.domain, d.type);
  const unitOf = (m: string) => sensor?.metrics.get(m)?.unit ?? null;
  const perMetric = new Map<string, [string, string]>();
  const device = format === 'csv'
    ? [d.id, d.domain, d.type, d.district ?? ''].map(csvField).join(',')
    : `"deviceId":${JSON.stringify(d.id)},"domain":${JSON.stringify(d.domain)},"type":${JSON.stringify(d.type)},"district":${JSON.stringify(d.district ?? null)}`;
  const parts = (metric: string): [string, string] => {
    let p = perMetric.get(metric);
    if (!p) {
      const unit = unitOf(metric);
      p = format === 'csv'
        ? [`${device},${csvField(metric)},`, `,${csvField(unit ?? '')}\r\n`]
        : [`,${device},"metric":${JSON.stringify(metric)},"value":`, `,"unit":${JSON.stringify(unit)}}\n`];
      perMetric.set(metric, p);
    }
    return p;
  };
  return format === 'csv'
    ? (c) => { const [head, tail] = parts(c.metric); return `${new Date(c.ts).toISOString()},${head}${c.value}${tail}`; }
    : (c) => { const [head, tail] = parts(c.metric); return `{"ts":"${new Date(c.ts).toISOString()}"${head}${JSON.stringify(c.value)}${tail}`; };
}

/** Writes a chunk and waits for 'drain' when the response's buffer is full; false once the client has gone. */
async function send(res: Response, chunk: string, gone: () => boolean): Promise<boolean> {
  if (gone()) return false;
  if (!res.write(chunk)) {
    await new Promise<void>((resolve) => {
      const done = () => { res.off('drain', done); res.off('close', done); resolve(); };
      res.on('drain', done);
      res.on('close', done);
    });
  }
  return !gone();
}

export interface ExportOutcome {
  rows: number;
  devices: number;
  /** The client went away before the end. */
  aborted: boolean;
}

/**
 * Streams the export to `res` (headers already set): the CSV header row, then every covered device's rows. Stops
 * reading when the client disconnects. An error after the first byte ends the response visibly (NDJSON: a last
 * `{"error": …}` line; CSV: the connection is aborted) and is logged; before the first byte it is thrown.
 */
export async function streamExport(deps: ExportDeps, req: ExportRequest, res: Response, principal: Principal | undefined): Promise<ExportOutcome> {
  let closed = false;
  res.on('close', () => { closed = true; });
  const gone = () => closed || res.destroyed;
  const out: ExportOutcome = { rows: 0, devices: 0, aborted: false };
  let buf = req.format === 'csv' ? EXPORT_COLUMNS.join(',') + '\r\n' : '';
  let current: string | undefined;
  try {
    for (const d of exportDevices(deps, req, principal)) {
      current = d.id;
      out.devices++;
      const format = rowFormatter(deps.catalog, d, req.format);
      for await (const rows of deviceRows(deps, req, d)) {
        for (const r of rows) buf += format(r);
        out.rows += rows.length;
        if (buf.length >= CHUNK_CHARS) {
          if (!(await send(res, buf, gone))) return { ...out, aborted: true };
          buf = '';
        }
      }
    }
    if (buf && !(await send(res, buf, gone))) return { ...out, aborted: true };
    res.end();
    return out;
  } catch (err) {
    if (!res.headersSent) throw err;
    deps.log.error({ err, deviceId: current, rows: out.rows }, 'history export failed mid-stream: the response was ended with an error');
    if (req.format === 'ndjson' && !gone()) {
      const message = err instanceof Error ? err.message : String(err);
      res.end(buf + JSON.stringify({ error: { code: 'export_failed', message: `export failed at device ${current}: ${message}` } }) + '\n');
    } else {
      res.destroy(err instanceof Error ? err : new Error(String(err)));
    }
    return { ...out, aborted: true };
  }
}
