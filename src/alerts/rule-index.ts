import { parseDuration, type Catalog, type Rule, type Threshold } from '../core/index.js';
import { predicate, thresholdOf, type Predicate } from './conditions.js';
import { clearOf, matchedTypes } from './rule-schema.js';

/** A rule made ready for the hot path: its duration parsed, its conditions turned into functions. */
export interface CompiledRule {
  rule: Rule;
  forMs: number;
  noData: boolean;
  fire: Predicate;
  clear: Predicate;
  threshold: Threshold;
}

/** Compiles one rule; throws when its stored `for` is not a duration. */
export function compileRule(rule: Rule): CompiledRule {
  const forMs = parseDuration(rule.for);
  if (rule.condition.op === 'no_data') {
    return { rule, forMs, noData: true, fire: () => false, clear: () => false, threshold: null };
  }
  return { rule, forMs, noData: false, fire: predicate(rule.condition), clear: predicate(clearOf(rule.condition, rule.clear)), threshold: thresholdOf(rule.condition) };
}

export interface RuleIndex {
  /** Enabled value rules by `domain/type`: a reading only meets the rules that can apply to it. */
  byType: Map<string, CompiledRule[]>;
  /** Enabled `no_data` rules, for the sweep. */
  noData: CompiledRule[];
}

/** Indexes the enabled rules by the catalog types whose metric they read. */
export function indexRules(catalog: Catalog, rules: Iterable<CompiledRule>): RuleIndex {
  const byType = new Map<string, CompiledRule[]>();
  const noData: CompiledRule[] = [];
  for (const cr of rules) {
    if (!cr.rule.enabled) continue;
    if (cr.noData) { noData.push(cr); continue; }
    for (const t of matchedTypes(catalog, cr.rule.match)) {
      if (!t.metrics.has(cr.rule.metric!)) continue;
      const key = `${t.domain}/${t.type}`;
      const list = byType.get(key);
      if (list) list.push(cr); else byType.set(key, [cr]);
    }
  }
  return { byType, noData };
}
