import { DEFAULT_WriteOptions, InfluxDB, type HttpError } from '@influxdata/influxdb-client';
import { AppError, type Logger, type Reading } from '../../core/index.js';
import { checkBooleanAggregate, checkHistoryQuery, checkScanQuery, needsKindCheck } from '../history.js';
import type { HistoryQuery, Point as HistoryPoint, ReadingStore, ScanQuery, StoredReading } from '../ports.js';
import { countRangeStatement, countStatement, quotable, scanStatement, createDatabaseStatement, fieldKeysStatement, historyStatement } from './influxql.js';
import { LineEncoder } from './line.js';
import { authorization, detectServer, type InfluxTarget, type ServerInfo } from './server.js';
import { v1WriteTransport } from './v1-transport.js';

export interface InfluxStoreOptions extends InfluxTarget {
  log: Logger;
  /** Socket timeout of one write or query request (ms). */
  timeoutMs?: number;
}

interface Connected {
  info: ServerInfo;
  /** The client whose transport writes: it speaks /api/v2/write, or /write for servers before 1.8. */
  client: InfluxDB;
  headers: Record<string, string>;
  /** The server's URL (no trailing slash) and the socket timeout of one request (ms). */
  url: string;
  timeoutMs: number;
}

interface Series {
  columns: string[];
  values: unknown[][];
}
interface QueryResponse {
  error?: string;
  results?: { error?: string; series?: Series[] }[];
}

/** The server answered, with an error (as opposed to not answering at all). */
class InfluxAnswerError extends Error {
  // Not `status`: an API error handler would take that for the HTTP status of the request it is answering.
  constructor(readonly httpStatus: number, detail: string) {
    super(`InfluxDB /query answered ${httpStatus}: ${detail}`);
    this.name = 'InfluxAnswerError';
  }
}

// Lines per HTTP request: a few hundred KB of line protocol, well under servers' body limits.
const LINES_PER_REQUEST = 5000;
const PING_TIMEOUT_MS = 3000;
/**
 * An InfluxDB on this host gets its lines uncompressed: gzip saves no network there, costs CPU on both sides, and
 * triples a write's round trip, which keeps readings in memory (and promoted by the GC) for longer. Measured with
 * `npm run bench`: same throughput, half the memory promoted per young-generation GC, a shorter alert-latency tail.
 */
const SAME_HOST = /^(localhost|127\.\d{1,3}\.\d{1,3}\.\d{1,3}|\[::1\])$/i;

/**
 * The server's message when it answered a write with a partial write: it stored every point but those it names,
 * and would refuse them again on every retry (points beyond the retention policy, a field type conflict).
 * InfluxDB 1.x answers 400, 2.x 422. Undefined for any other error.
 */
function partialWrite(err: unknown): string | undefined {
  const e = err as Partial<HttpError>;
  if (e.statusCode !== 400 && e.statusCode !== 422) return undefined;
  let message = e.message ?? '';
  try {
    const body = JSON.parse(e.body ?? '') as { error?: unknown; message?: unknown };
    message = String(body.error ?? body.message ?? message);
  } catch {
    // not JSON: the client's message carries the text
  }
  return message.includes('partial write') ? message : undefined;
}

/** One InfluxQL statement against the connected server's database (and retention policy). */
async function influxql(c: Connected, statement: string, method: 'GET' | 'POST' = 'GET'): Promise<Series[]> {
  const params = new URLSearchParams({ db: c.info.db, epoch: 'ms', q: statement });
  if (c.info.rp) params.set('rp', c.info.rp);
  const init: RequestInit = { method, headers: c.headers, signal: AbortSignal.timeout(c.timeoutMs) };
  let endpoint = `${c.url}/query`;
  if (method === 'POST') init.body = params;
  else endpoint += `?${params.toString()}`;
  const res = await fetch(endpoint, init);
  const text = await res.text();
  let body: QueryResponse;
  try {
    body = JSON.parse(text) as QueryResponse;
  } catch {
    throw new InfluxAnswerError(res.status, text.slice(0, 200));
  }
  const error = body.error ?? body.results?.find((r) => r.error)?.error;
  if (!res.ok || error) throw new InfluxAnswerError(res.status, error ?? text.slice(0, 200));
  return body.results?.[0]?.series ?? [];
}

