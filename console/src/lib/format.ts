// How values, units and times read on screen.
import type { Condition } from '../types.js';

const UNIT_LABELS: Record<string, string> = {
  Cel: '°C', 'beat/min': 'bpm', 'ug/m3': 'µg/m³', deg: '°', 'veh/min': 'veh/min', count: '', '%/m': '%/m', '%LEL': '% LEL',
};

/** The catalog unit as people write it (`Cel` → `°C`). */
export function unitLabel(unit: string | undefined): string {
  if (!unit) return '';
  return UNIT_LABELS[unit] ?? unit;
}

/** A number with at most 2 decimals (fewer for large values), grouped; booleans as yes/no. */
export function formatValue(v: number | boolean | null | undefined, unit?: string): string {
  if (v === null || v === undefined) return '—';
  if (typeof v === 'boolean') return v ? 'yes' : 'no';
  const abs = Math.abs(v);
  const digits = abs >= 1000 ? 0 : abs >= 100 ? 1 : 2;
  const text = v.toLocaleString('en-GB', { maximumFractionDigits: digits });
  const u = unitLabel(unit);
  return u ? `${text}${u.startsWith('°') || u === '%' ? '' : ' '}${u}` : text;
}

/** A rule condition in words: `> 50`, `outside 2–8`, `no data`. */
export function formatCondition(c: Condition | undefined, threshold?: number | { low: number; high: number } | null): string {
  if (c) {
    if (c.op === 'no_data') return 'no data';
    if ('low' in c) return `${c.op} ${c.low}–${c.high}`;
    return `${c.op} ${c.value}`;
  }
  if (threshold === null || threshold === undefined) return '';
  return typeof threshold === 'number' ? `threshold ${threshold}` : `${threshold.low}–${threshold.high}`;
}

/** Elapsed time in short words: `now`, `42s`, `7m`, `3h 05m`, `2d 4h`. */
export function formatAge(iso: string | null | undefined, now: number): string {
  if (!iso) return 'never';
  return formatSeconds(Math.round((now - Date.parse(iso)) / 1000));
}

/** How long ago, as a label: `just now`, `42s ago`, `7m ago`. */
export function formatAgo(iso: string, now: number): string {
  const age = formatAge(iso, now);
  return age === 'now' ? 'just now' : `${age} ago`;
}

/** Time left until `iso`, in the same words. */
export function formatUntil(iso: string, now: number): string {
  return formatSeconds(Math.round((Date.parse(iso) - now) / 1000));
}

function formatSeconds(seconds: number): string {
  const s = Math.max(0, seconds);
  if (s < 5) return 'now';
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h ${String(m % 60).padStart(2, '0')}m`;
  return `${Math.floor(h / 24)}d ${h % 24}h`;
}

/** Local time of day (`14:02:11`), with the date when it is not today. */
export function formatClock(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return '—';
  const d = new Date(iso);
  const time = d.toLocaleTimeString('en-GB', { hour12: false });
  return new Date(now).toDateString() === d.toDateString() ? time : `${d.toLocaleDateString('en-CA')} ${time}`;
}

/** Full local date and time, for tooltips. */
export function formatDateTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  return `${d.toLocaleDateString('en-CA')} ${d.toLocaleTimeString('en-GB', { hour12: false })}`;
}

/** `cold_chain` → `cold chain`. */
export function humanize(name: string): string {
  return name.replace(/_/g, ' ');
}

/** A count with thousands separators. */
export function formatCount(n: number): string {
  return n.toLocaleString('en-GB');
}
