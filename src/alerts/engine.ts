import { randomUUID } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import cron from 'node-cron';
import { AppError, conflict, notFound, type Reading } from '../core/index.js';
import type { Alert, Credit, NewAlert, Rule, Silence, Threshold, TransitionInput } from '../storage/index.js';
import { builtinRules, FIRST_RELEASE_BUILTIN_IDS } from './builtin-rules.js';
import { describe } from './conditions.js';
import { eventTime, inEventOrder, matchesAll, matchesDevice, noDataLimitMs, pendingDueAt, step as decide, valueFor, type PairState } from './evaluate.js';
import { createAlertMetrics } from './metrics.js';
import { compileRule, indexRules, type CompiledRule } from './rule-index.js';
import { checkRule, logRuleChange, toRule, type RuleInput } from './rule-schema.js';
import { createSilenceBook, type Silenceable } from './silences.js';
import type { AlertEngine, AlertEngineDeps, PushKind, SilenceInput, TransitionListener } from './types.js';

interface Pending {
  kind: 'pending';
  ruleId: string;
  since: number;
  /** The newest breaching value (what a timer fires with) and its reading's event time. */
  value: number;
  lastAt: number;
  /** Wall-clock time its timer fires at (persisted, so a restart keeps it). */
  dueAt: number;
  timer?: NodeJS.Timeout;
}

interface RuleState {
  alertId?: number;
  pending?: Pending;
  /** Its alert was resolved by hand: no new episode until the clear condition holds (for no_data: data again). */
  held?: true;
}

interface DeviceState {
  id: string;
  domain: string;
  type: string;
  district: string | null;
  registered: boolean;
  infoAt: number;
  lastTs: number;
  /** Only (rule, device) pairs that are pending, open or held: idle ones take no memory. */
  rules: Map<string, RuleState>;
}

const SYSTEM = 'system' as const;
const HELD: PairState = { kind: 'held' };
const OPEN: PairState = { kind: 'open' };
const INFO_TTL_MS = 60_000;
const MAX_TIMER_MS = 2_147_483_647;

