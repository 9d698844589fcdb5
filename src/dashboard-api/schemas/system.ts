// Operations: health, readiness, stats, dead letters and their replay, the OpenAPI document itself.
import { z } from 'zod';
import { REFUSAL_REASONS } from '../../core/index.js';
import { pageLimit, time, timeInput } from './common.js';

export const healthSchema = z.object({ status: z.literal('ok') });
export const readySchema = z.object({
  status: z.enum(['ready', 'not_ready']),
  notReady: z.array(z.string()).optional(),
  /** Per sink of the spool: readings it has still to deliver, and whether its last write succeeded. */
  sinks: z.record(z.string(), z.object({ lag: z.number().int(), up: z.boolean() })).optional(),
});
export type Ready = z.infer<typeof readySchema>;

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
export type Stats = z.infer<typeof statsSchema>;

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
export type DeadLetter = z.infer<typeof deadLetterSchema>;

export const deadLetterQuery = z.object({
  limit: pageLimit,
  reason: z.enum(REFUSAL_REASONS).optional(),
  cursor: z.coerce.number().int().positive().optional(),
});
export type DeadLetterQuery = z.input<typeof deadLetterQuery>;

export const replayBodySchema = z.strictObject({
  reason: z.enum(REFUSAL_REASONS).optional(),
  deviceId: z.string().min(1).max(64).optional(),
  from: timeInput.optional().describe('receivedAt from (inclusive): RFC 3339, epoch ms, or relative (-1d)'),
  to: timeInput.optional().describe('receivedAt to (exclusive)'),
});
export type ReplayBody = z.input<typeof replayBodySchema>;

export const replayAnswerSchema = z
  .object({
    replayed: z.number().describe('letters that passed and were stored (they left the dead letters)'),
    readings: z.number().describe('readings those letters held'),
    stillRefused: z.partialRecord(z.enum(REFUSAL_REASONS), z.number()).describe('letters still refused, by their (possibly new) reason'),
  })
  .meta({ id: 'DeadLetterReplay' });
export type ReplayAnswer = z.infer<typeof replayAnswerSchema>;

export const openApiSchema = z.object({ openapi: z.string() }).loose();
