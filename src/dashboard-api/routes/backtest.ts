import { notFound, type Catalog } from '../../core/index.js';
import { draftRule, type AlertEngine, type Backtester, type BacktestResult } from '../../alerts/index.js';
import type { ApiDefinition } from '../define.js';
import { backtestBodySchema, backtestResultSchema, type BacktestResult as BacktestBody } from '../schemas/index.js';
import { bodyTime } from '../time.js';

export interface BacktestRouteDeps {
  catalog: Catalog;
  engine: AlertEngine;
  backtester: Backtester;
  now: () => number;
}

/** The answer with RFC 3339 times. */
export function backtestView(r: BacktestResult): BacktestBody {
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
