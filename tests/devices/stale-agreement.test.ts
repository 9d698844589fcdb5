// One definition of stale: the REST devices list calls stale exactly the devices the no_data sweep alerts on, at
// every probe, the boundaries included (3 intervals of silence is not stale yet, 1 ms more is), for a device that said
// goodbye, one that came back, during the grace after start and after a restart. Real parts on one clock: the SQLite
// registry and alert tables, device status, the alert engine, the devices routes over HTTP.
import { afterEach, describe, expect, it } from '@jest/globals';
import express from 'express';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { createAlertEngine, type AlertEngine } from '../../src/alerts/index.js';
import { createDeviceSecrets, hashToken, newSecret } from '../../src/core/index.js';
import { createAuthenticator } from '../../src/dashboard-api/auth.js';
import { ApiDefinition } from '../../src/dashboard-api/define.js';
import { errorHandler, notFoundRoute } from '../../src/dashboard-api/errors.js';
import { devicesRoutes } from '../../src/dashboard-api/routes/devices.js';
import { createDeviceStatus, type DeviceStatusTracker } from '../../src/devices/index.js';
import { createSqliteStores, type SqliteStores } from '../../src/storage/index.js';
import { catalog, log, reading } from '../alerts/fixture.js';

const T0 = Date.UTC(2026, 0, 15, 8, 0, 0);
const WEAR = { domain: 'healthcare', type: 'wearable' } as const; // 10 s interval: stale after more than 30 s

interface Node {
  status: DeviceStatusTracker;
  engine: AlertEngine;
  server: Server;
  base: string;
}

describe('the REST devices list and the stale sweep', () => {
  let dir: string;
  let meta: SqliteStores;
  let node: Node | undefined;
  let clock = T0;
  const token = newSecret();

  async function boot(graceMs: number): Promise<Node> {
    const now = () => clock;
    const status = createDeviceStatus({ catalog, registry: meta.devices, log, now, graceMs, checkSchedule: false });
    const engine = createAlertEngine({
      catalog, store: meta.alertStores, devices: meta.devices, status, log, metrics: new Registry(), now, sweepSchedule: false,
    });
    await status.start();
    await engine.start();
    const definition = new ApiDefinition(createAuthenticator(meta.tokens));
    const presence = { isOnline: () => false, disconnect: () => {}, forget: (id: string) => status.forget(id) };
    const api = express.Router();
    api.use(express.json());
    api.use(devicesRoutes(definition, {
      catalog, registry: meta.devices, secrets: createDeviceSecrets(meta.installation.deviceSecretKey()), readings: undefined as never,
      presence, status, now,
    }));
    const app = express();
    app.use('/api', api);
    app.use(notFoundRoute);
    app.use(errorHandler(log));
    const server = createServer(app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return { status, engine, server, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
  }

  async function halt(n: Node): Promise<void> {
    await new Promise((resolve) => n.server.close(resolve));
    await n.engine.stop();
    await n.status.stop();
  }

  /** As ingest's listeners hand accepted readings on in the app: device status, then the engine. */
  function accept(n: Node, id: string, at: number): void {
    const batch = [reading(id, WEAR.domain, WEAR.type, at, { heart_rate: 70 })];
    n.status.record(batch);
    n.engine.evaluate(batch);
  }

  /** At `at`: the devices REST calls stale, and those with an open device-stale alert after a sweep. */
  async function probe(n: Node, at: number): Promise<{ rest: string[]; sweep: string[] }> {
    clock = at;
    n.engine.sweep();
    const res = await fetch(`${n.base}/api/devices?limit=1000`, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
    const items = ((await res.json()) as any).items as Array<{ id: string; status: string }>;
    const rest = items.filter((d) => d.status === 'stale').map((d) => d.id).sort();
    const sweep = n.engine.activeAlerts().filter((a) => a.ruleId === 'device-stale').map((a) => a.deviceId).sort();
    return { rest, sweep };
  }

  const both = (ids: string[]) => ({ rest: [...ids].sort(), sweep: [...ids].sort() });

  function setUp(): string[] {
    dir = mkdtempSync(join(tmpdir(), 'citysense-stale-agree-'));
    meta = createSqliteStores(dir);
    meta.tokens.create('viewer desk', 'viewer', hashToken(token));
    const ids = ['silent', 'lost', 'bye', 'said', 'back', 'fresh'];
    for (const id of ids) meta.devices.create({ id, ...WEAR }, 'hmac-sha256$x');
    return ids;
  }

  afterEach(async () => {
    if (node) await halt(node);
    node = undefined;
    await meta.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('agree at the boundary, for goodbyes, returns and data again', async () => {
    setUp();
    clock = T0;
    const n = (node = await boot(0));
    for (const id of ['silent', 'lost', 'bye', 'said', 'back']) {
      n.status.connection({ deviceId: id, status: 'online', at: T0 });
      accept(n, id, T0);
    }
    clock = T0 + 1000;
    n.status.connection({ deviceId: 'lost', status: 'offline', at: clock }); // no DISCONNECT: its will was published
    n.status.connection({ deviceId: 'bye', status: 'offline', at: clock, clean: true });
    n.status.said({ deviceId: 'said', status: 'offline', at: clock });
    n.status.connection({ deviceId: 'back', status: 'offline', at: clock, clean: true });
    clock = T0 + 10_000;
    n.status.connection({ deviceId: 'back', status: 'online', at: clock }); // back, and silent from now

    expect(await probe(n, T0 + 30_000)).toEqual(both([])); // exactly 3 intervals: not yet
    expect(await probe(n, T0 + 30_001)).toEqual(both(['silent', 'lost']));
    expect(await probe(n, T0 + 40_000)).toEqual(both(['silent', 'lost']));
    expect(await probe(n, T0 + 40_001)).toEqual(both(['silent', 'lost', 'back']));
    expect(await probe(n, T0 + 3_600_000)).toEqual(both(['silent', 'lost', 'back']));

    // Data again: neither calls it stale any more.
    clock = T0 + 3_600_001;
    accept(n, 'silent', clock);
    expect(await probe(n, clock)).toEqual(both(['lost', 'back']));
  });

  it('agree during the grace after start and after a restart', async () => {
    setUp();
    clock = T0;
    node = await boot(60_000);
    accept(node, 'silent', T0);
    node.status.connection({ deviceId: 'bye', status: 'online', at: T0 });
    accept(node, 'bye', T0);
    node.status.connection({ deviceId: 'bye', status: 'offline', at: T0 + 1, clean: true });
    expect(await probe(node, T0 + 45_000)).toEqual(both([])); // silent 45 s, but within the grace
    expect(await probe(node, T0 + 59_999)).toEqual(both([]));
    expect(await probe(node, T0 + 60_000)).toEqual(both(['silent']));

    // Down for an hour; every device gets 3 intervals after the start before it counts as silent; a goodbye holds.
    const openAlert = node.engine.activeAlerts().find((a) => a.deviceId === 'silent')!;
    node.engine.resolve(openAlert.id, { id: 'user-ops', name: 'ops' }, 'checked');
    accept(node, 'silent', T0 + 61_000);
    await halt(node);
    clock = T0 + 3_600_000;
    node = await boot(0);
    expect(await probe(node, T0 + 3_630_000)).toEqual(both([]));
    expect(await probe(node, T0 + 3_630_001)).toEqual(both(['silent']));
  });
});
