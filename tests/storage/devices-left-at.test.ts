// Goodbyes moved from the alert tables (alert_devices.left_at) to the registry (devices.left_at), kept by device
// status: a citysense.db written before keeps them, so a device that left before the upgrade is not stale after it.
import { afterEach, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSqliteStores } from '../../src/storage/index.js';
import { META_MIGRATIONS } from '../../src/storage/sqlite/meta-migrations.js';
import { openSqlite } from '../../src/storage/sqlite/open.js';

describe('devices.left_at', () => {
  let dir: string;
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('carries over the goodbyes the alert tables kept, and round-trips through recordSeen', async () => {
    dir = mkdtempSync(join(tmpdir(), 'citysense-left-at-'));
    // The file as the previous version left it: every meta step but the last (the alert tables are steps 5–10), a goodbye in alert_devices.
    const old = openSqlite(join(dir, 'citysense.db'), { migrations: META_MIGRATIONS.slice(0, -1) });
    const device = old.prepare("INSERT INTO devices (id, domain, type, secret_hash, created_at) VALUES (?, 'healthcare', 'wearable', 'hmac-sha256$x', 1)");
    const mark = old.prepare("INSERT INTO alert_devices (device_id, domain, type, district, last_ts, last_seen, registered, left_at) VALUES (?, 'healthcare', 'wearable', NULL, 5, 5, 1, ?)");
    for (const [id, leftAt] of [['gone', 1234], ['here', null]] as const) {
      device.run(id);
      mark.run(id, leftAt);
    }
    old.close();

    const stores = createSqliteStores(dir);
    try {
      expect(stores.devices.get('gone')).toMatchObject({ leftAt: 1234 });
      expect(stores.devices.get('here')!.leftAt).toBeUndefined();
      // Back (null), gone again (a time), or unchanged (absent): lastSeen and latest values are left as they are.
      stores.devices.recordSeen([{ id: 'gone', leftAt: null, latest: {} }, { id: 'here', leftAt: 2000, lastSeen: 1999, latest: {} }]);
      stores.devices.recordSeen([{ id: 'here', lastSeen: 2500, latest: { heart_rate: { v: 70, t: 2400 } } }]);
      expect(stores.devices.get('gone')!.leftAt).toBeUndefined();
      expect(stores.devices.get('here')).toMatchObject({ leftAt: 2000, lastSeen: 2500, latest: { heart_rate: { v: 70, t: 2400 } } });
    } finally {
      await stores.close();
    }
  });
});
