export * from './reading.js';
export * from './catalog.js';
export { BUILTIN_CATALOG } from './catalog-data.js';
export * from './config.js';
export * from './duration.js';
export * from './errors.js';
export * from './logger.js';
export * from './secrets.js';
export * from './time.js';
