import { z } from 'zod';
import { AppError, matches, parseDuration, SEVERITIES, type Catalog, type Credit, type Logger, type Rule, type SensorType, type ValueCondition } from '../core/index.js';
import { negate, overlaps } from './conditions.js';

const NAME = /^[a-z][a-z0-9_]{0,63}$/;
export const RULE_ID = /^[A-Za-z0-9_.-]{1,64}$/;
const MAX_FOR_MS = 86_400_000;

const finite = z.number().finite();
const thresholdSchema = z.strictObject({ op: z.enum(['>', '>=', '<', '<=']), value: finite });
const rangeSchema = z
  .strictObject({ op: z.enum(['inside', 'outside']), low: finite, high: finite })
  .refine((c) => c.low <= c.high, { message: 'must not be below low (an impossible range)', path: ['high'] });
const noDataSchema = z.strictObject({ op: z.literal('no_data') });

export const valueConditionSchema = z.discriminatedUnion('op', [thresholdSchema, rangeSchema]);
export const conditionSchema = z.discriminatedUnion('op', [thresholdSchema, rangeSchema, noDataSchema]);

const durationSchema = z.union([z.string(), z.number()]).transform((v, ctx) => {
  const text = String(v).trim();
  let ms: number;
  try {
    ms = parseDuration(text);
  } catch {
    ctx.addIssue({ code: 'custom', message: 'not a duration (use 0, 30s, 5m, 1h)' });
    return z.NEVER;
  }
  if (ms > MAX_FOR_MS) {
    ctx.addIssue({ code: 'custom', message: 'must be at most 24h' });
    return z.NEVER;
  }
  return text;
});

const label = z.string().trim().min(1).max(100);

/** A rule as the API takes it (POST /api/rules, PUT /api/rules/{id}). */
export const ruleInputSchema = z.strictObject({
  id: z.string().regex(RULE_ID, 'must be 1–64 of A-Z a-z 0-9 _ . -').optional(),
  name: z.string().trim().min(1).max(200),
  enabled: z.boolean().default(true),
  match: z
    .strictObject({ domain: label.optional(), type: label.optional(), deviceId: z.string().regex(RULE_ID).optional(), district: label.optional() })
    .default({}),
  metric: z.string().regex(NAME, 'must be a catalog metric name').optional(),
  condition: conditionSchema,
  clear: valueConditionSchema.optional(),
  for: durationSchema.default('0'),
  severity: z.enum(SEVERITIES),
  message: z.string().trim().min(1).max(500).optional(),
});
export type RuleInput = z.output<typeof ruleInputSchema>;

const bad = (field: string, message: string) => new AppError('bad_request', `body ${field}: ${message}`);

/** The catalog types a rule's match can apply to. */
export function matchedTypes(catalog: Catalog, match: { domain?: string; type?: string }): SensorType[] {
  return [...catalog.types.values()].filter((t) => matches({ domain: match.domain, type: match.type }, t));
}

/** Checks a parsed rule against the catalog; throws a 400 that names the field. */
export function checkRule(catalog: Catalog, input: RuleInput): void {
  const { match } = input;
  if (match.domain && !catalog.domains.includes(match.domain)) throw bad('match.domain', `${match.domain} is not a catalog domain`);
  const types = matchedTypes(catalog, match);
  if (match.type && types.length === 0) {
    throw bad('match.type', `${match.domain ? `${match.domain}/` : ''}${match.type} is not a catalog type`);
  }
  if (input.condition.op === 'no_data') {
    if (input.metric !== undefined) throw bad('metric', 'a no_data rule takes no metric (any reading is data)');
    if (input.clear !== undefined) throw bad('clear', 'a no_data rule clears when data comes again; it takes no clear');
    return;
  }
  if (input.metric === undefined) throw bad('metric', 'required (the metric the condition reads)');
  const metric = input.metric;
  if (!types.some((t) => t.metrics.has(metric))) {
    const where = match.type || match.domain ? types.map((t) => `${t.domain}/${t.type}`).join(', ') : 'no catalog type';
    throw bad('metric', `${where} has no metric ${metric}`);
  }
  if (input.clear && overlaps(input.condition, input.clear)) {
    throw bad('clear', 'overlaps condition: a value could both fire and clear the alert');
  }
}

/** The rule a checked input becomes. */
export function toRule(input: RuleInput, id: string, now: number, previous?: Rule, by?: Credit): Rule {
  return {
    id,
    name: input.name,
    enabled: input.enabled,
    match: input.match,
    ...(input.metric !== undefined ? { metric: input.metric } : {}),
    condition: input.condition,
    ...(input.clear !== undefined ? { clear: input.clear } : {}),
    for: input.for,
    severity: input.severity,
    ...(input.message !== undefined ? { message: input.message } : {}),
    builtin: previous?.builtin ?? false,
    createdAt: previous?.createdAt ?? now,
    updatedAt: now,
    createdBy: previous ? (previous.createdBy ?? null) : (by ?? null),
    updatedBy: previous ? (by ?? null) : null,
  };
}

/** What a change did to a rule: created, deleted, disabled, enabled or (anything else) updated. */
export function ruleChange(prev: Rule | undefined, next: Rule | undefined): 'created' | 'deleted' | 'disabled' | 'enabled' | 'updated' {
  if (!prev) return 'created';
  if (!next) return 'deleted';
  if (prev.enabled !== next.enabled) return next.enabled ? 'enabled' : 'disabled';
  return 'updated';
}

/** Logs a rule change at info: the rule, what was done, and by whom. */
export function logRuleChange(log: Logger, ruleId: string, prev: Rule | undefined, next: Rule | undefined, by: Credit | undefined): void {
  const change = ruleChange(prev, next);
  log.info({ ruleId, change, by: by?.name ?? null, byId: by?.id ?? null }, `alert rule ${ruleId} ${change}${by ? ` by ${by.name}` : ''}`);
}

/** The clear condition in force: the rule's own, or the negation of its condition. */
export function clearOf(condition: ValueCondition, clear?: ValueCondition): ValueCondition {
  return clear ?? negate(condition);
}
