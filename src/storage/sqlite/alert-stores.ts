import type { Database } from 'better-sqlite3';
import { conflict, type Alert, type AlertEvent, type AlertQuery, type NewAlert, type Rule, type Silence, type Transition, type TransitionInput } from '../../core/index.js';
import type {
  AlertStateStore,
  AlertStore,
  AlertStores,
  DeviceWatermark,
  PendingState,
  RecordHook,
  RuleStore,
  SilenceStore,
} from '../alert-ports.js';

interface AlertRow { id: number; event_id: number; body: string }
interface EventRow { event_id: number; alert_id: number; kind: Transition['kind']; at: number; value: number | null; actor: string; actor_id: string | null; note: string | null; alert: string }

const toAlert = (r: AlertRow): Alert => ({ ...(JSON.parse(r.body) as Alert), id: r.id, eventId: r.event_id });
const toTransition = (r: EventRow): Transition => ({
  eventId: r.event_id, alertId: r.alert_id, kind: r.kind, at: r.at, value: r.value, actor: r.actor, actorId: r.actor_id, ...(r.note !== null ? { note: r.note } : {}),
});

/** The prepared statements of the alert stores (the tables of the meta migrations' steps 5–9). */
function prepareAlertStatements(db: Database) {
  return {
    insertAlert: db.prepare('INSERT INTO alerts (rule_id, device_id, domain, severity, state, fired_at, event_id, body) VALUES (?, ?, ?, ?, ?, ?, 0, ?)'),
    updateAlert: db.prepare('UPDATE alerts SET state = ?, severity = ?, event_id = ?, body = ? WHERE id = ?'),
    insertEvent: db.prepare('INSERT INTO alert_events (alert_id, kind, at, value, actor, actor_id, note, alert) VALUES (?, ?, ?, ?, ?, ?, ?, ?)'),
    getAlert: db.prepare<[number], AlertRow>('SELECT id, event_id, body FROM alerts WHERE id = ?'),
    active: db.prepare<[], AlertRow>("SELECT id, event_id, body FROM alerts WHERE state <> 'resolved' ORDER BY id"),
    transitions: db.prepare<[number], EventRow>('SELECT * FROM alert_events WHERE alert_id = ? ORDER BY event_id'),
    eventsAfter: db.prepare<[number, number], EventRow>('SELECT * FROM alert_events WHERE event_id > ? ORDER BY event_id LIMIT ?'),
    setBody: db.prepare('UPDATE alerts SET body = ? WHERE id = ?'),
    listRules: db.prepare<[], { body: string }>('SELECT body FROM alert_rules ORDER BY rowid'),
    getRule: db.prepare<[string], { body: string }>('SELECT body FROM alert_rules WHERE id = ?'),
    insertRule: db.prepare('INSERT INTO alert_rules (id, body) VALUES (?, ?)'),
    updateRule: db.prepare('UPDATE alert_rules SET body = ? WHERE id = ?'),
    deleteRule: db.prepare('DELETE FROM alert_rules WHERE id = ?'),
    getMeta: db.prepare<[string], { value: string }>('SELECT value FROM alert_meta WHERE key = ?'),
    setMeta: db.prepare('INSERT OR REPLACE INTO alert_meta (key, value) VALUES (?, ?)'),
    listSilences: db.prepare<[], { body: string }>('SELECT body FROM alert_silences ORDER BY from_ts, id'),
    getSilence: db.prepare<[string], { body: string }>('SELECT body FROM alert_silences WHERE id = ?'),
    insertSilence: db.prepare('INSERT INTO alert_silences (id, from_ts, to_ts, body) VALUES (?, ?, ?, ?)'),
    deleteSilence: db.prepare('DELETE FROM alert_silences WHERE id = ?'),
    listPending: db.prepare<[], { rule_id: string; device_id: string; since: number; value: number; last_at: number | null; due_at: number }>('SELECT * FROM alert_pending'),
    putPending: db.prepare('INSERT OR REPLACE INTO alert_pending (rule_id, device_id, since, value, last_at, due_at) VALUES (?, ?, ?, ?, ?, ?)'),
    deletePending: db.prepare('DELETE FROM alert_pending WHERE rule_id = ? AND device_id = ?'),
    listMarks: db.prepare<[], { device_id: string; domain: string; type: string; district: string | null; last_ts: number; last_seen: number; registered: number; left_at: number | null }>('SELECT * FROM alert_devices'),
    putMark: db.prepare('INSERT OR REPLACE INTO alert_devices (device_id, domain, type, district, last_ts, last_seen, registered, left_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)'),
    deleteMark: db.prepare('DELETE FROM alert_devices WHERE device_id = ?'),
    listHolds: db.prepare<[], { rule_id: string; device_id: string }>('SELECT * FROM alert_holds'),
    putHold: db.prepare('INSERT OR IGNORE INTO alert_holds (rule_id, device_id) VALUES (?, ?)'),
    deleteHold: db.prepare('DELETE FROM alert_holds WHERE rule_id = ? AND device_id = ?'),
  };
}

