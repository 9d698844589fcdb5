import { splitBucket } from './v1-transport.js';

/** Which write path a server takes: 2.x, 3.x and 1.8+ speak /api/v2/write; older 1.x only /write. */
export type WritePath = 'v2' | 'v1';

export interface InfluxTarget {
  url: string;
  token: string;
  org: string;
  bucket: string;
}

export interface ServerInfo {
  version: string;
  major: number;
  writePath: WritePath;
  /** The database and retention policy /query reads (1.x: from `db/rp`; 2.x/3.x: the bucket's DBRP mapping). */
  db: string;
  rp?: string;
}

/**
 * The Authorization header for a server generation: 1.x takes `user:password` as Basic auth; 2.x/3.x (and 1.8's
 * v2 endpoints) take `Token …`. Empty token: no header.
 */
export function authorization(token: string, major: number | undefined): string | undefined {
  if (!token) return undefined;
  const basic = major === 1 || (major === undefined && token.includes(':'));
  if (!basic) return `Token ${token}`;
  const [user, ...rest] = token.split(':');
  return `Basic ${Buffer.from(`${user}:${rest.join(':')}`).toString('base64')}`;
}

/** Parses `X-Influxdb-Version` (`1.6.7~rc0`, `v2.7.4`, `3.0.1`); undefined when absent or unreadable. */
export function parseVersion(header: string | null): { major: number; minor: number } | undefined {
  const m = header ? /^v?(\d+)\.(\d+)/.exec(header.trim()) : null;
  return m ? { major: Number(m[1]), minor: Number(m[2]) } : undefined;
}

/** Asks `GET /ping` which server this is. Rejects when it cannot be reached. */
export async function detectServer(target: InfluxTarget, timeoutMs: number): Promise<ServerInfo> {
  const auth = authorization(target.token, undefined);
  const res = await fetch(`${target.url}/ping`, { headers: auth ? { authorization: auth } : {}, signal: AbortSignal.timeout(timeoutMs) });
  await res.body?.cancel();
  const header = res.headers.get('x-influxdb-version');
  const v = parseVersion(header);
  if (!v && !res.ok) throw new Error(`GET /ping answered ${res.status} without a version`);
  // No version header (some managed services): assume the current API.
  const major = v?.major ?? 2;
  const legacy = major === 1 && v!.minor < 8;
  const info: ServerInfo = { version: header ?? 'unknown', major, writePath: legacy ? 'v1' : 'v2', db: target.bucket };
  if (major === 1) {
    const [db, rp] = splitBucket(target.bucket);
    info.db = db;
    if (rp) info.rp = rp;
  }
  return info;
}
