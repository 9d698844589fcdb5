import type { HistoryQuery, ScanQuery } from '../ports.js';

/**
 * InfluxQL text built from user input. Nothing is spliced raw: identifiers are double-quoted with `"` and `\`
 * escaped, strings single-quoted with `'` and `\` escaped, and numbers must be safe integers (checkHistoryQuery
 * has already refused anything else). Text InfluxQL cannot quote at all is kept out by `quotable`.
 */
export const MEASUREMENT = 'readings';

const escapeBody = (s: string, quote: string) => s.replace(/\\/g, '\\\\').replace(new RegExp(quote, 'g'), `\\${quote}`);

/**
 * False for text that no InfluxQL quoting can carry: the 1.x scanner ends quoted text at CR or LF and has no
 * escape for them inside identifiers (nor for CR in strings). No stored device id or metric holds one (docs/contract.md
 * restricts both), so a query for such a name is answered "nothing" without asking the server.
 */
export function quotable(s: string): boolean {
  return !/[\r\n\0]/.test(s);
}

/** A double-quoted InfluxQL identifier (field, measurement, database name). */
export function ident(name: string): string {
  if (!quotable(name)) throw new TypeError('InfluxQL cannot quote CR, LF or NUL');
  return `"${escapeBody(name, '"')}"`;
}

/** A single-quoted InfluxQL string literal. */
export function literal(value: string): string {
  if (!quotable(value)) throw new TypeError('InfluxQL cannot quote CR, LF or NUL');
  return `'${escapeBody(value, "'")}'`;
}

/** An integer that is safe to splice; throws otherwise (a last guard behind the query checks). */
export function int(n: number): string {
  if (!Number.isSafeInteger(n)) throw new TypeError(`not a safe integer: ${String(n)}`);
  return String(n);
}

/** InfluxDB's times are int64 nanoseconds (1677 to 2262); a bound beyond them is an error there, so it is clamped. */
const INFLUX_MIN_MS = -9_223_372_036_853;
const INFLUX_MAX_MS = 9_223_372_036_853;
const clampTime = (ms: number) => Math.min(Math.max(ms, INFLUX_MIN_MS), INFLUX_MAX_MS);

function range(q: Pick<HistoryQuery, 'deviceId' | 'from' | 'to'>): string {
  return `"device" = ${literal(q.deviceId)} AND time >= ${int(clampTime(q.from))}ms AND time < ${int(clampTime(q.to))}ms`;
}

/** The SELECT for a history query: raw points, or one aggregate per epoch-aligned bucket without empty ones. */
export function historyStatement(q: HistoryQuery): string {
  const from = `FROM ${ident(MEASUREMENT)} WHERE ${range(q)}`;
  if (q.every === undefined) return `SELECT ${ident(q.metric)} ${from} ORDER BY time ASC LIMIT ${int(q.limit)}`;
  // q.agg is one of AGGREGATES (checked), whose names are InfluxQL's own functions.
  return `SELECT ${q.agg!}(${ident(q.metric)}) ${from} GROUP BY time(${int(q.every)}ms) fill(none) LIMIT ${int(q.limit)}`;
}

/** Whole readings of one device (every field and tag as a column), oldest first. */
export function scanStatement(q: ScanQuery): string {
  return `SELECT * FROM ${ident(MEASUREMENT)} WHERE ${range(q)} ORDER BY time ASC LIMIT ${int(q.limit)}`;
}

/** Counts one device's readings in [from, to). */
export function countRangeStatement(deviceId: string, from: number, to: number): string {
  return `SELECT count("received_at") FROM ${ident(MEASUREMENT)} WHERE ${range({ deviceId, from, to })}`;
}

/** Counts readings (one `received_at` per reading), for one device or all. */
export function countStatement(deviceId?: string): string {
  const where = deviceId === undefined ? '' : ` WHERE "device" = ${literal(deviceId)}`;
  return `SELECT count("received_at") FROM ${ident(MEASUREMENT)}${where}`;
}

/** Lists the field keys and their types, to learn whether a metric is boolean. */
export function fieldKeysStatement(): string {
  return `SHOW FIELD KEYS FROM ${ident(MEASUREMENT)}`;
}

/** Creates a 1.x database (a no-op when it exists). */
export function createDatabaseStatement(db: string): string {
  return `CREATE DATABASE ${ident(db)}`;
}
