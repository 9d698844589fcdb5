export { createDashboardApi, type DashboardApiDeps } from './http.js';
export type { DevicePresence, DeviceStatusLookup } from './routes/devices.js';
export type { Readiness } from './routes/system.js';
export { createAuthenticator, type Authenticate, type AuthenticatorOptions } from './auth.js';
export { attachLive, type Live, type LiveDeps } from './live.js';
export * from './live-events.js';
export { createSessions, type Sessions } from './sessions.js';
export { hashPassword } from './passwords.js';
