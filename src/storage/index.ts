export * from './ports.js';
export { createSqliteMetaStores, type SqliteMetaStores } from './sqlite/meta-stores.js';
export { createSqliteReadingStore, type SqliteReadingStore } from './sqlite/readings.js';
export type { SqliteDb, Migration } from './sqlite/open.js';
export { createInfluxReadingStore, type InfluxStoreOptions } from './influx/reading-store.js';
export * from './alert-ports.js';
export { createSqliteAlertStores } from './sqlite/alert-stores.js';
export { createSqlitePositionStore } from './sqlite/positions.js';
