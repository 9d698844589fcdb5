// The Socket.IO contract (docs/contract.md section 6): every event's payload and every request and ack as a zod
// schema, and the event maps derived from them, shared by the server, the console and the tests so an event name or
// payload cannot drift.
import { z } from 'zod';
import { DEVICE_ID } from '../../core/index.js';
import { alertSchema, severitySchema } from './alerts.js';
import { time } from './common.js';
import { deviceStatusSchema } from './devices.js';

/** Devices one client may watch at a time. */
export const MAX_WATCHED = 100;

const names = z.array(z.string().min(1).max(100)).max(1000);
/** What a client sees: every field optional; an absent field does not narrow. */
export const liveFilterSchema = z.strictObject({
  domains: names.optional(),
  types: names.optional(),
  severities: z.array(severitySchema).optional(),
  districts: names.optional(),
  deviceIds: z.array(z.string().regex(DEVICE_ID)).max(10_000).optional(),
});
export type LiveFilter = z.infer<typeof liveFilterSchema>;

export const subscribeSchema = liveFilterSchema.extend({
  /** An eventId: every matching transition after it is sent again, in order, before live ones. */
  since: z.number().int().nonnegative().optional(),
});
export type SubscribeRequest = z.input<typeof subscribeSchema>;

export const LIVE_ERROR_CODES = ['bad_request', 'rate_limited', 'too_many_watched', 'internal'] as const;
export const liveErrorSchema = z.object({ error: z.object({ code: z.enum(LIVE_ERROR_CODES), message: z.string() }) });
export type LiveError = z.infer<typeof liveErrorSchema>;

/** The ack of `subscribe`: the filter in force (the old one stays when the request was refused). */
export const subscribeAckSchema = z.union([liveFilterSchema, liveErrorSchema]);
export type SubscribeAck = z.infer<typeof subscribeAckSchema>;

export const watchSchema = z.strictObject({ deviceIds: z.array(z.string().regex(DEVICE_ID, 'must be device ids')).max(MAX_WATCHED) });
export type WatchRequest = z.input<typeof watchSchema>;
/** The ack of `watch`/`unwatch`: every device the client now watches. */
export const watchAckSchema = z.union([z.object({ deviceIds: z.array(z.string()) }), liveErrorSchema]);
export type WatchAck = z.infer<typeof watchAckSchema>;

export const deviceStatusEventSchema = z.object({
  deviceId: z.string(),
  status: deviceStatusSchema,
  lastSeen: time.nullable().describe('null when the device never sent anything'),
});
export type DeviceStatusEvent = z.infer<typeof deviceStatusEventSchema>;

export const readingEventSchema = z.object({
  deviceId: z.string(),
  domain: z.string(),
  type: z.string(),
  ts: time.describe('event time'),
  values: z.record(z.string(), z.union([z.number(), z.boolean()])),
});
export type ReadingEvent = z.infer<typeof readingEventSchema>;

/** Each server-to-client event's payload. */
export const serverEvents = {
  'alerts:snapshot': z.array(alertSchema),
  'alert:fired': alertSchema,
  'alert:acknowledged': alertSchema,
  'alert:resolved': alertSchema,
  'device:status': deviceStatusEventSchema,
  reading: readingEventSchema,
  /** A replay stopped at its cap: subscribe again with this `since` for the rest (no live events until then). */
  'replay:capped': z.object({ since: z.number(), message: z.string() }),
  /** Sent just before the server drops a client whose unsent backlog passed its bound. */
  'live:overflow': z.object({ code: z.literal('slow_consumer'), message: z.string() }),
} as const;

/** Each client-to-server event's request and the ack it is answered with. */
export const clientEvents = {
  subscribe: { request: subscribeSchema, ack: subscribeAckSchema },
  watch: { request: watchSchema, ack: watchAckSchema },
  unwatch: { request: watchSchema, ack: watchAckSchema },
} as const;

export type ServerToClientEvents = { [E in keyof typeof serverEvents]: (payload: z.infer<(typeof serverEvents)[E]>) => void };
export type ClientToServerEvents = {
  [E in keyof typeof clientEvents]: (
    request: z.input<(typeof clientEvents)[E]['request']>,
    ack: (result: z.infer<(typeof clientEvents)[E]['ack']>) => void,
  ) => void;
};
