export { createDashboardApi, type DashboardApiDeps } from './http.js';
export type { DevicePresence } from './routes/devices.js';
export type { Readiness } from './routes/system.js';
