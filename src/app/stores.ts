import { createDeviceSecrets, type Config, type DeviceSecrets, type Logger } from '../core/index.js';
import {
  createInfluxReadingStore,
  createSqliteStores,
  type AlertStores,
  type NotificationStores,
  type PositionStore,
  type ReadingStore,
  type SqliteReadingStore,
  type SqliteStores,
} from '../storage/index.js';
import type { Part } from './lifecycle.js';

export const DEAD_LETTER_MAX_AGE_MS = 7 * 86_400_000;
export const DEAD_LETTER_MAX_ROWS = 100_000;

/** Every store the app uses, and the part that starts and closes them (first in, last out). */
export interface Stores {
  /** Every SQLite store (citysense.db, and readings.db without InfluxDB), closed by one meta.close(). */
  meta: SqliteStores;
  /** Device secrets' keyed hashing under the installation key (made on first start, kept in citysense.db). */
  secrets: DeviceSecrets;
  readings: ReadingStore;
  /** The embedded reading store when there is no InfluxDB (its retention purge is citysense's). */
  sqliteReadings?: SqliteReadingStore;
  alerts: AlertStores;
  notifications: NotificationStores;
  /** Where the event stream (NATS_URL) keeps its place. */
  positions: PositionStore;
  part: Part;
}

/** Opens the stores: citysense.db (the shared state), and readings in InfluxDB or readings.db. */
export function openStores(config: Config, log: Logger): Stores {
  const meta = createSqliteStores(config.dataDir, { deadLetterMaxRows: DEAD_LETTER_MAX_ROWS, ...(config.influx ? {} : { readings: { log } }) });
  // Made on first start and kept in citysense.db (the shared state), so every node verifies with the same key.
  const secrets = createDeviceSecrets(meta.installation.deviceSecretKey());
  const sqliteReadings = meta.readings;
  const readings: ReadingStore = sqliteReadings ?? createInfluxReadingStore({ ...config.influx!, log });
  return {
    meta, secrets, readings, sqliteReadings,
    alerts: meta.alertStores,
    notifications: meta.notificationStores,
    positions: meta.positions,
    part: {
      name: 'stores',
      start: () => readings.start(),
      async stop() {
        // meta.close() closes readings.db too; InfluxDB's store is closed here.
        if (!sqliteReadings) await readings.close();
        await meta.close();
      },
    },
  };
}