/** Detects the server, builds the client that writes to it, and on 1.x makes sure the database exists. */
async function connect(target: InfluxTarget, timeoutMs: number, log: Logger): Promise<Connected> {
  const { url, token } = target;
  const info = await detectServer(target, timeoutMs);
  const auth = authorization(token, info.major);
  const headers: Record<string, string> = auth ? { authorization: auth } : {};
  let client: InfluxDB;
  if (info.writePath === 'v1') {
    // No token: 1.x wants Basic auth, sent as a default header by the inner transport.
    const inner = new InfluxDB({ url, timeout: timeoutMs, headers });
    client = new InfluxDB({ url, transport: v1WriteTransport(inner.transport) });
  } else {
    client = new InfluxDB({ url, token: token || undefined, timeout: timeoutMs });
  }
  const c: Connected = { info, client, headers, url, timeoutMs };
  if (info.major === 1) {
    // A missing 1.x database is a 404 that no retry cures, so create it (as Telegraf does). Needs admin rights;
    // without them, say so and carry on: the database may exist already.
    try {
      await influxql(c, createDatabaseStatement(info.db), 'POST');
    } catch (err) {
      if (!(err instanceof InfluxAnswerError)) throw err;
      log.warn({ err, db: info.db }, 'could not create the InfluxDB database; writes fail until it exists');
    }
  }
  log.info({ version: info.version, writePath: info.writePath, db: info.db, rp: info.rp }, 'InfluxDB connected');
  return c;
}

/**
 * Runs a query for an API caller: InfluxDB down, slow or refusing citysense's own credentials is the server's
 * trouble, not the caller's, so it is a 503 that says so (logged with InfluxDB's words, which stay here).
 */
async function answered<T>(log: Logger, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof AppError) throw err;
    const status = err instanceof InfluxAnswerError ? err.httpStatus : undefined;
    if (status !== undefined && status < 500 && status !== 401 && status !== 403) throw err; // our query: a bug, a 500
    log.warn({ err }, 'InfluxDB query failed');
    const why = status === 401 || status === 403 ? 'refused citysense\'s credentials (INFLUX_TOKEN)' : status !== undefined ? `answered ${status}` : 'did not answer';
    throw new AppError('store_unavailable', `the reading store (InfluxDB) ${why}; try again later`, 503);
  }
}

async function isBooleanField(c: Connected, metric: string): Promise<boolean> {
  const series = await influxql(c, fieldKeysStatement());
  return series.some((s) => s.values.some(([key, type]) => key === metric && type === 'boolean'));
}

