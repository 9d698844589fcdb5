import { notFound } from '../../core/index.js';
import { ruleView, type AlertEngine } from '../../alerts/index.js';
import { creditOf } from '../auth.js';
import type { ApiDefinition } from '../define.js';
import { list, ruleInputSchema, ruleSchema } from '../schemas/index.js';

/** Alert rules (docs/contract.md 5.1): viewers read, admins create, replace and delete. */
export function rulesRoutes(api: ApiDefinition, engine: AlertEngine) {
  const { router, op } = api.router('/api');

  op(
    { method: 'get', path: '/api/rules', tag: 'rules', summary: 'List alert rules', role: 'viewer',
      responses: { 200: { description: 'every rule, in creation order', schema: list(ruleSchema) } } },
    (_req, res) => {
      res.json({ items: engine.listRules().map(ruleView) });
    },
  );
  op(
    { method: 'get', path: '/api/rules/{id}', tag: 'rules', summary: 'One rule', role: 'viewer',
      responses: { 200: { description: 'the rule', schema: ruleSchema } }, errors: [404] },
    (_req, res, { params }) => {
      const rule = engine.getRule(params.id!);
      if (!rule) throw notFound(`rule ${params.id}`);
      res.json(ruleView(rule));
    },
  );
  op(
    { method: 'post', path: '/api/rules', tag: 'rules', summary: 'Create a rule', role: 'admin', body: ruleInputSchema,
      description: 'Checked against the catalog: an unknown metric, an impossible range or a malformed duration is a 400 naming the field.',
      responses: { 201: { description: 'created', schema: ruleSchema } }, errors: [409] },
    (req, res, { body }) => {
      const rule = engine.createRule(body, creditOf(req.principal!));
      res.status(201).location(`/api/rules/${encodeURIComponent(rule.id)}`).json(ruleView(rule));
    },
  );
  op(
    { method: 'put', path: '/api/rules/{id}', tag: 'rules', summary: 'Replace a rule', role: 'admin', body: ruleInputSchema,
      responses: { 200: { description: 'the rule as stored', schema: ruleSchema } }, errors: [404] },
    (req, res, { params, body }) => {
      if (!engine.getRule(params.id!)) throw notFound(`rule ${params.id}`);
      res.json(ruleView(engine.updateRule(params.id!, body, creditOf(req.principal!))));
    },
  );
  op(
    { method: 'delete', path: '/api/rules/{id}', tag: 'rules', summary: 'Delete a rule (its open alerts are resolved)', role: 'admin',
      responses: { 204: { description: 'deleted' } }, errors: [404] },
    (req, res, { params }) => {
      engine.deleteRule(params.id!, creditOf(req.principal!));
      res.status(204).end();
    },
  );
  return router;
}
