// The alert engine's wiring: one state object (state.ts) shared by the parts that work on it, the lifecycle
// (start, stop) with its schedules, and the public face (types.ts AlertEngine).
import cron from 'node-cron';
import { ack, resolve } from './actions.js';
import { clearPendingTimers } from './pending.js';
import { queries } from './queries.js';
import { evaluate } from './readings.js';
import { recover, resumePendings } from './recover.js';
import { createRule, deleteRule, loadRules, updateRule } from './rules.js';
import { createSilenceBook } from './silences.js';
import { createSilence, deleteSilence, scheduleSilenceEnd } from './silencing.js';
import { createEngineState } from './state.js';
import { deviceDeleted, sweep } from './sweep.js';
import type { AlertEngine, AlertEngineDeps } from './types.js';
import { flush } from './write-behind.js';

/** Builds the alert engine: rules, the per-(rule, device) state machine, silences, the stale sweep. */
export function createAlertEngine(deps: AlertEngineDeps): AlertEngine {
  const s = createEngineState(deps);
  const flushIntervalMs = deps.flushIntervalMs ?? 2000;
  let sweepTask: ReturnType<typeof cron.schedule> | undefined;
  let flushTimer: NodeJS.Timeout | undefined;

  async function start(): Promise<void> {
    if (s.started) return;
    const t = s.now();
    loadRules(s, t);
    s.book = createSilenceBook(s.store.silences.list().filter((x) => x.to > t));
    recover(s, t);
    s.started = true;
    resumePendings(s);
    if (deps.sweepSchedule !== false) {
      sweepTask = cron.schedule(deps.sweepSchedule ?? '*/10 * * * * *', () => sweep(s), { name: 'citysense-stale-sweep', noOverlap: true });
    }
    flushTimer = setInterval(() => flush(s), flushIntervalMs);
    flushTimer.unref();
    scheduleSilenceEnd(s);
    s.log.info({ rules: s.compiled.size, openAlerts: s.open.size, pending: s.pendingCount }, 'alert engine started');
  }

  async function stop(): Promise<void> {
    if (!s.started) return;
    s.started = false;
    await sweepTask?.destroy();
    sweepTask = undefined;
    if (flushTimer) clearInterval(flushTimer);
    if (s.silenceTimer) clearTimeout(s.silenceTimer);
    clearPendingTimers(s);
    flush(s);
    s.devices.clear();
    s.open.clear();
    s.dirty.pending.clear();
    s.pendingCount = 0;
  }

  return {
    start,
    stop,
    ready: () => s.started,
    evaluate: (readings) => evaluate(s, readings),
    onTransition(listener) {
      s.listeners.add(listener);
      return () => void s.listeners.delete(listener);
    },
    ack: (id, by, note) => ack(s, id, by, note),
    resolve: (id, by, note) => resolve(s, id, by, note),
    sweep: () => sweep(s),
    deviceDeleted: (deviceId) => deviceDeleted(s, deviceId),
    ...queries(s),
    createRule: (input, by) => createRule(s, input, by),
    updateRule: (id, input, by) => updateRule(s, id, input, by),
    deleteRule: (id, by) => deleteRule(s, id, by),
    createSilence: (input, by) => createSilence(s, input, by),
    deleteSilence: (id) => deleteSilence(s, id),
  };
}
