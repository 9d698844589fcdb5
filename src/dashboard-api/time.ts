import { AppError, isDateMs, parseDuration, parseRfc3339 } from '../core/index.js';

/**
 * Reads `now`, a relative time (`-1h`, `-30m`; with `future`, also `+2h`) or an RFC 3339 time as epoch ms;
 * undefined when it is none of them or lies beyond what a Date holds (it could never be shown again).
 */
export function parseTime(text: string, now: number, future = false): number | undefined {
  let t: number | undefined;
  if (text === 'now') t = now;
  else if (text.startsWith('-') || (future && text.startsWith('+'))) {
    try {
      const d = parseDuration(text.slice(1));
      t = text.startsWith('-') ? now - d : now + d;
    } catch {
      return undefined;
    }
  } else t = parseRfc3339(text);
  return t !== undefined && isDateMs(t) ? t : undefined;
}

/** A time in a request body: RFC 3339, epoch ms, `now` or a past relative time (`-1d`); else a 400 naming `body {field}`. */
export function bodyTime(v: string | number, field: string, now: number): number {
  const parsed = typeof v === 'number' ? (isDateMs(v) ? v : undefined) : parseTime(v, now);
  if (parsed === undefined) throw new AppError('bad_request', `body ${field}: use RFC 3339 (2026-01-31T12:00:00Z), epoch ms, now, or a relative time like -1d`);
  return parsed;
}

/** A query's `from` and `to` (RFC 3339, `now` or relative) as epoch ms, from before to; else a 400 naming the field. */
export function queryRange(fromText: string, toText: string, now: number): { from: number; to: number } {
  const from = parseTime(fromText, now);
  const to = parseTime(toText, now);
  if (from === undefined) throw new AppError('bad_request', 'query from: use RFC 3339 (2026-01-31T12:00:00Z) or a relative time like -1h');
  if (to === undefined) throw new AppError('bad_request', 'query to: use RFC 3339, now, or a relative time like -5m');
  if (from >= to) throw new AppError('bad_request', 'query from must be before to');
  return { from, to };
}

/** A query's bucket width `every` (at least 1s) in ms, or undefined without one; `agg` needs it. Else a 400 naming the field. */
export function queryEvery(everyText: string | undefined, agg: string | undefined): number | undefined {
  if (everyText === undefined) {
    if (agg !== undefined) throw new AppError('bad_request', 'query agg needs every (the bucket width)');
    return undefined;
  }
  let every: number | undefined;
  try { every = parseDuration(everyText); } catch { every = undefined; }
  if (!every || every < 1000) throw new AppError('bad_request', 'query every: a duration of at least 1s, like 10s, 1m, 1h');
  return every;
}
