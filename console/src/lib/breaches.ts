// Which of a device's values breach the rules that apply to it: what colours the value tiles of its page.
import { SEVERITY_RANK } from './alert-board.js';
import type { Alert, Condition, Device, Rule, Severity } from '../types.js';

export type Latest = Device['latest'];

/** The newest value of a metric: the device's own `latest`, or the history's newest point when that is newer. */
export function latestOf(device: Device, newest: Latest, name: string): { v: number | boolean; t: string } | undefined {
  const own = device.latest[name];
  const fromHistory = newest[name];
  return fromHistory && (!own || Date.parse(fromHistory.t) > Date.parse(own.t)) ? fromHistory : own;
}

/** The enabled rules on a metric that apply to this device. */
export function rulesFor(device: Device, rules: Rule[]): (Rule & { metric: string })[] {
  return rules.filter((r): r is Rule & { metric: string } => {
    if (!r.enabled || !r.metric) return false;
    const m = r.match;
    return !((m.domain && m.domain !== device.domain) || (m.type && m.type !== device.type) || (m.deviceId && m.deviceId !== device.id) || (m.district && m.district !== device.district));
  });
}

/** True when `v` meets the rule condition (the value breaches the rule). */
function holds(c: Condition, v: number): boolean {
  switch (c.op) {
    case '>': return v > c.value;
    case '>=': return v >= c.value;
    case '<': return v < c.value;
    case '<=': return v <= c.value;
    case 'outside': return v < c.low || v > c.high;
    case 'inside': return v >= c.low && v <= c.high;
    default: return false;
  }
}

/**
 * The worst severity per metric among the device's active alerts on it and the rules its latest value breaches
 * (a breach still waiting for its `for` counts too): what colours a value tile.
 */
export function breachesOf(device: Device, active: Alert[], rules: Rule[], newest: Latest): Map<string, Severity> {
  const out = new Map<string, Severity>();
  const note = (metric: string, s: Severity) => {
    const cur = out.get(metric);
    if (!cur || SEVERITY_RANK[s] > SEVERITY_RANK[cur]) out.set(metric, s);
  };
  for (const a of active) if (a.metric) note(a.metric, a.severity);
  for (const r of rulesFor(device, rules)) {
    const l = latestOf(device, newest, r.metric);
    if (l && typeof l.v === 'number' && holds(r.condition, l.v)) note(r.metric, r.severity);
  }
  return out;
}