/** The alert engine's stores on citysense.db, opened with the meta migrations (steps 5–9 are the alert tables). */
export function createSqliteAlertStores(db: Database): AlertStores {
  const s = prepareAlertStatements(db);

  // The body leaves out id and eventId: the row's columns are their truth.
  const bodyOf = (a: Alert | NewAlert) => {
    const { id: _id, eventId: _e, ...rest } = a as Alert;
    return JSON.stringify(rest);
  };
  let recordHook: RecordHook | undefined;
  const record = (alert: Alert, t: TransitionInput): number =>
    Number(s.insertEvent.run(alert.id, t.kind, t.at, t.value, t.actor, t.actorId ?? null, t.note ?? null, bodyOf(alert)).lastInsertRowid);
  const recorded = (alert: Alert, t: TransitionInput): void => {
    if (recordHook) recordHook({ ...t, eventId: alert.eventId, alertId: alert.id, alert });
  };

  const open = db.transaction((a: NewAlert, t: TransitionInput): Alert => {
    const id = Number(s.insertAlert.run(a.ruleId, a.deviceId, a.domain, a.severity, a.state, a.firedAt, bodyOf(a)).lastInsertRowid);
    const alert: Alert = { ...a, id, eventId: 0 };
    alert.eventId = record(alert, t);
    s.updateAlert.run(alert.state, alert.severity, alert.eventId, bodyOf(alert), id);
    recorded(alert, t);
    return alert;
  });
  const transition = db.transaction((a: Alert, t: TransitionInput): Alert => {
    const eventId = record(a, t);
    s.updateAlert.run(a.state, a.severity, eventId, bodyOf(a), a.id);
    const saved = { ...a, eventId };
    recorded(saved, t);
    return saved;
  });
  const updateLastValues = db.transaction((updates: readonly { id: number; lastValue: number | null; lastValueAt: number | null }[]) => {
    for (const u of updates) {
      const row = s.getAlert.get(u.id);
      if (!row) continue;
      const a = toAlert(row);
      s.setBody.run(bodyOf({ ...a, lastValue: u.lastValue, lastValueAt: u.lastValueAt }), u.id);
    }
  });

  const alerts: AlertStore = {
    open: (a, t) => open(a, t),
    transition: (a, t) => transition(a, t),
    get(id) {
      const row = s.getAlert.get(id);
      return row ? toAlert(row) : undefined;
    },
    transitions: (alertId) => s.transitions.all(alertId).map(toTransition),
    list(f: AlertQuery) {
      const where: string[] = [];
      const args: (string | number)[] = [];
      if (f.states?.length) { where.push(`state IN (${f.states.map(() => '?').join(',')})`); args.push(...f.states); }
      if (f.severity) { where.push('severity = ?'); args.push(f.severity); }
      if (f.domain) { where.push('domain = ?'); args.push(f.domain); }
      if (f.deviceId) { where.push('device_id = ?'); args.push(f.deviceId); }
      if (f.from !== undefined) { where.push('fired_at >= ?'); args.push(f.from); }
      if (f.to !== undefined) { where.push('fired_at < ?'); args.push(f.to); }
      if (f.before !== undefined) { where.push('id < ?'); args.push(f.before); }
      const sql = `SELECT id, event_id, body FROM alerts ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ?`;
      return db.prepare<unknown[], AlertRow>(sql).all(...args, f.limit).map(toAlert);
    },
    active: () => s.active.all().map(toAlert),
    eventsAfter(after, limit): AlertEvent[] {
      return s.eventsAfter.all(after, limit).map((r) => ({ ...toTransition(r), alert: { ...(JSON.parse(r.alert) as Alert), id: r.alert_id, eventId: r.event_id } }));
    },
    setRecordHook(hook) { recordHook = hook; },
    updateLastValues: (updates) => { if (updates.length) updateLastValues(updates); },
  };

  // alert_meta 'builtin_rules_offered': the JSON array of built-in rule ids ever offered to this database.
  // 'rules_seeded' (the first release's only record, kept so that release would not seed again) means the
  // first seed ran; without the array, its rules are the caller's `seededBefore`.
  const seedBuiltins = db.transaction((rules: readonly Rule[], seededBefore: readonly string[]): Rule[] => {
    const recorded = s.getMeta.get('builtin_rules_offered');
    const offered = new Set<string>(recorded ? (JSON.parse(recorded.value) as string[]) : s.getMeta.get('rules_seeded') ? seededBefore : []);
    const added: Rule[] = [];
    for (const r of rules) {
      if (offered.has(r.id)) continue;
      offered.add(r.id);
      if (s.getRule.get(r.id)) continue;
      s.insertRule.run(r.id, JSON.stringify(r));
      added.push(r);
    }
    s.setMeta.run('builtin_rules_offered', JSON.stringify([...offered]));
    if (!s.getMeta.get('rules_seeded')) s.setMeta.run('rules_seeded', String(Date.now()));
    return added;
  });
  const rules: RuleStore = {
    list: () => s.listRules.all().map((r) => JSON.parse(r.body) as Rule),
    get(id) {
      const row = s.getRule.get(id);
      return row ? (JSON.parse(row.body) as Rule) : undefined;
    },
    create(rule) {
      if (s.getRule.get(rule.id)) throw conflict(`rule ${rule.id} already exists`);
      s.insertRule.run(rule.id, JSON.stringify(rule));
      return rule;
    },
    update: (rule) => s.updateRule.run(JSON.stringify(rule), rule.id).changes > 0,
    delete: (id) => s.deleteRule.run(id).changes > 0,
    seedBuiltins: (list, seededBefore) => seedBuiltins(list, seededBefore),
  };

  const silences: SilenceStore = {
    list: () => s.listSilences.all().map((r) => JSON.parse(r.body) as Silence),
    get(id) {
      const row = s.getSilence.get(id);
      return row ? (JSON.parse(row.body) as Silence) : undefined;
    },
    create(silence) {
      s.insertSilence.run(silence.id, silence.from, silence.to, JSON.stringify(silence));
      return silence;
    },
    delete: (id) => s.deleteSilence.run(id).changes > 0,
  };

  const putWatermarks = db.transaction((marks: readonly DeviceWatermark[]) => {
    // last_seen and left_at are device status's now (the registry's devices table); kept in old files, written empty.
    for (const m of marks) s.putMark.run(m.deviceId, m.domain, m.type, m.district, m.lastTs, 0, m.registered ? 1 : 0, null);
  });
  const putPendings = db.transaction((list: readonly PendingState[]) => {
    for (const p of list) s.putPending.run(p.ruleId, p.deviceId, p.since, p.value, p.lastAt, p.dueAt);
  });
  const state: AlertStateStore = {
    // A row written before last_at existed: its newest reading is taken to be its first.
    pending: () => s.listPending.all().map((r): PendingState => ({ ruleId: r.rule_id, deviceId: r.device_id, since: r.since, value: r.value, lastAt: r.last_at ?? r.since, dueAt: r.due_at })),
    putPending: (p) => { s.putPending.run(p.ruleId, p.deviceId, p.since, p.value, p.lastAt, p.dueAt); },
    putPendings: (list) => { if (list.length) putPendings(list); },
    deletePending: (ruleId, deviceId) => { s.deletePending.run(ruleId, deviceId); },
    watermarks: () => s.listMarks.all().map((r): DeviceWatermark => ({
      deviceId: r.device_id, domain: r.domain, type: r.type, district: r.district, lastTs: r.last_ts, registered: r.registered === 1,
    })),
    putWatermarks: (marks) => { if (marks.length) putWatermarks(marks); },
    deleteWatermark: (id) => { s.deleteMark.run(id); },
    holds: () => s.listHolds.all().map((r) => ({ ruleId: r.rule_id, deviceId: r.device_id })),
    putHold: (ruleId, deviceId) => { s.putHold.run(ruleId, deviceId); },
    deleteHold: (ruleId, deviceId) => { s.deleteHold.run(ruleId, deviceId); },
  };

  return { alerts, rules, silences, state };
}
