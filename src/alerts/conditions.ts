import type { Condition, Threshold, ValueCondition } from '../core/index.js';

export type Predicate = (v: number) => boolean;

/** The test a condition makes of one value (`inside` includes its bounds; `outside` excludes them). */
export function predicate(c: ValueCondition): Predicate {
  switch (c.op) {
    case '>': return (v) => v > c.value;
    case '>=': return (v) => v >= c.value;
    case '<': return (v) => v < c.value;
    case '<=': return (v) => v <= c.value;
    case 'inside': return (v) => v >= c.low && v <= c.high;
    case 'outside': return (v) => v < c.low || v > c.high;
  }
}

/** The exact complement: the default `clear` of a rule (docs/contract.md 5.1). */
export function negate(c: ValueCondition): ValueCondition {
  switch (c.op) {
    case '>': return { op: '<=', value: c.value };
    case '>=': return { op: '<', value: c.value };
    case '<': return { op: '>=', value: c.value };
    case '<=': return { op: '>', value: c.value };
    case 'inside': return { op: 'outside', low: c.low, high: c.high };
    case 'outside': return { op: 'inside', low: c.low, high: c.high };
  }
}

const bounds = (c: ValueCondition) => ('value' in c ? [c.value] : [c.low, c.high]);

/**
 * True when some value satisfies both conditions (a rule whose clear overlaps its condition would fire and
 * clear on the same reading). Both are unions of intervals, so testing every bound, the midpoints between
 * bounds and a point beyond each end is exhaustive.
 */
export function overlaps(a: ValueCondition, b: ValueCondition): boolean {
  const pa = predicate(a);
  const pb = predicate(b);
  const points = [...new Set([...bounds(a), ...bounds(b)])].sort((x, y) => x - y);
  const probes = [points[0]! - 1, points[points.length - 1]! + 1, ...points];
  for (let i = 1; i < points.length; i++) probes.push((points[i - 1]! + points[i]!) / 2);
  return probes.some((v) => pa(v) && pb(v));
}

/** The alert's `threshold` field for a condition. */
export function thresholdOf(c: Condition): Threshold {
  if (c.op === 'no_data') return null;
  return 'value' in c ? c.value : { low: c.low, high: c.high };
}

/** A short human form: `> 130`, `outside 2–8`. */
export function describe(c: Condition): string {
  if (c.op === 'no_data') return 'no data';
  return 'value' in c ? `${c.op} ${c.value}` : `${c.op} ${c.low}–${c.high}`;
}
