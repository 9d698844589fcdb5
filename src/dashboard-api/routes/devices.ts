import type { Request } from 'express';
import { AppError, newSecret, notFound, type Catalog, type DeviceSecrets } from '../../core/index.js';
import { type Device, type DeviceRegistry, type ReadingStore } from '../../storage/index.js';
import type { ApiDefinition } from '../define.js';
import {
  MAX_POINTS, credentialsRotatedSchema, deviceCreatedSchema, deviceListQuery, deviceSchema, historyQuery, historySchema, newDeviceSchema, page,
  type Device as DeviceBody, type DeviceStatus,
} from '../schemas/index.js';
import { inScope, scopedPage } from '../scope.js';
import { queryEvery, queryRange } from '../time.js';

export interface DevicePresence {
  isOnline(deviceId: string): boolean;
  /** Closes every MQTT connection of the device. */
  disconnect(deviceId: string): void;
  /** The device was deleted: what the platform remembers of it (beyond its stored history) is forgotten. */
  forget(deviceId: string): void;
}

/** What device status (the one owner of lastSeen, latest values, clock skew and stale) tells of a registered device. */
export interface DeviceStatusLookup {
  view(device: Device): {
    status: DeviceStatus;
    lastSeen: number | undefined;
    latest: Device['latest'];
    /** Median clock skew of its recent timestamped messages, or null. */
    clockSkewMs: number | null;
  };
}

/**
 * The registry's devices with device status's lastSeen and latest values, which are ahead of the registry row while
 * they wait to be written: what the NGSI-LD API shows of a device agrees with GET /api/devices.
 */
export function devicesAsSeen(registry: Pick<DeviceRegistry, 'get' | 'list'>, status: DeviceStatusLookup): Pick<DeviceRegistry, 'get' | 'list'> {
  const seen = (d: Device): Device => {
    const v = status.view(d);
    return { ...d, latest: v.latest, ...(v.lastSeen !== undefined ? { lastSeen: v.lastSeen } : {}) };
  };
  return {
    get: (id) => {
      const d = registry.get(id);
      return d && seen(d);
    },
    list: (filter) => registry.list(filter).map(seen),
  };
}

export interface DevicesDeps {
  catalog: Catalog;
  registry: DeviceRegistry;
  /** Stores a new device secret as its keyed hash. */
  secrets: Pick<DeviceSecrets, 'hash'>;
  readings: ReadingStore;
  presence: DevicePresence;
  status: DeviceStatusLookup;
  now: () => number;
}

