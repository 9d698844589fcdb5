import { join } from 'node:path';
import { createDeviceSecrets, type Config, type DeviceSecrets, type Logger } from '../core/index.js';
import {
  createInfluxReadingStore,
  createSqliteAlertStores,
  createSqliteMetaStores,
  createSqliteNotificationStores,
  createSqlitePositionStore,
  createSqliteReadingStore,
  type AlertStores,
  type NotificationStores,
  type PositionStore,
  type ReadingStore,
  type SqliteMetaStores,
  type SqliteReadingStore,
} from '../storage/index.js';
import type { Part } from './lifecycle.js';

export const DEAD_LETTER_MAX_AGE_MS = 7 * 86_400_000;
export const DEAD_LETTER_MAX_ROWS = 100_000;

/** Every store the app uses, and the part that starts and closes them (first in, last out). */
export interface Stores {
  meta: SqliteMetaStores;
  /** Device secrets' keyed hashing under the installation key (made on first start, kept in citysense.db). */
  secrets: DeviceSecrets;
  readings: ReadingStore;
  /** The embedded reading store when there is no InfluxDB (its retention purge is citysense's). */
  sqliteReadings?: SqliteReadingStore;
  alerts: AlertStores;
  notifications: NotificationStores;
  /** Where the event stream keeps its place (with NATS_URL only: it makes its table). */
  positions?: PositionStore;
  part: Part;
}

/** Opens the stores: citysense.db (the shared state), and readings in InfluxDB or readings.db. */
export function openStores(config: Config, log: Logger): Stores {
  const meta = createSqliteMetaStores(config.dataDir, { deadLetterMaxRows: DEAD_LETTER_MAX_ROWS });
  // Made on first start and kept in citysense.db (the shared state), so every node verifies with the same key.
  const secrets = createDeviceSecrets(meta.installation.deviceSecretKey());
  const sqliteReadings = config.influx ? undefined : createSqliteReadingStore({ file: join(config.dataDir, 'readings.db'), log });
  const readings: ReadingStore = sqliteReadings ?? createInfluxReadingStore({ ...config.influx!, log });
  return {
    meta, secrets, readings, sqliteReadings,
    alerts: createSqliteAlertStores(meta.db),
    notifications: createSqliteNotificationStores(meta.db),
    ...(config.natsUrl ? { positions: createSqlitePositionStore(meta.db) } : {}),
    part: {
      name: 'stores',
      start: () => readings.start(),
      async stop() {
        await readings.close();
        meta.close();
      },
    },
  };
}
