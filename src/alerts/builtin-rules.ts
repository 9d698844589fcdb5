import type { Catalog, Rule } from '../core/index.js';
import { checkRule, ruleInputSchema, toRule, type RuleInput } from './rule-schema.js';

type Builtin = Omit<RuleInput, 'enabled' | 'match' | 'for'> & { id: string; match: RuleInput['match']; for: string };

const wearable = { domain: 'healthcare', type: 'wearable' };

/**
 * The built-in rules of docs/contract.md section 4, editable afterwards. Each is added once to an installation: at its
 * first start, or at the first start of the release that brought the rule (engine start, `seedBuiltins`).
 * Append a new one with a new id; never reuse the id of one that was removed, nor change an id.
 */
export const BUILTIN_RULES: readonly Builtin[] = [
  { id: 'wearable-heart-rate-high', name: 'wearable heart_rate high', match: wearable, metric: 'heart_rate', condition: { op: '>', value: 130 }, clear: { op: '<', value: 120 }, for: '30s', severity: 'critical' },
  { id: 'wearable-spo2-low', name: 'wearable spo2 low', match: wearable, metric: 'spo2', condition: { op: '<', value: 90 }, clear: { op: '>', value: 92 }, for: '15s', severity: 'critical' },
  { id: 'wearable-fever', name: 'wearable fever', match: wearable, metric: 'body_temp', condition: { op: '>', value: 39 }, clear: { op: '<', value: 38.5 }, for: '60s', severity: 'warning' },
  { id: 'cold-chain-out-of-range', name: 'cold chain out of range', match: { domain: 'healthcare', type: 'cold_chain' }, metric: 'temp', condition: { op: 'outside', low: 2, high: 8 }, clear: { op: 'inside', low: 2.5, high: 7.5 }, for: '5m', severity: 'warning' },
  { id: 'traffic-congestion', name: 'traffic congestion', match: { domain: 'transport', type: 'traffic' }, metric: 'speed', condition: { op: '<', value: 10 }, clear: { op: '>', value: 20 }, for: '5m', severity: 'info' },
  { id: 'carbon-monoxide', name: 'carbon monoxide', match: { domain: 'safety', type: 'gas' }, metric: 'co', condition: { op: '>', value: 50 }, clear: { op: '<', value: 35 }, for: '0', severity: 'critical' },
  { id: 'methane-warning', name: 'methane warning', match: { domain: 'safety', type: 'gas' }, metric: 'ch4', condition: { op: '>', value: 10 }, clear: { op: '<', value: 8 }, for: '0', severity: 'warning' },
  { id: 'methane-critical', name: 'methane critical', match: { domain: 'safety', type: 'gas' }, metric: 'ch4', condition: { op: '>', value: 20 }, clear: { op: '<', value: 15 }, for: '0', severity: 'critical' },
  { id: 'smoke', name: 'smoke', match: { domain: 'safety', type: 'smoke' }, metric: 'obscuration', condition: { op: '>', value: 10 }, clear: { op: '<', value: 5 }, for: '0', severity: 'critical' },
  { id: 'flood-warning', name: 'flood warning', match: { domain: 'safety', type: 'flood' }, metric: 'water_level', condition: { op: '>', value: 150 }, clear: { op: '<', value: 140 }, for: '1m', severity: 'warning' },
  { id: 'flood-critical', name: 'flood critical', match: { domain: 'safety', type: 'flood' }, metric: 'water_level', condition: { op: '>', value: 250 }, clear: { op: '<', value: 240 }, for: '1m', severity: 'critical' },
  { id: 'noise', name: 'noise', match: { domain: 'safety', type: 'noise' }, metric: 'level', condition: { op: '>', value: 85 }, clear: { op: '<', value: 80 }, for: '10m', severity: 'warning' },
  { id: 'fine-dust', name: 'fine dust', match: { domain: 'safety', type: 'air' }, metric: 'pm25', condition: { op: '>', value: 75 }, clear: { op: '<', value: 60 }, for: '10m', severity: 'warning' },
  { id: 'structural-vibration', name: 'structural vibration', match: { domain: 'safety', type: 'structure' }, metric: 'vibration', condition: { op: '>', value: 20 }, clear: { op: '<', value: 15 }, for: '0', severity: 'critical' },
  { id: 'device-stale', name: 'device stale', match: {}, condition: { op: 'no_data' }, for: '0', severity: 'warning' },
];

/**
 * The built-in rules of 0.1.0, whose databases record only that rules were seeded (not which): such an installation
 * was offered these at its first start, and only the built-in rules added since are new to it. Never edit.
 */
export const FIRST_RELEASE_BUILTIN_IDS: readonly string[] = [
  'wearable-heart-rate-high', 'wearable-spo2-low', 'wearable-fever', 'cold-chain-out-of-range', 'traffic-congestion', 'carbon-monoxide',
  'smoke', 'flood-warning', 'flood-critical', 'noise', 'fine-dust', 'structural-vibration', 'device-stale',
];

/** The built-in rules that fit this catalog (a replaced catalog may lack some types). */
export function builtinRules(catalog: Catalog, now: number): Rule[] {
  const out: Rule[] = [];
  for (const b of BUILTIN_RULES) {
    const input = ruleInputSchema.parse(b);
    try {
      checkRule(catalog, input);
    } catch {
      continue;
    }
    out.push({ ...toRule(input, b.id, now), builtin: true });
  }
  return out;
}
