import { readFileSync, writeFileSync } from 'node:fs';
import { z } from 'zod';
import { Catalog, type CatalogFile } from '../core/index.js';
import type { FleetDevice } from './fleet.js';

/** A device's MQTT login. */
export interface Credentials {
  username: string;
  password: string;
}

/** Registration or credentials trouble; the simulator exits non-zero with this message. */
export class ProvisionError extends Error {
  override name = 'ProvisionError';
}

async function call(api: string, token: string, method: string, path: string, body?: unknown) {
  let res: Response;
  try {
    res = await fetch(new URL(path, api), {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(15_000),
    });
  } catch (e) {
    throw new ProvisionError(`cannot reach the API at ${api}: ${(e as Error).cause instanceof Error ? ((e as Error).cause as Error).message : (e as Error).message}`);
  }
  const text = await res.text();
  let json: unknown;
  try { json = text ? JSON.parse(text) : undefined; } catch { json = undefined; }
  return { status: res.status, json, text };
}

/** An API answer: its status, its body, and the body parsed (undefined when it is not JSON). */
type Answer = Awaited<ReturnType<typeof call>>;

const failure = (what: string, r: Answer) =>
  new ProvisionError(`${what}: HTTP ${r.status} ${(r.json as { error?: { message?: string } } | undefined)?.error?.message ?? r.text.slice(0, 200)}`);

const credentialsOf = (r: Answer) => (r.json as { credentials: Credentials }).credentials;

/**
 * Registers one device (`POST /api/devices`) and returns its credentials. A device that exists already
 * with the same domain and type gets a new secret (`POST /api/devices/{id}/credentials`), so a fleet can be re-run.
 */
export async function provisionDevice(api: string, token: string, d: FleetDevice): Promise<Credentials> {
  const body = { id: d.id, domain: d.domain, type: d.type, name: d.name, district: d.district, location: d.location };
  const created = await call(api, token, 'POST', '/api/devices', body);
  if (created.status === 201) return credentialsOf(created);
  if (created.status !== 409) throw failure(`registering ${d.id}`, created);
  const existing = await call(api, token, 'GET', `/api/devices/${encodeURIComponent(d.id)}`);
  if (existing.status !== 200) throw failure(`reading ${d.id}`, existing);
  const held = existing.json as { domain: string; type: string };
  if (held.domain !== d.domain || held.type !== d.type) {
    throw new ProvisionError(`device ${d.id} exists as ${held.domain}/${held.type}, not ${d.domain}/${d.type}`);
  }
  const rotated = await call(api, token, 'POST', `/api/devices/${encodeURIComponent(d.id)}/credentials`);
  if (rotated.status !== 200) throw failure(`renewing the credentials of ${d.id}`, rotated);
  return credentialsOf(rotated);
}

/** The platform's catalog (`GET /api/catalog`), which a CATALOG_FILE may have changed from the built-in one. */
export async function fetchCatalog(api: string, token: string): Promise<Catalog> {
  const r = await call(api, token, 'GET', '/api/catalog');
  if (r.status !== 200) throw failure('reading the catalog', r);
  type ApiMetric = { name: string; kind: 'number' | 'boolean'; unit?: string; min?: number; max?: number };
  const types: CatalogFile['types'] = [];
  for (const domain of (r.json as { domains: Array<{ name: string; types: Array<{ name: string; intervalMs: number; metrics: ApiMetric[] }> }> }).domains) {
    for (const t of domain.types) {
      types.push({
        domain: domain.name, type: t.name, interval: `${t.intervalMs}ms`,
        metrics: Object.fromEntries(t.metrics.map(({ name, ...m }) => [name, m])),
      });
    }
  }
  try {
    return new Catalog({ types });
  } catch (e) {
    throw new ProvisionError(`the API's catalog does not parse: ${(e as Error).message}`);
  }
}

/** Provisions a fleet, `concurrency` requests at a time; the first failure stops it. */
export async function provisionFleet(api: string, token: string, fleet: readonly FleetDevice[], concurrency = 8): Promise<Map<string, Credentials>> {
  const out = new Map<string, Credentials>();
  let next = 0;
  const worker = async () => {
    while (next < fleet.length) {
      const d = fleet[next++]!;
      out.set(d.id, await provisionDevice(api, token, d));
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, fleet.length) }, worker));
  return out;
}

const credentialsFileSchema = z.object({
  devices: z.array(z.object({
    id: z.string().min(1).max(64),
    domain: z.string().min(1),
    type: z.string().min(1),
    name: z.string().optional(),
    district: z.string().optional(),
    location: z.object({ lat: z.number(), lon: z.number() }).optional(),
    username: z.string().min(1),
    password: z.string(),
  })).min(1),
});

/** A fleet with its logins, as kept in a credentials file. */
export interface CredentialedFleet {
  fleet: FleetDevice[];
  credentials: Map<string, Credentials>;
}

/** Reads a credentials file: `{"devices": [{id, domain, type, district?, location?, username, password}, …]}`. */
export function readCredentialsFile(file: string): CredentialedFleet {
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new ProvisionError(`cannot read credentials file ${file}: ${(e as Error).message}`);
  }
  const parsed = credentialsFileSchema.safeParse(data);
  if (!parsed.success) throw new ProvisionError(`${file} is not a credentials file:\n${z.prettifyError(parsed.error)}`);
  const fleet: FleetDevice[] = [];
  const credentials = new Map<string, Credentials>();
  for (const d of parsed.data.devices) {
    fleet.push({
      id: d.id, domain: d.domain, type: d.type, name: d.name ?? d.id, district: d.district ?? 'unknown',
      location: d.location ?? { lat: 38.4872, lon: 106.2309 }, // Yinchuan's centre when the file has none
    });
    credentials.set(d.id, { username: d.username, password: d.password });
  }
  return { fleet, credentials };
}

/** Writes a credentials file, readable by its owner only (it holds secrets). */
export function writeCredentialsFile(file: string, fleet: readonly FleetDevice[], credentials: ReadonlyMap<string, Credentials>): void {
  const devices = fleet.map((d) => ({ ...d, ...credentials.get(d.id)! }));
  writeFileSync(file, `${JSON.stringify({ devices }, null, 2)}\n`, { mode: 0o600 });
}
