// The REST client: every call carries the session's bearer token; a 401 ends the session.
import type {
  Alert, ApiErrorBody, BacktestBody, BacktestResult, Catalog, Device, DeviceListQuery, ExportQuery, History, HistoryQuery, NewRule, NewSilence, Page,
  Principal, Rule, SignedIn, Silence, Stats,
} from '../types.js';

export type { ExportQuery };

/** An API error with the server's code and message (`{"error": {code, message}}`). */
export class ApiError extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
  }
}

export type Api = ReturnType<typeof createApi>;

const query = (q: object) => {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) if (v !== undefined && v !== '') params.set(k, String(v));
  const s = params.toString();
  return s ? `?${s}` : '';
};

/** A JSON request to /api with one token's authorization; `onUnauthorized` runs on a 401. */
export function apiCaller(token: string, onUnauthorized: () => void = () => undefined) {
  async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
    let res: Response;
    try {
      res = await fetch(`api${path}`, {
        method,
        // An empty token: a person signed in with the session cookie, which the browser sends itself.
        headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch {
      throw new ApiError(0, 'network', 'the server cannot be reached');
    }
    if (res.status === 204) return undefined as T;
    const data = await res.json().catch(() => undefined);
    if (!res.ok) {
      if (res.status === 401) onUnauthorized();
      const err = (data as { error?: { code?: string; message?: string } } | undefined)?.error;
      throw new ApiError(res.status, err?.code ?? 'error', err?.message ?? `${method} ${path}: HTTP ${res.status}`);
    }
    return data as T;
  }
  return call;
}

/** The export's URL (relative to the console, as every API call is); what it covers: docs/export.md. */
export const exportUrl = (q: ExportQuery) => `api/export/readings${query(q)}`;

/** A client for /api bound to one token; `onUnauthorized` runs when the server no longer accepts it. */
export function createApi(token: string, onUnauthorized: () => void = () => undefined) {
  const call = apiCaller(token, onUnauthorized);
  return {
    whoami: () => call<Principal>('GET', '/whoami'),
    signOut: () => call<void>('DELETE', '/session'),
    /** Downloads a history export (GET /api/export/readings) with this token and has the browser save it. */
    async download(exportQuery: ExportQuery): Promise<void> {
      const res = await fetch(exportUrl(exportQuery), { headers: { authorization: `Bearer ${token}` } });
      if (!res.ok) {
        if (res.status === 401) onUnauthorized();
        const err = ((await res.json().catch(() => undefined)) as { error?: { code?: string; message?: string } } | undefined)?.error;
        throw new ApiError(res.status, err?.code ?? 'error', err?.message ?? `export: HTTP ${res.status}`);
      }
      const name = /filename="([^"]+)"/.exec(res.headers.get('content-disposition') ?? '')?.[1] ?? `citysense-readings.${exportQuery.format ?? 'csv'}`;
      const href = URL.createObjectURL(await res.blob());
      const a = Object.assign(document.createElement('a'), { href, download: name });
      a.click();
      setTimeout(() => URL.revokeObjectURL(href), 60_000);
    },
    catalog: () => call<Catalog>('GET', '/catalog'),
    stats: () => call<Stats>('GET', '/stats'),
    rules: async () => (await call<{ items: Rule[] }>('GET', '/rules')).items,
    /** Every device (pages of 1000 followed to the end, at most 20,000). */
    async devices(q: Omit<DeviceListQuery, 'limit' | 'cursor'> = {}): Promise<Device[]> {
      const all: Device[] = [];
      let cursor: string | undefined;
      do {
        const page = await call<Page<Device>>('GET', `/devices${query({ ...q, limit: 1000, cursor })}`);
        all.push(...page.items);
        cursor = page.nextCursor;
      } while (cursor && all.length < 20_000);
      return all;
    },
    device: (id: string) => call<Device>('GET', `/devices/${encodeURIComponent(id)}`),
    history: (id: string, q: HistoryQuery) =>
      call<History>('GET', `/devices/${encodeURIComponent(id)}/readings${query(q)}`),
    alerts: async (q: { state?: string; deviceId?: string; limit?: number } = {}) =>
      (await call<Page<Alert>>('GET', `/alerts${query(q)}`)).items,
    ack: (id: number, note?: string) => call<Alert>('POST', `/alerts/${id}/ack`, note ? { note } : {}),
    resolve: (id: number, note?: string) => call<Alert>('POST', `/alerts/${id}/resolve`, note ? { note } : {}),
    silences: async (state: 'current' | 'expired' | 'all' = 'current') => (await call<{ items: Silence[] }>('GET', `/silences${query({ state })}`)).items,
    createSilence: (s: NewSilence) => call<Silence>('POST', '/silences', s),
    endSilence: (id: string) => call<void>('DELETE', `/silences/${encodeURIComponent(id)}`),
    // Rule bodies (the rules page edits them as JSON; the server checks them) and their backtest.
    createRule: (body: NewRule) => call<Rule>('POST', '/rules', body),
    updateRule: (id: string, body: NewRule) => call<Rule>('PUT', `/rules/${encodeURIComponent(id)}`, body),
    backtest: (body: BacktestBody) => call<BacktestResult>('POST', '/rules/backtest', body),
  };
}

/** Signs a person in with a username and password: the server sets the session cookie (HTTP-only). */
export async function signInWithPassword(username: string, password: string): Promise<Principal> {
  let res: Response;
  try {
    res = await fetch('api/session', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }) });
  } catch {
    throw new ApiError(0, 'network', 'the server cannot be reached');
  }
  const data = (await res.json().catch(() => undefined)) as Partial<SignedIn & ApiErrorBody> | undefined;
  if (!res.ok || !data?.user) throw new ApiError(res.status, data?.error?.code ?? 'error', data?.error?.message ?? `sign-in: HTTP ${res.status}`);
  return data.user;
}
