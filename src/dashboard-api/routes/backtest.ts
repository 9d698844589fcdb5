import { z } from 'zod';
import { notFound, type Catalog } from '../../core/index.js';
import { draftRule, ruleInputSchema, type AlertEngine, type Backtester, type BacktestResult } from '../../alerts/index.js';
import type { ApiDefinition } from '../define.js';
import { bodyTime } from '../time.js';

export interface BacktestRouteDeps {
  catalog: Catalog;
  engine: AlertEngine;
  backtester: Backtester;
  now: () => number;
}

const timeInput = z.union([z.string(), z.number()]);
const label = z.string().trim().min(1).max(100);

export const backtestBodySchema = z
  .strictObject({
    rule: ruleInputSchema.optional().describe('a draft rule (docs/contract.md 5.1), not saved'),
    ruleId: z.string().min(1).max(64).optional().describe('a saved rule'),
    from: timeInput.describe('RFC 3339, epoch ms, or relative (-1d)'),
    to: timeInput.default('now'),
    match: z.strictObject({ domain: label.optional(), type: label.optional(), deviceId: label.optional(), district: label.optional() }).optional(),
  })
  .refine((b) => (b.rule === undefined) !== (b.ruleId === undefined), { message: 'give either rule (a draft) or ruleId (a saved rule)', path: ['rule'] });

const iso = z.string().describe('RFC 3339 time');
const backtestAlertSchema = z.object({
  ruleId: z.string(), ruleName: z.string(), deviceId: z.string(), domain: z.string(), type: z.string(), district: z.string().nullable(),
  severity: z.string(), metric: z.string().nullable(), threshold: z.unknown(), value: z.number().nullable(), lastValue: z.number().nullable(),
  firedAt: iso, resolvedAt: iso.nullable(),
});
export const backtestResultSchema = z
  .object({
    alerts: z.array(backtestAlertSchema),
    devices: z.array(z.object({ deviceId: z.string(), district: z.string().nullable(), readings: z.number(), alerts: z.number() })),
    readings: z.number().describe('readings read'),
    truncated: z.boolean().describe('more alerts than the answer holds (10,000)'),
  })
  .meta({ id: 'BacktestResult' });

/** The answer with RFC 3339 times. */
export function backtestView(r: BacktestResult) {
  return {
    ...r,
    alerts: r.alerts.map((a) => ({ ...a, firedAt: new Date(a.firedAt).toISOString(), resolvedAt: a.resolvedAt === null ? null : new Date(a.resolvedAt).toISOString() })),
  };
}

/** POST /api/rules/backtest: what a draft or saved rule would have raised over stored history (docs/contract.md 10). */
export function backtestRoutes(api: ApiDefinition, deps: BacktestRouteDeps) {
  const { router, op } = api.router('/api');
  op(
    { method: 'post', path: '/api/rules/backtest', tag: 'rules', summary: 'Backtest a rule over stored history', role: 'viewer', body: backtestBodySchema,
      description: 'Evaluates a draft (`rule`) or saved (`ruleId`) rule over the stored readings of every matching device in [from, to), in event ' +
        'time, with the live engine\'s state machine; touches no live state. More than 1,000,000 readings is a 400 that says what to narrow.',
      responses: { 200: { description: 'the alerts it would have raised', schema: backtestResultSchema } }, errors: [404, 503] },
    async (_req, res, { body }) => {
      const t = deps.now();
      const from = bodyTime(body.from, 'from', t);
      const to = bodyTime(body.to, 'to', t);
      let rule;
      if (body.ruleId !== undefined) {
        rule = deps.engine.getRule(body.ruleId);
        if (!rule) throw notFound(`rule ${body.ruleId}`);
      } else {
        rule = draftRule(deps.catalog, body.rule!, 'rule', t);
      }
      res.json(backtestView(await deps.backtester.run({ rule, from, to, match: body.match })));
    },
  );
  return router;
}