/** Readings in InfluxDB 1.x, 2.x or 3.x: writes through the official client's transport, history through InfluxQL. */
export function createInfluxReadingStore(opts: InfluxStoreOptions): ReadingStore {
  const url = opts.url.replace(/\/+$/, '');
  const target: InfluxTarget = { url, token: opts.token, org: opts.org, bucket: opts.bucket };
  const timeoutMs = opts.timeoutMs ?? 10_000;
  // Logged without any user:password a URL might carry.
  const log = opts.log.child({ component: 'influx', url: (({ origin, pathname }) => origin + pathname.replace(/\/$/, ''))(new URL(url)) });
  const encoder = new LineEncoder();
  // What the client's WriteApi sends: the v2 path (rewritten to /write for servers before 1.8), gzip above 1000
  // bytes, except to a server on this host.
  const writePath = `/api/v2/write?org=${encodeURIComponent(opts.org)}&bucket=${encodeURIComponent(opts.bucket)}&precision=ms`;
  const writeOptions = {
    method: 'POST',
    headers: { 'content-type': 'text/plain; charset=utf-8' },
    gzipThreshold: SAME_HOST.test(new URL(url).hostname) ? Number.POSITIVE_INFINITY : DEFAULT_WriteOptions.gzipThreshold,
  };
  let connected: Connected | undefined;
  let connecting: Promise<Connected> | undefined;
  let closed = false;

  /** The connection, made on first need and again after a failure: a server down at start is not fatal. */
  function ready(): Promise<Connected> {
    if (closed) return Promise.reject(new Error('the InfluxDB reading store is closed'));
    if (connected) return Promise.resolve(connected);
    connecting ??= connect(target, timeoutMs, log).then(
      (c) => {
        connecting = undefined;
        if (!closed) connected = c;
        return c;
      },
      (err: unknown) => {
        connecting = undefined;
        throw err;
      },
    );
    return connecting;
  }

  /**
   * Writes one request's worth of lines and settles only with the server's answer (rejecting with the client's
   * HttpError on any status from 300 up).
   *
   * Through the client's transport, the same request its WriteApi sends (path, content type, gzip), without the
   * WriteApi around it: what it adds is a batching buffer, a retry buffer and timers, all of which the spool does
   * here instead (a batch leaves the spool only once the server confirmed it, and is retried with back-off until
   * then), and its buffer counts each record's UTF-8 bytes in a JavaScript loop over every character, which took
   * 4% of the main thread at full rate in `npm run bench`.
   */
  function writeRequest(c: Connected, body: string): Promise<void> {
    return c.client.transport.request(writePath, body, writeOptions) as Promise<void>;
  }

  return {
    kind: 'influxdb',

    async start(): Promise<void> {
      closed = false;
      try {
        await ready();
      } catch (err) {
        log.warn({ err: String((err as Error).cause ?? err) }, 'InfluxDB not reachable at start; writes wait in the spool and retry');
      }
    },

    async write(readings: readonly Reading[]): Promise<void> {
      if (readings.length === 0) return;
      const c = await ready();
      try {
        for (let from = 0; from < readings.length; from += LINES_PER_REQUEST) {
          const to = Math.min(readings.length, from + LINES_PER_REQUEST);
          let body = encoder.line(readings[from]!);
          for (let i = from + 1; i < to; i++) body += `\n${encoder.line(readings[i]!)}`;
          try {
            await writeRequest(c, body);
          } catch (err) {
            const dropped = partialWrite(err);
            if (dropped === undefined) throw err;
            // The server stored the rest and will never take these (as Telegraf does, not retried).
            log.warn({ readings: to - from, influxError: dropped }, 'InfluxDB stored a write but dropped some of its points');
          }
        }
      } catch (err) {
        // Database dropped (or server replaced) while we ran: connect again next time, which re-creates it.
        if ((err as HttpError).statusCode === 404 && connected === c) connected = undefined;
        throw err;
      }
    },

    async query(q: HistoryQuery): Promise<HistoryPoint[]> {
      checkHistoryQuery(q);
      if (!quotable(q.deviceId) || !quotable(q.metric)) return []; // no such name can be stored (see quotable)
      const series = await answered(log, async () => {
        const c = await ready();
        if (needsKindCheck(q)) checkBooleanAggregate(q, await isBooleanField(c, q.metric));
        return influxql(c, historyStatement(q));
      });
      const points: HistoryPoint[] = [];
      for (const s of series) {
        for (const [t, v] of s.values) {
          if (typeof t === 'number' && (typeof v === 'number' || typeof v === 'boolean')) points.push({ t, v });
        }
      }
      // Several series only when a device changed domain/type tags; merge them back into one time order.
      if (series.length > 1) points.sort((a, b) => a.t - b.t).splice(q.limit);
      return points;
    },

    async count(deviceId?: string): Promise<number> {
      if (deviceId !== undefined && !quotable(deviceId)) return 0;
      const series = await influxql(await ready(), countStatement(deviceId));
      return series.reduce((n, s) => n + s.values.reduce((m, row) => m + (typeof row[1] === 'number' ? row[1] : 0), 0), 0);
    },

    async scan(q: ScanQuery): Promise<StoredReading[]> {
      checkScanQuery(q);
      if (!quotable(q.deviceId)) return [];
      const series = await answered(log, async () => influxql(await ready(), scanStatement(q)));
      return series.flatMap((s) => scanRows(q.deviceId, s));
    },

    async countRange(deviceId: string, from: number, to: number): Promise<number> {
      checkScanQuery({ deviceId, from, to, limit: 1 });
      if (!quotable(deviceId)) return 0;
      const series = await answered(log, async () => influxql(await ready(), countRangeStatement(deviceId, from, to)));
      return series.reduce((n, s) => n + s.values.reduce((m, row) => m + (typeof row[1] === 'number' ? row[1] : 0), 0), 0);
    },

    async ping(): Promise<boolean> {
      try {
        const auth = authorization(opts.token, connected?.info.major);
        const res = await fetch(`${url}/ping`, { headers: auth ? { authorization: auth } : {}, signal: AbortSignal.timeout(PING_TIMEOUT_MS) });
        await res.body?.cancel();
        return res.ok;
      } catch {
        return false;
      }
    },

    async close(): Promise<void> {
      closed = true;
      connected = undefined;
    },
  };
}

/** Columns of a `SELECT *` that are not metrics: the time, the tags, and the reading's own fields. */
const NOT_METRICS = new Set(['time', 'device', 'domain', 'type', 'received_at', 'seq']);

/** The readings of one `SELECT *` series (a missing field is null in its row). */
function scanRows(deviceId: string, s: Series): StoredReading[] {
  const time = s.columns.indexOf('time');
  const received = s.columns.indexOf('received_at');
  const metrics = s.columns.flatMap((c, i) => (NOT_METRICS.has(c) ? [] : [[c, i] as const]));
  const out: StoredReading[] = [];
  for (const row of s.values) {
    const ts = row[time];
    if (typeof ts !== 'number') continue;
    const values: StoredReading['values'] = {};
    for (const [name, i] of metrics) {
      const v = row[i];
      if (typeof v === 'number' || typeof v === 'boolean') values[name] = v;
    }
    const r = row[received];
    out.push({ deviceId, ts, receivedAt: typeof r === 'number' ? r : ts, values });
  }
  return out;
}
