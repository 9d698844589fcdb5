// Every body of the REST API and every Socket.IO payload, declared once as zod schemas: routes validate with them,
// the OpenAPI document is generated from them, and their types (z.infer of each) are what the server, the console
// and the tests use. The console imports the types only, through dashboard-api's door.
export * from './common.js';
export * from './devices.js';
export * from './alerts.js';
export * from './people.js';
export * from './notifications.js';
export * from './system.js';
export * from './live.js';
