const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h|d|w)$/;

/** Parses `0`, `500ms`, `30s`, `5m`, `1h`, `7d`, `2w` into milliseconds; throws on anything else. */
export function parseDuration(text: string): number {
  const t = text.trim();
  if (t === '0') return 0;
  const m = DURATION.exec(t);
  if (!m) throw new RangeError(`not a duration: ${JSON.stringify(text)} (use e.g. 0, 30s, 5m, 1h, 7d)`);
  return Math.round(Number(m[1]) * UNITS[m[2]!]!);
}

/** Formats milliseconds as the largest exact unit (`300000` → `5m`). */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0';
  for (const unit of ['w', 'd', 'h', 'm', 's'] as const) {
    if (ms % UNITS[unit]! === 0) return `${ms / UNITS[unit]!}${unit}`;
  }
  return `${ms}ms`;
}
