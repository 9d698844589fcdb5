// Alerts, rules, silences and backtests. Rule bodies are the alerts room's own schema (the engine and the CLI check
// rules with it too); they are named here so that every body of the API is found in this folder.
import { z } from 'zod';
import { ALERT_STATES, SEVERITIES, conditionSchema, ruleInputSchema, valueConditionSchema } from '../../alerts/index.js';
import { creditSchema, label, pageLimit, time, timeInput } from './common.js';

export { ruleInputSchema };
export type NewRule = z.input<typeof ruleInputSchema>;

export const severitySchema = z.enum(SEVERITIES);
export type Severity = z.infer<typeof severitySchema>;
export type AlertState = (typeof ALERT_STATES)[number];
export type Condition = z.infer<typeof conditionSchema>;

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
    severity: severitySchema,
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
export type Alert = z.infer<typeof alertSchema>;

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
export type AlertWithTransitions = z.infer<typeof alertWithTransitionsSchema>;

const STATE_FILTERS = [...ALERT_STATES, 'active'] as const;
export const alertListQuery = z.object({
  // One state or several, comma-separated: `state=firing,acknowledged`.
  state: z
    .string()
    .transform((s) => s.split(',').map((x) => x.trim()))
    .pipe(z.array(z.enum(STATE_FILTERS, { message: `each must be one of ${STATE_FILTERS.join(', ')}` })))
    .optional(),
  severity: severitySchema.optional(),
  domain: z.string().min(1).optional(),
  deviceId: z.string().min(1).optional(),
  from: z.string().optional(),
  to: z.string().optional(),
  limit: pageLimit,
  cursor: z.string().regex(/^[1-9]\d{0,15}$/, 'must be the nextCursor of a previous page').optional(),
});
export type AlertListQuery = z.input<typeof alertListQuery>;

export const alertNoteSchema = z.strictObject({ note: z.string().trim().min(1).max(1000).optional() });
export type AlertNote = z.input<typeof alertNoteSchema>;

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
    severity: severitySchema,
    message: z.string().optional(),
    builtin: z.boolean(),
    createdAt: time,
    updatedAt: time,
    createdBy: creditSchema.nullable().describe('null for built-in rules and rules made before authors were recorded'),
    updatedBy: creditSchema.nullable().describe('who last changed it (also disabling or enabling it); null until changed'),
  })
  .meta({ id: 'Rule' });
export type Rule = z.infer<typeof ruleSchema>;

export const silenceMatchSchema = z.object({
  domain: z.string().optional(), type: z.string().optional(), deviceId: z.string().optional(), district: z.string().optional(), ruleId: z.string().optional(),
});
export type SilenceMatch = z.infer<typeof silenceMatchSchema>;
export const silenceSchema = z
  .object({
    id: z.string(),
    match: silenceMatchSchema,
    from: time,
    to: time,
    reason: z.string(),
    createdBy: z.string(),
    createdById: z.string().nullable().describe('a user id, or token:{id} for an API token'),
    createdAt: time,
    active: z.boolean(),
  })
  .meta({ id: 'Silence' });
export type Silence = z.infer<typeof silenceSchema>;

const MATCH_KEYS = 'domain, type, deviceId, district, ruleId';
const silenceTime = z.union([z.string().trim().min(1), z.number().int().nonnegative()]);
export const newSilenceSchema = z.strictObject({
  match: z
    .strictObject({ domain: label.optional(), type: label.optional(), deviceId: label.optional(), district: label.optional(), ruleId: label.optional() })
    .refine((m) => Object.values(m).some((v) => v !== undefined), `name at least one of ${MATCH_KEYS}`),
  from: silenceTime.optional(),
  to: silenceTime,
  reason: z.string().trim().min(1).max(500),
});
export type NewSilence = z.input<typeof newSilenceSchema>;

export const SILENCE_STATES = ['current', 'active', 'expired', 'all'] as const;
export const silenceListQuery = z.object({
  // current: in force now or still to come (the default); active: in force now; expired; all.
  state: z.enum(SILENCE_STATES).default('current'),
});
export type SilenceListQuery = z.input<typeof silenceListQuery>;

export const backtestBodySchema = z
  .strictObject({
    rule: ruleInputSchema.optional().describe('a draft rule (docs/contract.md 5.1), not saved'),
    ruleId: z.string().min(1).max(64).optional().describe('a saved rule'),
    from: timeInput.describe('RFC 3339, epoch ms, or relative (-1d)'),
    to: timeInput.default('now'),
    match: z.strictObject({ domain: label.optional(), type: label.optional(), deviceId: label.optional(), district: label.optional() }).optional(),
  })
  .refine((b) => (b.rule === undefined) !== (b.ruleId === undefined), { message: 'give either rule (a draft) or ruleId (a saved rule)', path: ['rule'] });
export type BacktestBody = z.input<typeof backtestBodySchema>;

const backtestAlertSchema = z.object({
  ruleId: z.string(), ruleName: z.string(), deviceId: z.string(), domain: z.string(), type: z.string(), district: z.string().nullable(),
  severity: z.string(), metric: z.string().nullable(), threshold: z.unknown(), value: z.number().nullable(), lastValue: z.number().nullable(),
  firedAt: time, resolvedAt: time.nullable(),
});
export const backtestResultSchema = z
  .object({
    alerts: z.array(backtestAlertSchema),
    devices: z.array(z.object({ deviceId: z.string(), district: z.string().nullable(), readings: z.number(), alerts: z.number() })),
    readings: z.number().describe('readings read'),
    truncated: z.boolean().describe('more alerts than the answer holds (10,000)'),
  })
  .meta({ id: 'BacktestResult' });
export type BacktestResult = z.infer<typeof backtestResultSchema>;
