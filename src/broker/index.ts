// The broker room's door: only re-exports (the types live in types.ts, so no inner file imports this one).
export { createBroker, MQTT_WS_PATH } from './broker.js';
export type { SessionLimits } from './session-bounds.js';
export type { Broker, BrokerDeps, BrokerOptions, PresenceEvent, PublishHandler, StatusEvent } from './types.js';
