export { createIngest } from './ingest.js';
export { MAX_RECEIVE_DRIFT_MS } from './receive-times.js';
export { IngestUnavailableError, type Ingest, type IngestDeps, type IngestStats, type ReplayOutcome, type SinkStats } from './types.js';
export { decodePayload, MAX_PAYLOAD_BYTES } from './decode/dispatch.js';
export type { DecodeContext, DecodedReading, DecodeResult } from './decode/types.js';
export { checkMessage } from './validate.js';
