// The NGSI-LD API's public face (docs/ngsi-ld.md): mounted at /ngsi-ld by the dashboard API.
export { contextFile, createNgsiLdApi, type NgsiLdDeps } from './api.js';
export type { AlertSource, ScopedThing } from './select.js';
