import { Router } from 'express';
import { notFound } from '../../core/index.js';
import { ruleInputSchema, ruleView, type AlertEngine } from '../../alerts/index.js';
import { requireRole, type Authenticate } from '../auth.js';
import { body } from '../validate.js';

export interface RulesDeps {
  engine: AlertEngine;
  authenticate: Authenticate;
}

/** Alert rules (CONTRACT.md 5.1): viewers read, admins create, replace and delete. */
export function rulesRouter(deps: RulesDeps): Router {
  const { engine, authenticate } = deps;
  const router = Router();
  const viewer = requireRole(authenticate, 'viewer');
  const admin = requireRole(authenticate, 'admin');

  router.get('/rules', viewer, (_req, res) => {
    res.json({ items: engine.listRules().map(ruleView) });
  });
  router.get('/rules/:id', viewer, (req, res) => {
    const rule = engine.getRule(String(req.params.id));
    if (!rule) throw notFound(`rule ${req.params.id}`);
    res.json(ruleView(rule));
  });
  router.post('/rules', admin, (req, res) => {
    const rule = engine.createRule(body(req, ruleInputSchema));
    res.status(201).location(`/api/rules/${encodeURIComponent(rule.id)}`).json(ruleView(rule));
  });
  router.put('/rules/:id', admin, (req, res) => {
    const id = String(req.params.id);
    if (!engine.getRule(id)) throw notFound(`rule ${id}`);
    res.json(ruleView(engine.updateRule(id, body(req, ruleInputSchema))));
  });
  router.delete('/rules/:id', admin, (req, res) => {
    engine.deleteRule(String(req.params.id));
    res.status(204).end();
  });
  return router;
}
