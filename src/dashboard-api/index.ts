export { createDashboardApi, type DashboardApiDeps } from './http.js';
export type { DevicePresence, DeviceStatusLookup } from './routes/devices.js';
export type { Readiness } from './routes/system.js';
export { createAuthenticator, type Authenticate, type AuthenticatorOptions } from './auth.js';
export { attachLive, type Live, type LiveDeps } from './live.js';
export { createSessions, type Sessions } from './sessions.js';
export { hashPassword } from './passwords.js';
// The REST and Socket.IO contract: every body and payload as a zod schema, with its type (the console imports these types).
export * from './schemas/index.js';
