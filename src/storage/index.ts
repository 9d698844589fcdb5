export * from './ports.js';
export * from './user-ports.js';
export * from './alert-ports.js';
export * from './notify-ports.js';
export * from './spool-ports.js';
export { createSqliteStores, type SqliteStores, type SqliteStoresOptions } from './sqlite/stores.js';
export { createSqliteReadingStore, type SqliteReadingStore } from './sqlite/readings.js';
export { createSqliteSpoolStore } from './sqlite/spool.js';
export { createInfluxReadingStore, type InfluxStoreOptions } from './influx/reading-store.js';
