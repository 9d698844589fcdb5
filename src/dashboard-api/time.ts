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