/** Devices: registration, listing with presence, credentials, history. */
export function devicesRoutes(api: ApiDefinition, deps: DevicesDeps) {
  const { catalog, registry, secrets, readings, presence, now } = deps;
  const { router, op } = api.router('/api');

  const view = (d: Device): DeviceBody => {
    const s = deps.status.view(d);
    return {
      id: d.id,
      domain: d.domain,
      type: d.type,
      name: d.name,
      district: d.district,
      location: d.location,
      createdAt: new Date(d.createdAt).toISOString(),
      status: s.status,
      lastSeen: s.lastSeen !== undefined ? new Date(s.lastSeen).toISOString() : null,
      latest: Object.fromEntries(Object.entries(s.latest).map(([m, { v, t }]) => [m, { v, t: new Date(t).toISOString() }])),
      clockSkewMs: s.clockSkewMs,
    };
  };
  // Outside the caller's scope a device is not found, so a scoped caller cannot learn that it exists.
  const mustGet = (id: string, req: Request) => {
    const d = registry.get(id);
    if (!d || !inScope(req.principal?.scope, d)) throw notFound(`device ${id}`);
    return d;
  };
  const issueSecret = (id: string) => {
    const password = newSecret();
    return { password, hash: secrets.hash(password), username: id };
  };

  op(
    { method: 'post', path: '/api/devices', tag: 'devices', summary: 'Register a device', role: 'admin', body: newDeviceSchema,
      description: 'Returns the MQTT credentials; the password is shown only in this answer.',
      responses: { 201: { description: 'registered', schema: deviceCreatedSchema } }, errors: [409] },
    (req, res, { body: input }) => {
      if (!inScope(req.principal?.scope, input)) {
        throw new AppError('forbidden', `body domain/district: ${input.domain}/${input.district ?? '(none)'} is outside your scope`, 403);
      }
      if (!catalog.get(input.domain, input.type)) {
        throw new AppError('bad_request', `body domain/type: ${input.domain}/${input.type} is not in the catalog (GET /api/catalog)`);
      }
      // Ids are city-wide: a taken id is refused alike whether its device is inside the caller's scope or not, and
      // the answer names no domain, district or detail of it (a scoped admin learns only that the id is taken).
      const taken = () => new AppError('conflict', `device id ${input.id} is already taken (device ids are city-wide): choose another`, 409);
      if (registry.get(input.id)) throw taken();
      const { username, password, hash } = issueSecret(input.id);
      let device;
      try {
        device = registry.create(input, hash);
      } catch (err) {
        if (err instanceof AppError && err.status === 409) throw taken(); // registered meanwhile
        throw err;
      }
      res.status(201).location(`/api/devices/${encodeURIComponent(device.id)}`).json({ device: view(device), credentials: { username, password } });
    },
  );

  op(
    { method: 'get', path: '/api/devices', tag: 'devices', summary: 'List devices', role: 'viewer', query: deviceListQuery,
      description: 'Ascending by id. `status` is derived from presence and filters within each page, so a page may hold fewer than `limit` items while `nextCursor` is present.',
      responses: { 200: { description: 'a page of devices', schema: page(deviceSchema) } } },
    (req, res, { query: q }) => {
      const scope = req.principal?.scope;
      const fetch = (after: string | undefined, limit: number) => {
        const rows = registry.list({ domain: q.domain, type: q.type, district: q.district, after, limit: limit + 1 });
        const shown = rows.slice(0, limit);
        return { items: shown, ...(rows.length > limit ? { nextCursor: shown[shown.length - 1]!.id } : {}) };
      };
      const found = scope ? scopedPage(fetch, (d) => inScope(scope, d), q.limit, (d) => d.id, q.cursor) : fetch(q.cursor, q.limit);
      const items = found.items.map(view).filter((d) => !q.status || d.status === q.status);
      res.json(found.nextCursor !== undefined ? { items, nextCursor: found.nextCursor } : { items });
    },
  );

  op(
    { method: 'get', path: '/api/devices/{id}', tag: 'devices', summary: 'One device', role: 'viewer',
      responses: { 200: { description: 'the device', schema: deviceSchema } }, errors: [404] },
    (req, res, { params }) => {
      res.json(view(mustGet(params.id!, req)));
    },
  );

  op(
    { method: 'delete', path: '/api/devices/{id}', tag: 'devices', summary: 'Delete a device, revoke its credentials and disconnect it', role: 'admin',
      responses: { 204: { description: 'deleted' } }, errors: [404] },
    (req, res, { params }) => {
      if (!registry.delete(mustGet(params.id!, req).id)) throw notFound(`device ${params.id}`);
      presence.disconnect(params.id!);
      presence.forget(params.id!);
      res.status(204).end();
    },
  );

  op(
    { method: 'post', path: '/api/devices/{id}/credentials', tag: 'devices', summary: 'Rotate a device secret', role: 'admin',
      description: 'The old secret stops working and the device is disconnected; the new password is shown only here.',
      responses: { 200: { description: 'the new credentials', schema: credentialsRotatedSchema } }, errors: [404] },
    (req, res, { params }) => {
      const id = mustGet(params.id!, req).id;
      const { username, password, hash } = issueSecret(id);
      registry.setSecretHash(id, hash);
      presence.disconnect(id);
      res.json({ credentials: { username, password } });
    },
  );

  op(
    { method: 'get', path: '/api/devices/{id}/readings', tag: 'devices', summary: 'History of one metric', role: 'viewer', query: historyQuery,
      description: `Raw points (the first \`limit\`, oldest first; default 1000) or, with \`every\`, one aggregate per bucket aligned to the epoch, empty buckets left out (all of them unless \`limit\` is given). At most ${MAX_POINTS} points or buckets; \`truncated: true\` when more matched than \`limit\`.`,
      responses: { 200: { description: 'points in time order', schema: historySchema } }, errors: [404, 503] },
    async (req, res, { params, query: q }) => {
      const device = mustGet(params.id!, req);
      const sensor = catalog.get(device.domain, device.type);
      if (!sensor?.metrics.has(q.metric)) {
        throw new AppError('bad_request', `query metric: ${device.domain}/${device.type} has no metric ${q.metric}`);
      }
      const { from, to } = queryRange(q.from, q.to, now());
      const every = queryEvery(q.every, q.agg);
      if (every !== undefined && (to - from) / every > MAX_POINTS) {
        throw new AppError('bad_request', `query would return more than ${MAX_POINTS} buckets: raise every or narrow from/to`);
      }
      const limit = q.limit ?? (every === undefined ? 1000 : MAX_POINTS);
      // One more than asked for tells whether the answer was cut.
      const points = await readings.query({
        deviceId: device.id, metric: q.metric, from, to, limit: limit + 1,
        ...(every !== undefined ? { every, agg: q.agg ?? 'mean' } : {}),
      });
      const truncated = points.length > limit;
      res.json({
        deviceId: device.id, metric: q.metric, points: points.slice(0, limit).map((p) => ({ t: new Date(p.t).toISOString(), v: p.v })),
        ...(truncated ? { truncated: true } : {}),
      });
    },
  );

  return router;
}
