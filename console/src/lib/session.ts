// A signed-in operator's session: the token (kept in sessionStorage only), the API client, the live connection
// and the shared stores every page reads.
import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import { AlertBoard } from './alert-board.js';
import { createApi, type Api } from './api.js';
import { DeviceStore } from './devices.js';
import { connectLive, type Live, type LiveStatus } from './live.js';
import { Observable } from './observable.js';
import type { Alarm } from './sound.js';
import { Toasts } from './toasts.js';
import type { Alert, Catalog, CatalogMetric, Principal, ReadingEvent, Rule, Stats } from '../types.js';

const TOKEN_KEY = 'citysense.token';
const SOUND_KEY = 'citysense.sound';
const FLASH_MS = 8000;

export interface Session {
  principal: Principal;
  /** Operators and admins may ack, resolve and silence; viewers only watch. */
  canAct: boolean;
  api: Api;
  board: AlertBoard;
  live: Live;
  liveStatus: Observable<LiveStatus>;
  /** When the live connection was lost (null while connected). */
  lostAt: Observable<number | null>;
  devices: DeviceStore;
  catalog: Observable<Catalog | null>;
  rules: Observable<Map<string, Rule>>;
  stats: Observable<Stats | null>;
  sound: Observable<boolean>;
  alarm: Alarm;
  /** How many alarms (fresh critical alerts) this session sounded or flashed. */
  alarms: Observable<number>;
  /** Alert ids that fired critical just now, flashing until the time given. */
  flashing: Observable<Map<number, number>>;
  toasts: Toasts;
  /** Calls `listener` with every `reading` event (of watched devices); returns the unsubscribe function. */
  onReading(listener: (e: ReadingEvent) => void): () => void;
  /** Catalog metrics of a device type. */
  metricsOf(domain: string, type: string): CatalogMetric[];
  close(): void;
}

export const SessionContext = createContext<Session | null>(null);

/** The session of the signed-in operator (inside the shell only). */
export function useSession(): Session {
  const s = useContext(SessionContext);
  if (!s) throw new Error('no session');
  return s;
}

export const storedToken = (): string | null => sessionStorage.getItem(TOKEN_KEY);
export const forgetToken = (): void => sessionStorage.removeItem(TOKEN_KEY);

/** Checks the token with GET /api/whoami; resolves with the principal or rejects with the API's error. */
export async function checkToken(token: string): Promise<Principal> {
  return createApi(token).whoami();
}

/** Opens a session: seeds the alert board, connects Socket.IO, loads devices, catalog, rules and stats. */
export async function openSession(token: string, principal: Principal, alarm: Alarm, onExpired: () => void): Promise<Session> {
  sessionStorage.setItem(TOKEN_KEY, token);
  const api = createApi(token, onExpired);
  const board = new AlertBoard();
  let seeded = false;
  try {
    board.seed(await api.alerts({ limit: 200 }));
    seeded = true;
  } catch {
    /* the snapshot still fills the board; only the feed starts empty */
  }
  const devices = new DeviceStore(api);
  const liveStatus = new Observable<LiveStatus>('connecting');
  const lostAt = new Observable<number | null>(null);
  const sound = new Observable(localStorage.getItem(SOUND_KEY) !== 'off');
  const flashing = new Observable(new Map<number, number>());
  const alarms = new Observable(0);
  const catalog = new Observable<Catalog | null>(null);
  const rules = new Observable(new Map<string, Rule>());
  const stats = new Observable<Stats | null>(null);
  sound.subscribe(() => localStorage.setItem(SOUND_KEY, sound.get() ? 'on' : 'off'));

  const onAlarm = (alert: Alert) => {
    if (sound.get()) alarm.beep();
    alarms.update((n) => n + 1);
    flashing.update((m) => new Map([...m].filter(([, until]) => until > Date.now())).set(alert.id, Date.now() + FLASH_MS));
  };
  const readingListeners = new Set<(e: ReadingEvent) => void>();
  const live = connectLive(token, board, seeded, {
    onStatus: (s) => {
      liveStatus.set(s);
      if (s === 'live') lostAt.set(null);
      else if (s === 'reconnecting' && lostAt.get() === null) lostAt.set(Date.now());
      if (s === 'unauthorized') onExpired();
    },
    onAlarm,
    onDeviceStatus: (e) => devices.applyStatus(e),
    onReading: (e) => {
      devices.applyReading(e);
      for (const l of readingListeners) l(e);
    },
  });

  const loadStats = () => api.stats().then((s) => stats.set(s), () => undefined);
  void devices.refresh();
  void api.catalog().then((c) => catalog.set(c), () => undefined);
  void api.rules().then((rs) => rules.set(new Map(rs.map((r) => [r.id, r]))), () => undefined);
  void loadStats();
  const timers = [window.setInterval(() => void devices.refresh(), 15_000), window.setInterval(loadStats, 5_000)];

  return {
    principal,
    canAct: principal.role !== 'viewer',
    api,
    board,
    live,
    liveStatus,
    lostAt,
    devices,
    catalog,
    rules,
    stats,
    sound,
    alarm,
    flashing,
    alarms,
    toasts: new Toasts(),
    onReading(listener) {
      readingListeners.add(listener);
      return () => readingListeners.delete(listener);
    },
    metricsOf(domain, type) {
      return catalog.get()?.domains.find((d) => d.name === domain)?.types.find((t) => t.name === type)?.metrics ?? [];
    },
    close() {
      for (const t of timers) window.clearInterval(t);
      live.close();
    },
  };
}
