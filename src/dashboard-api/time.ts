import { parseDuration } from '../core/index.js';

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/** Reads `now`, a relative time (`-1h`, `-30m`) or an RFC 3339 time as epoch ms; undefined when it is neither. */
export function parseTime(text: string, now: number): number | undefined {
  if (text === 'now') return now;
  if (text.startsWith('-')) {
    try { return now - parseDuration(text.slice(1)); } catch { return undefined; }
  }
  if (!RFC3339.test(text)) return undefined;
  const t = Date.parse(text);
  return Number.isNaN(t) ? undefined : t;
}
