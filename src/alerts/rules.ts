// Rules: loading and compiling them, their CRUD, and after a change the reconciling of the pairs they decide.
import { randomUUID } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import { AppError, matches, notFound, type Credit, type Rule } from '../core/index.js';
import { builtinRules, FIRST_RELEASE_BUILTIN_IDS } from './builtin-rules.js';
import { dropPending } from './pending.js';
import { release } from './recover.js';
import { compileRule, indexRules, type CompiledRule } from './rule-index.js';
import { checkRule, logRuleChange, toRule, type RuleInput } from './rule-schema.js';
import type { EngineState } from './state.js';
import { guarded, resolveAlert, SYSTEM } from './transitions.js';

function rebuildIndex(s: EngineState): void {
  ({ byType: s.byType, noData: s.noDataRules } = indexRules(s.catalog, s.compiled.values()));
}

/** Seeds the built-in rules not yet offered, then compiles every stored rule (one that does not compile is ignored). */
export function loadRules(s: EngineState, t: number): void {
  const { store, log } = s;
  const added = store.rules.seedBuiltins(builtinRules(s.catalog, t), FIRST_RELEASE_BUILTIN_IDS);
  if (added.length) log.info({ rules: added.map((r) => r.id) }, 'alert engine: built-in rules added');
  s.compiled.clear();
  for (const r of store.rules.list()) {
    try {
      s.compiled.set(r.id, compileRule(r));
    } catch (err) {
      log.error({ err, ruleId: r.id }, 'alert engine: a stored rule does not compile; it is ignored');
    }
  }
  rebuildIndex(s);
}

/** What decides when a rule fires: a change to anything else (name, message, severity) leaves its state alone. */
const evaluation = (r: Rule): unknown => JSON.parse(JSON.stringify([r.enabled, r.match, r.metric ?? null, r.condition, r.clear ?? null, r.for])); // undefined keys dropped

// After a rule's evaluation changes, its pending conditions start again; open alerts it can no longer clear are resolved.
function reconcile(s: EngineState, ruleId: string, next: CompiledRule | undefined, prev: Rule | undefined): void {
  // A rename must not drop a running `for` (with no further reading it would never fire); timers read the new rule.
  if (next && prev && isDeepStrictEqual(evaluation(next.rule), evaluation(prev))) return;
  for (const ds of [...s.devices.values()]) {
    const st = ds.rules.get(ruleId);
    if (!st) continue;
    if (st.pending) dropPending(s, ruleId, ds, st.pending);
    let why: string | undefined;
    if (!next) why = 'rule deleted';
    else if (!next.rule.enabled) why = 'rule disabled';
    else if (next.noData !== (prev?.condition.op === 'no_data') || next.rule.metric !== prev?.metric || !matches(next.rule.match, ds)) why = 'rule changed';
    // A hand-resolved pair the rule no longer covers starts afresh; otherwise it waits for the (new) clear level.
    if (st.held && why) guarded(s, 'releasing a hold after a rule change', () => release(s, ruleId, ds));
    const a = st.alertId !== undefined ? s.open.get(st.alertId) : undefined;
    if (!a) continue;
    if (why) {
      const note = why;
      guarded(s, 'resolving after a rule change', () => resolveAlert(s, a, s.now(), a.lastValue, SYSTEM, note));
    }
  }
}

export function createRule(s: EngineState, input: RuleInput, by?: Credit): Rule {
  checkRule(s.catalog, input);
  const rule = toRule(input, input.id ?? randomUUID(), s.now(), undefined, by);
  s.store.rules.create(rule);
  logRuleChange(s.log, rule.id, undefined, rule, by);
  s.compiled.set(rule.id, compileRule(rule));
  rebuildIndex(s);
  return rule;
}

export function updateRule(s: EngineState, id: string, input: RuleInput, by?: Credit): Rule {
  const prev = s.store.rules.get(id);
  if (!prev) throw notFound(`rule ${id}`);
  if (input.id !== undefined && input.id !== id) throw new AppError('bad_request', `body id: ${input.id} differs from the path's ${id}`);
  checkRule(s.catalog, input);
  const rule = toRule(input, id, s.now(), prev, by);
  s.store.rules.update(rule);
  logRuleChange(s.log, id, prev, rule, by);
  const cr = compileRule(rule);
  s.compiled.set(id, cr);
  rebuildIndex(s);
  reconcile(s, id, cr, prev);
  return rule;
}

export function deleteRule(s: EngineState, id: string, by?: Credit): void {
  const prev = s.store.rules.get(id);
  if (!prev || !s.store.rules.delete(id)) throw notFound(`rule ${id}`);
  logRuleChange(s.log, id, prev, undefined, by);
  s.compiled.delete(id);
  rebuildIndex(s);
  reconcile(s, id, undefined, prev);
}