/** Builds the alert engine: rules, the per-(rule, device) state machine, silences, the stale sweep. */
export function createAlertEngine(deps: AlertEngineDeps): AlertEngine {
  const { catalog, store, log } = deps;
  const now = deps.now ?? Date.now;
  const flushIntervalMs = deps.flushIntervalMs ?? 2000;

  const compiled = new Map<string, CompiledRule>();
  let byType = new Map<string, CompiledRule[]>();
  let noDataRules: CompiledRule[] = [];
  const devices = new Map<string, DeviceState>();
  const open = new Map<number, Alert>();
  const listeners = new Set<TransitionListener>();
  const dirtyAlerts = new Set<number>();
  const dirtyDevices = new Set<DeviceState>();
  /** Pending conditions whose newest value is not written yet (written with the last values, in one transaction). */
  const dirtyPending = new Map<Pending, DeviceState>();
  let book = createSilenceBook([]);
  let started = false;
  let pendingCount = 0;
  let sweepTask: ReturnType<typeof cron.schedule> | undefined;
  let flushTimer: NodeJS.Timeout | undefined;
  let silenceTimer: NodeJS.Timeout | undefined;

  const metrics = createAlertMetrics(deps.metrics, {
    active() {
      const counts = new Map<string, number>([['info', 0], ['warning', 0], ['critical', 0]]);
      for (const a of open.values()) counts.set(a.severity, (counts.get(a.severity) ?? 0) + 1);
      return counts;
    },
    pending: () => pendingCount,
    rules: () => [...compiled.values()].filter((c) => c.rule.enabled).length,
  });

  // ---- rules ----

  function rebuildIndex(): void {
    ({ byType, noData: noDataRules } = indexRules(catalog, compiled.values()));
  }

  // ---- notifications and transitions ----

  function notify(alert: Alert, kind: PushKind): void {
    for (const l of listeners) {
      try {
        l(alert, kind);
      } catch (err) {
        log.error({ err }, 'alert transition listener failed');
      }
    }
  }

  function messageFor(cr: CompiledRule, ds: DeviceState, value: number | null): string {
    const r = cr.rule;
    const text = r.message ?? (cr.noData ? `${r.name}: no data from {deviceId} for {value} s` : `${r.name}: {metric} {value} ({condition})`);
    const fields: Record<string, string> = {
      deviceId: ds.id, district: ds.district ?? '', metric: r.metric ?? '', value: value === null ? '' : String(value),
      threshold: JSON.stringify(cr.threshold), condition: describe(r.condition), rule: r.name, severity: r.severity,
    };
    return text.replace(/\{(\w+)\}/g, (m, k: string) => fields[k] ?? m);
  }

  /** Opens an alert at `at`; `lastAt` is the event time of the reading `value` came from (a timer fires later). */
  function fire(cr: CompiledRule, ds: DeviceState, value: number | null, at: number, threshold: Threshold = cr.threshold, lastAt = at): void {
    const r = cr.rule;
    const who: Silenceable = { ruleId: r.id, deviceId: ds.id, domain: ds.domain, type: ds.type, district: ds.district };
    const fresh: NewAlert = {
      ...who, ruleName: r.name, metric: r.metric ?? null, severity: r.severity, state: 'firing', message: messageFor(cr, ds, value),
      value, threshold, firedAt: at, acknowledgedAt: null, acknowledgedBy: null, resolvedAt: null, resolvedBy: null,
      lastValue: cr.noData ? null : value, lastValueAt: cr.noData ? null : lastAt, silenced: book.covers(who, now()),
    };
    const alert = store.alerts.open(fresh, { kind: 'fired', at, value, actor: SYSTEM });
    open.set(alert.id, alert);
    ds.rules.set(r.id, { alertId: alert.id });
    metrics.transitions.inc({ kind: 'fired', severity: alert.severity });
    notify(alert, 'fired');
  }

  function apply(alert: Alert, next: Alert, t: TransitionInput, push: PushKind | null): Alert {
    const saved = store.alerts.transition(next, t);
    if (saved.state === 'resolved') {
      open.delete(saved.id);
      dirtyAlerts.delete(saved.id);
      const ds = devices.get(saved.deviceId);
      if (ds?.rules.get(saved.ruleId)?.alertId === saved.id) ds.rules.delete(saved.ruleId);
    } else {
      open.set(saved.id, saved);
    }
    metrics.transitions.inc({ kind: t.kind, severity: alert.severity });
    if (push) notify(saved, push);
    return saved;
  }

  // `by`: who resolved it by hand, or SYSTEM (the engine: no id).
  function resolveAlert(a: Alert, at: number, value: number | null, by: Credit | typeof SYSTEM, note?: string): Alert {
    const actor = by === SYSTEM ? SYSTEM : by.name;
    const actorId = by === SYSTEM ? null : by.id;
    return apply(a, { ...a, state: 'resolved', resolvedAt: at, resolvedBy: actor, resolvedById: actorId }, { kind: 'resolved', at, value, actor, actorId, ...(note ? { note } : {}) }, 'resolved');
  }

  // A failing store must not break ingest: the transition is logged, counted and retried by the next reading.
  function failed(what: string, err: unknown): void {
    metrics.errors.inc();
    log.error({ err }, `alert engine: ${what} failed`);
  }
  function guarded(what: string, fn: () => void): void {
    try {
      fn();
    } catch (err) {
      failed(what, err);
    }
  }

  // ---- pending `for` conditions ----

  function schedule(cr: CompiledRule, ds: DeviceState, p: Pending, dueAt: number): void {
    p.timer = setTimeout(() => onDue(cr.rule.id, ds, p), Math.min(Math.max(0, dueAt - now()), MAX_TIMER_MS));
    p.timer.unref();
  }

  function onDue(ruleId: string, ds: DeviceState, p: Pending): void {
    p.timer = undefined;
    const st = ds.rules.get(ruleId);
    const cr = compiled.get(ruleId);
    if (!started || st?.pending !== p || !cr) return;
    guarded('firing a pending alert', () => firePending(cr, ds, p, pendingDueAt(cr, p.since)));
  }

  function startPending(cr: CompiledRule, ds: DeviceState, value: number, at: number): void {
    const dueAt = now() + cr.forMs;
    const p: Pending = { kind: 'pending', ruleId: cr.rule.id, since: at, value, lastAt: at, dueAt };
    store.state.putPending({ ruleId: cr.rule.id, deviceId: ds.id, since: at, value, lastAt: at, dueAt });
    ds.rules.set(cr.rule.id, { pending: p });
    pendingCount++;
    schedule(cr, ds, p, dueAt);
  }

  function dropPending(ruleId: string, ds: DeviceState, p: Pending): void {
    if (p.timer) clearTimeout(p.timer);
    p.timer = undefined;
    if (ds.rules.get(ruleId)?.pending === p) ds.rules.delete(ruleId);
    dirtyPending.delete(p);
    pendingCount--;
    store.state.deletePending(ruleId, ds.id);
  }

  function release(ruleId: string, ds: DeviceState): void {
    ds.rules.delete(ruleId);
    store.state.deleteHold(ruleId, ds.id);
  }

  function firePending(cr: CompiledRule, ds: DeviceState, p: Pending, at: number): void {
    // Open first, then forget the pending row: a crash between leaves a pending that start() drops. If
    // opening fails, the pending stays and the next breaching reading tries again.
    if (p.timer) clearTimeout(p.timer);
    p.timer = undefined;
    fire(cr, ds, p.value, at, cr.threshold, p.lastAt);
    dirtyPending.delete(p);
    pendingCount--;
    store.state.deletePending(cr.rule.id, ds.id);
  }

  // ---- evaluation ----

  function deviceFor(r: Reading): DeviceState {
    const t = now();
    let ds = devices.get(r.deviceId);
    if (!ds) {
      ds = { id: r.deviceId, domain: r.domain, type: r.type, district: null, registered: false, infoAt: 0, lastTs: 0, rules: new Map() };
      devices.set(r.deviceId, ds);
    }
    if (t - ds.infoAt > INFO_TTL_MS) {
      ds.infoAt = t;
      const info = deps.devices.get(ds.id);
      if (info) {
        ds.district = info.district ?? null;
        ds.registered = true;
      }
    }
    ds.domain = r.domain;
    ds.type = r.type;
    return ds;
  }

  /** Carries out what the state machine (evaluate.ts) decides for one value: the store, timers and pushes. */
  function step(cr: CompiledRule, ds: DeviceState, v: number, ts: number): void {
    const st = ds.rules.get(cr.rule.id);
    const a = st?.alertId !== undefined ? open.get(st.alertId) : undefined;
    if (st?.alertId !== undefined && !a) { ds.rules.delete(cr.rule.id); return; }
    const p = st?.pending;
    const s = decide(cr, st?.held ? HELD : a ? OPEN : p, v, ts);
    switch (s.do) {
      case 'none': return;
      case 'release': return release(cr.rule.id, ds);
      case 'resolve': return void resolveAlert({ ...a!, lastValue: v, lastValueAt: ts }, ts, v, SYSTEM);
      case 'update':
        a!.lastValue = v;
        a!.lastValueAt = ts;
        dirtyAlerts.add(a!.id);
        return;
      case 'cancel': return dropPending(cr.rule.id, ds, p!);
      case 'extend':
        p!.value = v;
        p!.lastAt = ts;
        dirtyPending.set(p!, ds);
        return;
      case 'start': return startPending(cr, ds, v, ts);
      case 'fire':
        if (!p) return fire(cr, ds, v, ts);
        p.value = v;
        p.lastAt = ts;
        return firePending(cr, ds, p, ts);
    }
  }

  function evaluateOne(r: Reading): void {
    const ds = deviceFor(r);
    dirtyDevices.add(ds);
    const ts = eventTime(r);
    if (ts < ds.lastTs) {
      metrics.outOfOrder.inc();
      return;
    }
    ds.lastTs = ts;
    if (ds.rules.size > 0) {
      // Data again: a device's open no_data alerts resolve, and those resolved by hand may fire again.
      for (const [ruleId, st] of ds.rules) {
        if (!compiled.get(ruleId)?.noData) continue;
        if (st.held) { guarded('releasing a no_data hold', () => release(ruleId, ds)); continue; }
        const a = st.alertId !== undefined ? open.get(st.alertId) : undefined;
        if (a) guarded('resolving a no_data alert', () => resolveAlert(a, r.receivedAt, null, SYSTEM, 'data again'));
      }
    }
    const rules = byType.get(`${r.domain}/${r.type}`);
    if (!rules) return;
    for (const cr of rules) {
      if (!matchesDevice(cr.rule, ds)) continue;
      const v = valueFor(cr, r.values);
      if (v === undefined) continue;
      try {
        step(cr, ds, v, ts);
      } catch (err) {
        failed('evaluating a reading', err);
      }
    }
  }

  function evaluate(readings: readonly Reading[]): void {
    if (!started) return;
    // Event-time order per device: a batch out of time order is evaluated sorted; readings older than what a
    // device already showed cause no transition.
    for (const r of inEventOrder(readings)) evaluateOne(r);
  }

  // ---- silences ----

  function endSilences(): void {
    const t = now();
    book.prune(t);
    for (const a of [...open.values()]) {
      if (!a.silenced || book.covers(a, t)) continue;
      guarded('ending a silence', () => {
        apply(a, { ...a, silenced: false }, { kind: 'unsilenced', at: t, value: a.lastValue, actor: SYSTEM }, a.state === 'firing' ? 'fired' : 'acknowledged');
      });
    }
  }

  function scheduleSilenceEnd(): void {
    if (silenceTimer) clearTimeout(silenceTimer);
    silenceTimer = undefined;
    if (!started) return;
    const t = now();
    const next = book.nextEnd(t);
    if (next === undefined) return;
    silenceTimer = setTimeout(() => {
      endSilences();
      scheduleSilenceEnd();
    }, Math.min(next - t + 1, MAX_TIMER_MS));
    silenceTimer.unref();
  }

  // ---- stale sweep ----

  function forget(ds: DeviceState, note: string): void {
    for (const [ruleId, st] of [...ds.rules]) {
      if (st.held) release(ruleId, ds);
      if (st.pending) dropPending(ruleId, ds, st.pending);
      const a = st.alertId !== undefined ? open.get(st.alertId) : undefined;
      if (a) resolveAlert(a, now(), a.lastValue, SYSTEM, note);
    }
    devices.delete(ds.id);
    dirtyDevices.delete(ds);
    store.state.deleteWatermark(ds.id);
  }

  const isDeleted = (ds: DeviceState) => ds.registered && deps.devices.get(ds.id) === undefined;

  function sweep(): void {
    if (!started) return;
    const t = now();
    endSilences();
    for (const ds of [...devices.values()]) {
      guarded('sweeping a device', () => {
        if (ds.rules.size > 0 && isDeleted(ds)) return forget(ds, 'device deleted');
        const sensor = catalog.get(ds.domain, ds.type);
        if (!sensor) return;
        for (const cr of noDataRules) {
          if (!matchesAll(cr.rule, ds)) continue;
          const limit = noDataLimitMs(cr, sensor);
          const st = ds.rules.get(cr.rule.id);
          // lastSeen, goodbyes and the definition of stale are device status's (deps.status).
          const lastSeen = deps.status.lastSeen(ds.id) ?? 0;
          if (st?.held) {
            if (t - lastSeen <= limit) release(cr.rule.id, ds);
            continue;
          }
          if (st?.alertId !== undefined) {
            const a = open.get(st.alertId);
            if (a && t - lastSeen <= limit) resolveAlert(a, t, null, SYSTEM, 'data again');
            continue;
          }
          if (!deps.status.isStale(ds.id, limit, t)) continue;
          if (isDeleted(ds)) return forget(ds, 'device deleted');
          fire(cr, ds, Math.round((t - lastSeen) / 1000), t, limit / 1000);
        }
      });
    }
    flush();
  }

  function flush(): void {
    guarded('flushing alert state', () => {
      const values = [...dirtyAlerts].flatMap((id) => {
        const a = open.get(id);
        return a ? [{ id, lastValue: a.lastValue, lastValueAt: a.lastValueAt }] : [];
      });
      dirtyAlerts.clear();
      store.alerts.updateLastValues(values);
      const marks = [...dirtyDevices].map((ds) => ({
        deviceId: ds.id, domain: ds.domain, type: ds.type, district: ds.district, lastTs: ds.lastTs, registered: ds.registered,
      }));
      dirtyDevices.clear();
      store.state.putWatermarks(marks);
      // Only conditions still pending: one fired or dropped since has already had its row deleted.
      const pending = [...dirtyPending].flatMap(([p, ds]) =>
        devices.get(ds.id) === ds && ds.rules.get(p.ruleId)?.pending === p ? [{ ruleId: p.ruleId, deviceId: ds.id, since: p.since, value: p.value, lastAt: p.lastAt, dueAt: p.dueAt }] : []);
      dirtyPending.clear();
      store.state.putPendings(pending);
    });
  }

  // ---- lifecycle ----

  function stateFor(deviceId: string, domain: string, type: string, district: string | null): DeviceState {
    let ds = devices.get(deviceId);
    if (!ds) {
      ds = { id: deviceId, domain, type, district, registered: false, infoAt: 0, lastTs: 0, rules: new Map() };
      devices.set(deviceId, ds);
    }
    return ds;
  }

  async function start(): Promise<void> {
    if (started) return;
    const t = now();
    const added = store.rules.seedBuiltins(builtinRules(catalog, t), FIRST_RELEASE_BUILTIN_IDS);
    if (added.length) log.info({ rules: added.map((r) => r.id) }, 'alert engine: built-in rules added');
    compiled.clear();
    for (const r of store.rules.list()) {
      try {
        compiled.set(r.id, compileRule(r));
      } catch (err) {
        log.error({ err, ruleId: r.id }, 'alert engine: a stored rule does not compile; it is ignored');
      }
    }
    rebuildIndex();
    book = createSilenceBook(store.silences.list().filter((s) => s.to > t));
    for (const m of store.state.watermarks()) {
      // A watermark in the future was written before event times were capped at the receive time: no later.
      const lastTs = Math.min(m.lastTs, t);
      devices.set(m.deviceId, { id: m.deviceId, domain: m.domain, type: m.type, district: m.district, registered: m.registered, infoAt: 0, lastTs, rules: new Map() });
    }
    for (const a of store.alerts.active()) {
      open.set(a.id, a);
      stateFor(a.deviceId, a.domain, a.type, a.district).rules.set(a.ruleId, { alertId: a.id });
    }
    for (const { ruleId, deviceId } of store.state.holds()) {
      const cr = compiled.get(ruleId);
      const ds = devices.get(deviceId);
      if (!cr || !cr.rule.enabled || !ds || ds.rules.has(ruleId)) store.state.deleteHold(ruleId, deviceId);
      else ds.rules.set(ruleId, { held: true });
    }
    started = true;
    for (const p of store.state.pending()) {
      const cr = compiled.get(p.ruleId);
      const ds = devices.get(p.deviceId);
      if (!cr || !cr.rule.enabled || cr.noData || !ds || ds.rules.has(p.ruleId)) {
        store.state.deletePending(p.ruleId, p.deviceId);
        continue;
      }
      // The `for` goes on from where it was: a timer already due fires right after start.
      const pending: Pending = { kind: 'pending', ruleId: p.ruleId, since: p.since, value: p.value, lastAt: p.lastAt, dueAt: p.dueAt };
      ds.rules.set(p.ruleId, { pending });
      pendingCount++;
      schedule(cr, ds, pending, p.dueAt);
    }
    if (deps.sweepSchedule !== false) {
      sweepTask = cron.schedule(deps.sweepSchedule ?? '*/10 * * * * *', () => sweep(), { name: 'citysense-stale-sweep', noOverlap: true });
    }
    flushTimer = setInterval(flush, flushIntervalMs);
    flushTimer.unref();
    scheduleSilenceEnd();
    log.info({ rules: compiled.size, openAlerts: open.size, pending: pendingCount }, 'alert engine started');
  }

  async function stop(): Promise<void> {
    if (!started) return;
    started = false;
    await sweepTask?.destroy();
    sweepTask = undefined;
    if (flushTimer) clearInterval(flushTimer);
    if (silenceTimer) clearTimeout(silenceTimer);
    for (const ds of devices.values()) for (const st of ds.rules.values()) if (st.pending?.timer) clearTimeout(st.pending.timer);
    flush();
    devices.clear();
    open.clear();
    dirtyPending.clear();
    pendingCount = 0;
  }

  // ---- operator actions ----

  function mustFind(id: number): Alert {
    const a = open.get(id) ?? store.alerts.get(id);
    if (!a) throw notFound(`alert ${id}`);
    return a;
  }

  function ack(id: number, by: Credit, note?: string): Alert {
    const a = mustFind(id);
    if (a.state === 'resolved') throw conflict(`alert ${id} is already resolved`);
    if (a.state === 'acknowledged') return a;
    const t = now();
    return apply(a, { ...a, state: 'acknowledged', acknowledgedAt: t, acknowledgedBy: by.name, acknowledgedById: by.id }, { kind: 'acknowledged', at: t, value: a.lastValue, actor: by.name, actorId: by.id, ...(note ? { note } : {}) }, 'acknowledged');
  }

  function resolve(id: number, by: Credit, note?: string): Alert {
    const a = mustFind(id);
    if (a.state === 'resolved') throw conflict(`alert ${id} is already resolved`);
    const ds = devices.get(a.deviceId);
    const cr = compiled.get(a.ruleId);
    // A breach that goes on is still this episode (docs/contract.md 5.2): the pair waits for its clear condition. The
    // hold is written first: a crash before the resolve leaves a hold that start() drops beside the open alert.
    const hold = ds !== undefined && cr?.rule.enabled === true && ds.rules.get(a.ruleId)?.alertId === a.id;
    if (hold) {
      store.state.putHold(a.ruleId, a.deviceId);
      dirtyDevices.add(ds);
      flush(); // the device's watermark too: start() keeps only holds of devices it knows
    }
    const resolved = resolveAlert(a, now(), a.lastValue, by, note);
    if (hold) ds.rules.set(a.ruleId, { held: true });
    return resolved;
  }

  // ---- rule changes ----

  /** What decides when a rule fires: a change to anything else (name, message, severity) leaves its state alone. */
  const evaluation = (r: Rule): unknown => JSON.parse(JSON.stringify([r.enabled, r.match, r.metric ?? null, r.condition, r.clear ?? null, r.for])); // undefined keys dropped

  // After a rule's evaluation changes, its pending conditions start again; open alerts it can no longer clear are resolved.
  function reconcile(ruleId: string, next: CompiledRule | undefined, prev: Rule | undefined): void {
    // A rename must not drop a running `for` (with no further reading it would never fire); timers read the new rule.
    if (next && prev && isDeepStrictEqual(evaluation(next.rule), evaluation(prev))) return;
    for (const ds of [...devices.values()]) {
      const st = ds.rules.get(ruleId);
      if (!st) continue;
      if (st.pending) dropPending(ruleId, ds, st.pending);
      let why: string | undefined;
      if (!next) why = 'rule deleted';
      else if (!next.rule.enabled) why = 'rule disabled';
      else if (next.noData !== (prev?.condition.op === 'no_data') || next.rule.metric !== prev?.metric || !matchesAll(next.rule, ds)) why = 'rule changed';
      // A hand-resolved pair the rule no longer covers starts afresh; otherwise it waits for the (new) clear level.
      if (st.held && why) guarded('releasing a hold after a rule change', () => release(ruleId, ds));
      const a = st.alertId !== undefined ? open.get(st.alertId) : undefined;
      if (!a) continue;
      if (why) {
        const note = why;
        guarded('resolving after a rule change', () => resolveAlert(a, now(), a.lastValue, SYSTEM, note));
      }
    }
  }

  function createRule(input: RuleInput, by?: Credit): Rule {
    checkRule(catalog, input);
    const rule = toRule(input, input.id ?? randomUUID(), now(), undefined, by);
    store.rules.create(rule);
    logRuleChange(log, rule.id, undefined, rule, by);
    compiled.set(rule.id, compileRule(rule));
    rebuildIndex();
    return rule;
  }

  function updateRule(id: string, input: RuleInput, by?: Credit): Rule {
    const prev = store.rules.get(id);
    if (!prev) throw notFound(`rule ${id}`);
    if (input.id !== undefined && input.id !== id) throw new AppError('bad_request', `body id: ${input.id} differs from the path's ${id}`);
    checkRule(catalog, input);
    const rule = toRule(input, id, now(), prev, by);
    store.rules.update(rule);
    logRuleChange(log, id, prev, rule, by);
    const cr = compileRule(rule);
    compiled.set(id, cr);
    rebuildIndex();
    reconcile(id, cr, prev);
    return rule;
  }

  function deleteRule(id: string, by?: Credit): void {
    const prev = store.rules.get(id);
    if (!prev || !store.rules.delete(id)) throw notFound(`rule ${id}`);
    logRuleChange(log, id, prev, undefined, by);
    compiled.delete(id);
    rebuildIndex();
    reconcile(id, undefined, prev);
  }

  // ---- silences ----

  function createSilence(input: SilenceInput, by: Credit): Silence {
    if (input.match.ruleId !== undefined && !compiled.has(input.match.ruleId)) {
      throw new AppError('bad_request', `body match.ruleId: no rule ${input.match.ruleId}`);
    }
    const silence: Silence = { id: randomUUID(), match: input.match, from: input.from, to: input.to, reason: input.reason, createdBy: by.name, createdById: by.id, createdAt: now() };
    store.silences.create(silence);
    book.add(silence);
    scheduleSilenceEnd();
    return silence;
  }

  function deleteSilence(id: string): void {
    if (!store.silences.delete(id)) throw notFound(`silence ${id}`);
    book.remove(id);
    endSilences();
    scheduleSilenceEnd();
  }

  return {
    start,
    stop,
    ready: () => started,
    evaluate,
    onTransition(listener) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
    ack,
    resolve,
    sweep,
    getAlert(id) {
      const a = open.get(id) ?? store.alerts.get(id);
      return a ? { ...a, transitions: store.alerts.transitions(id) } : undefined;
    },
    listAlerts(q) {
      const rows = store.alerts.list({ states: q.states, severity: q.severity, domain: q.domain, deviceId: q.deviceId, from: q.from, to: q.to, before: q.cursor, limit: q.limit + 1 });
      const items = rows.slice(0, q.limit).map((a) => open.get(a.id) ?? a);
      return rows.length > q.limit ? { items, nextCursor: items[items.length - 1]!.id } : { items };
    },
    activeAlerts: () => [...open.values()],
    eventsAfter: (eventId, limit) => store.alerts.eventsAfter(eventId, limit),
    listRules: () => store.rules.list(),
    getRule: (id) => store.rules.get(id),
    createRule,
    updateRule,
    deleteRule,
    listSilences: () => store.silences.list(),
    getSilence: (id) => store.silences.get(id),
    createSilence,
    deleteSilence,
  };
}
