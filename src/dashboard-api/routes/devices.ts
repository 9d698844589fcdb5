import { Router } from 'express';
import { z } from 'zod';
import { AppError, hashSecret, newSecret, notFound, type Catalog } from '../../core/index.js';
import { AGGREGATES, type Device, type DeviceRegistry, type ReadingStore } from '../../storage/index.js';
import { requireRole, type Authenticate } from '../auth.js';
import { parseTime } from '../time.js';
import { body, query } from '../validate.js';
import { parseDuration } from '../../core/index.js';

export interface DevicePresence {
  isOnline(deviceId: string): boolean;
  /** Closes every MQTT connection of the device. */
  disconnect(deviceId: string): void;
}

export interface DevicesDeps {
  catalog: Catalog;
  registry: DeviceRegistry;
  readings: ReadingStore;
  presence: DevicePresence;
  authenticate: Authenticate;
  now: () => number;
}

const DEVICE_ID = /^[A-Za-z0-9_.-]{1,64}$/;
const MAX_POINTS = 10_000;

const newDeviceSchema = z.strictObject({
  id: z.string().regex(DEVICE_ID, 'must be 1–64 of A-Z a-z 0-9 _ . -'),
  domain: z.string().min(1),
  type: z.string().min(1),
  name: z.string().trim().min(1).max(200).optional(),
  district: z.string().trim().min(1).max(100).optional(),
  location: z.strictObject({ lat: z.number().min(-90).max(90), lon: z.number().min(-180).max(180) }).optional(),
});

const listSchema = z.object({
  domain: z.string().optional(),
  type: z.string().optional(),
  district: z.string().optional(),
  status: z.enum(['online', 'offline', 'stale']).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  cursor: z.string().regex(DEVICE_ID).optional(),
});

const historySchema = z.object({
  metric: z.string().regex(/^[a-z][a-z0-9_]{0,63}$/, 'must be a catalog metric name'),
  from: z.string().default('-1h'),
  to: z.string().default('now'),
  every: z.string().optional(),
  agg: z.enum(AGGREGATES).optional(),
  limit: z.coerce.number().int().min(1).max(MAX_POINTS).default(1000),
});

export type DeviceStatus = 'online' | 'offline' | 'stale';

/** Devices: registration, listing with presence, credentials, history. */
export function devicesRouter(deps: DevicesDeps): Router {
  const { catalog, registry, readings, presence, authenticate, now } = deps;
  const router = Router();
  const viewer = requireRole(authenticate, 'viewer');
  const admin = requireRole(authenticate, 'admin');

  function statusOf(d: Device): DeviceStatus {
    const interval = catalog.get(d.domain, d.type)?.intervalMs ?? 60_000;
    if (d.lastSeen !== undefined && now() - d.lastSeen > 3 * interval) return 'stale';
    return presence.isOnline(d.id) ? 'online' : 'offline';
  }
  const view = (d: Device) => ({
    id: d.id,
    domain: d.domain,
    type: d.type,
    name: d.name,
    district: d.district,
    location: d.location,
    createdAt: new Date(d.createdAt).toISOString(),
    status: statusOf(d),
    lastSeen: d.lastSeen !== undefined ? new Date(d.lastSeen).toISOString() : null,
    latest: Object.fromEntries(Object.entries(d.latest).map(([m, { v, t }]) => [m, { v, t: new Date(t).toISOString() }])),
  });
  const mustGet = (id: string) => {
    const d = registry.get(id);
    if (!d) throw notFound(`device ${id}`);
    return d;
  };
  const issueSecret = async (id: string) => {
    const password = newSecret();
    return { password, hash: await hashSecret(password), username: id };
  };

  router.post('/devices', admin, async (req, res) => {
    const input = body(req, newDeviceSchema);
    if (!catalog.get(input.domain, input.type)) {
      throw new AppError('bad_request', `body domain/type: ${input.domain}/${input.type} is not in the catalog (GET /api/catalog)`);
    }
    if (registry.get(input.id)) throw new AppError('conflict', `device ${input.id} already exists`, 409);
    const { username, password, hash } = await issueSecret(input.id);
    const device = registry.create(input, hash);
    res.status(201).location(`/api/devices/${encodeURIComponent(device.id)}`).json({ device: view(device), credentials: { username, password } });
  });

  router.get('/devices', viewer, (req, res) => {
    const q = query(req, listSchema);
    // Status is derived from presence, so it filters after the page is read; pages may then be short.
    const page = registry.list({ domain: q.domain, type: q.type, district: q.district, after: q.cursor, limit: q.limit + 1 });
    const more = page.length > q.limit;
    const rows = page.slice(0, q.limit);
    const items = rows.map(view).filter((d) => !q.status || d.status === q.status);
    res.json(more ? { items, nextCursor: rows[rows.length - 1]!.id } : { items });
  });

  router.get('/devices/:id', viewer, (req, res) => {
    res.json(view(mustGet(String(req.params.id))));
  });

  router.delete('/devices/:id', admin, (req, res) => {
    const id = String(req.params.id);
    if (!registry.delete(id)) throw notFound(`device ${id}`);
    presence.disconnect(id);
    res.status(204).end();
  });

  router.post('/devices/:id/credentials', admin, async (req, res) => {
    const id = mustGet(String(req.params.id)).id;
    const { username, password, hash } = await issueSecret(id);
    registry.setSecretHash(id, hash);
    presence.disconnect(id);
    res.json({ credentials: { username, password } });
  });

  router.get('/devices/:id/readings', viewer, async (req, res) => {
    const device = mustGet(String(req.params.id));
    const q = query(req, historySchema);
    const sensor = catalog.get(device.domain, device.type);
    if (!sensor?.metrics.has(q.metric)) {
      throw new AppError('bad_request', `query metric: ${device.domain}/${device.type} has no metric ${q.metric}`);
    }
    const t = now();
    const from = parseTime(q.from, t);
    const to = parseTime(q.to, t);
    if (from === undefined) throw new AppError('bad_request', 'query from: use RFC 3339 (2026-01-31T12:00:00Z) or a relative time like -1h');
    if (to === undefined) throw new AppError('bad_request', 'query to: use RFC 3339, now, or a relative time like -5m');
    if (from >= to) throw new AppError('bad_request', 'query from must be before to');
    let every: number | undefined;
    if (q.every !== undefined) {
      try { every = parseDuration(q.every); } catch { every = undefined; }
      if (!every || every < 1000) throw new AppError('bad_request', 'query every: a duration of at least 1s, like 10s, 1m, 1h');
      if ((to - from) / every > MAX_POINTS) {
        throw new AppError('bad_request', `query would return more than ${MAX_POINTS} buckets: raise every or narrow from/to`);
      }
    } else if (q.agg !== undefined) {
      throw new AppError('bad_request', 'query agg needs every (the bucket width)');
    }
    const points = await readings.query({
      deviceId: device.id, metric: q.metric, from, to, limit: q.limit,
      ...(every !== undefined ? { every, agg: q.agg ?? 'mean' } : {}),
    });
    res.json({ deviceId: device.id, metric: q.metric, points: points.map((p) => ({ t: new Date(p.t).toISOString(), v: p.v })) });
  });

  return router;
}
