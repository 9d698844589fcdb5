// Response bodies of the API, declared once: the OpenAPI document is generated from them and the tests validate
// real responses against that document.
import { z } from 'zod';
import { REFUSAL_REASONS } from '../core/index.js';
import { ALERT_STATES, conditionSchema, SEVERITIES, valueConditionSchema } from '../alerts/index.js';
import { ROLES } from '../storage/index.js';

const time = z.string().describe('RFC 3339 time');
const value = z.union([z.number(), z.boolean()]);

export const errorSchema = z
  .object({ error: z.object({ code: z.string(), message: z.string(), details: z.unknown().optional() }) })
  .meta({ id: 'Error' });

/** `{items, nextCursor?}`: nextCursor is absent on the last page. */
export const page = <T extends z.ZodType>(item: T) => z.object({ items: z.array(item), nextCursor: z.string().optional() });

export const deviceSchema = z
  .object({
    id: z.string(),
    domain: z.string(),
    type: z.string(),
    name: z.string().optional(),
    district: z.string().optional(),
    location: z.object({ lat: z.number(), lon: z.number() }).optional(),
    createdAt: time,
    status: z.enum(['online', 'offline', 'stale']),
    lastSeen: time.nullable(),
    latest: z.record(z.string(), z.object({ v: value, t: time })),
    clockSkewMs: z.number().nullable().describe('median of (device timestamp - receive time) over recent messages that carried a timestamp'),
  })
  .meta({ id: 'Device' });

export const credentialsSchema = z.object({ username: z.string(), password: z.string().describe('shown only in this answer') }).meta({ id: 'Credentials' });
export const deviceCreatedSchema = z.object({ device: deviceSchema, credentials: credentialsSchema });

export const historySchema = z.object({
  deviceId: z.string(),
  metric: z.string(),
  points: z.array(z.object({ t: time, v: value })),
  truncated: z.literal(true).optional().describe('present when more points or buckets matched than `limit`: the first ones (oldest) are given'),
}).meta({ id: 'History' });

const scopeNames = z.array(z.string().trim().min(1).max(100)).min(1).max(100);
export const scopeSchema = z
  .strictObject({
    domains: scopeNames.optional().describe('only devices of these domains'),
    districts: scopeNames.optional().describe('only devices in these districts'),
  })
  .refine((s) => s.domains !== undefined || s.districts !== undefined, 'a scope names domains, districts or both')
  .meta({ id: 'Scope', description: 'What a user or token sees and acts on; absent: everything (the operations centre).' });

export const tokenSchema = z.object({ id: z.string(), name: z.string(), role: z.enum(ROLES), scope: scopeSchema.optional(), createdAt: time }).meta({ id: 'Token' });

export const userSchema = z
  .object({
    id: z.string(),
    username: z.string(),
    name: z.string().describe('display name: what actions are credited to'),
    role: z.enum(ROLES),
    scope: scopeSchema.optional(),
    disabled: z.boolean(),
    createdAt: time,
    updatedAt: time,
  })
  .meta({ id: 'User' });
export const tokenCreatedSchema = tokenSchema.extend({ token: z.string().describe('shown only in this answer') });

export const catalogSchema = z
  .object({
    domains: z.array(
      z.object({
        name: z.string(),
        types: z.array(
          z.object({
            name: z.string(),
            intervalMs: z.number(),
            metrics: z.array(z.object({ name: z.string(), kind: z.enum(['number', 'boolean']), unit: z.string().optional(), min: z.number().optional(), max: z.number().optional() })),
          }),
        ),
      }),
    ),
  })
  .meta({ id: 'Catalog' });

export const statsSchema = z
  .object({
    connectedDevices: z.number(),
    readings: z.object({ accepted: z.number(), refused: z.record(z.string(), z.number()), stored: z.number() }).optional()
      .describe('the whole platform\'s counters: left out for a scoped caller'),
    spool: z.object({ backlog: z.number(), bytes: z.number(), oldestAgeMs: z.number().nullable() }).optional()
      .describe('the whole platform\'s spool: left out for a scoped caller'),
    store: z.object({ kind: z.enum(['influxdb', 'sqlite']), up: z.boolean() }),
    activeAlerts: z.number(),
  })
  .meta({ id: 'Stats' });

