import { Router } from 'express';
import { z } from 'zod';
import { hashToken, newSecret, notFound } from '../../core/index.js';
import { ROLES, type TokenStore } from '../../storage/index.js';
import { requireRole, type Authenticate } from '../auth.js';
import { body } from '../validate.js';

const newTokenSchema = z.strictObject({ name: z.string().trim().min(1).max(100), role: z.enum(ROLES) });

/** API tokens: created by admins, shown once, stored hashed. */
export function tokensRouter(tokens: TokenStore, authenticate: Authenticate): Router {
  const router = Router();
  const admin = requireRole(authenticate, 'admin');
  const view = (t: { id: string; name: string; role: string; createdAt: number }) => ({ ...t, createdAt: new Date(t.createdAt).toISOString() });

  router.post('/tokens', admin, (req, res) => {
    const { name, role } = body(req, newTokenSchema);
    const token = newSecret();
    const created = tokens.create(name, role, hashToken(token));
    res.status(201).json({ ...view(created), token });
  });
  router.get('/tokens', admin, (_req, res) => {
    res.json({ items: tokens.list().map(view) });
  });
  router.delete('/tokens/:id', admin, (req, res) => {
    if (!tokens.delete(String(req.params.id))) throw notFound(`token ${req.params.id}`);
    res.status(204).end();
  });
  return router;
}