export const deadLetterSchema = z
  .object({
    id: z.number(),
    receivedAt: time,
    deviceId: z.string().nullable(),
    topic: z.string(),
    reason: z.enum(REFUSAL_REASONS),
    detail: z.string(),
    payload: z.string().describe('the first 1 KiB of the payload'),
  })
  .meta({ id: 'DeadLetter' });

const threshold = z.union([z.number(), z.object({ low: z.number(), high: z.number() })]).nullable();
export const alertSchema = z
  .object({
    id: z.number(),
    ruleId: z.string(),
    ruleName: z.string(),
    deviceId: z.string(),
    domain: z.string(),
    type: z.string(),
    district: z.string().nullable(),
    metric: z.string().nullable(),
    severity: z.enum(SEVERITIES),
    state: z.enum(ALERT_STATES),
    message: z.string(),
    value: z.number().nullable(),
    threshold,
    firedAt: time,
    acknowledgedAt: time.nullable(),
    acknowledgedBy: z.string().nullable(),
    acknowledgedById: z.string().nullable().describe('who acknowledged it: a user id, or token:{id} for an API token'),
    resolvedAt: time.nullable(),
    resolvedBy: z.string().nullable(),
    resolvedById: z.string().nullable().describe('who resolved it by hand (a user id or token:{id}); null when the engine did'),
    lastValue: z.number().nullable(),
    lastValueAt: time.nullable(),
    silenced: z.boolean(),
    eventId: z.number(),
  })
  .meta({ id: 'Alert' });

export const transitionSchema = z.object({
  eventId: z.number(),
  kind: z.enum(['fired', 'acknowledged', 'resolved', 'unsilenced']),
  at: time,
  value: z.number().nullable(),
  actor: z.string(),
  actorId: z.string().nullable().describe('a user id, or token:{id} for an API token; null for the engine (actor system)'),
  note: z.string().optional(),
});
export const alertWithTransitionsSchema = alertSchema.extend({ transitions: z.array(transitionSchema) });

const credit = z.object({ id: z.string().describe('a user id, or token:{id} for an API token'), name: z.string() }).meta({ id: 'Credit' });

export const ruleSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    enabled: z.boolean(),
    match: z.object({ domain: z.string().optional(), type: z.string().optional(), deviceId: z.string().optional(), district: z.string().optional() }),
    metric: z.string().optional(),
    condition: conditionSchema,
    clear: valueConditionSchema.optional(),
    for: z.string(),
    severity: z.enum(SEVERITIES),
    message: z.string().optional(),
    builtin: z.boolean(),
    createdAt: time,
    updatedAt: time,
    createdBy: credit.nullable().describe('null for built-in rules and rules made before authors were recorded'),
    updatedBy: credit.nullable().describe('who last changed it (also disabling or enabling it); null until changed'),
  })
  .meta({ id: 'Rule' });

export const silenceSchema = z
  .object({
    id: z.string(),
    match: z.object({ domain: z.string().optional(), type: z.string().optional(), deviceId: z.string().optional(), district: z.string().optional(), ruleId: z.string().optional() }),
    from: time,
    to: time,
    reason: z.string(),
    createdBy: z.string(),
    createdById: z.string().nullable().describe('a user id, or token:{id} for an API token'),
    createdAt: time,
    active: z.boolean(),
  })
  .meta({ id: 'Silence' });

export const healthSchema = z.object({ status: z.literal('ok') });
export const readySchema = z.object({
  status: z.enum(['ready', 'not_ready']),
  notReady: z.array(z.string()).optional(),
  /** Per sink of the spool: readings it has still to deliver, and whether its last write succeeded. */
  sinks: z.record(z.string(), z.object({ lag: z.number().int(), up: z.boolean() })).optional(),
});
