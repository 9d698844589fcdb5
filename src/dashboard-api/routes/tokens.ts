import { hashToken, newSecret, notFound } from '../../core/index.js';
import { type ApiToken, type TokenStore } from '../../storage/index.js';
import type { ApiDefinition } from '../define.js';
import { list, newTokenSchema, tokenCreatedSchema, tokenSchema, type Token } from '../schemas/index.js';

export interface TokensDeps {
  tokens: TokenStore;
  /** Deletes a token and ends the live sessions made with it (Authenticate.revoke). */
  revoke: (tokenId: string) => boolean;
}

/** API tokens: created by admins, shown once, stored hashed; revoking one also ends its Socket.IO connections. */
export function tokensRoutes(api: ApiDefinition, { tokens, revoke }: TokensDeps) {
  const { router, op } = api.router('/api');
  const view = (t: ApiToken): Token => ({ ...t, createdAt: new Date(t.createdAt).toISOString() });

  op(
    { method: 'post', path: '/api/tokens', tag: 'tokens', summary: 'Create an API token', role: 'admin', body: newTokenSchema,
      description: 'The token is shown only in this answer; it is stored hashed. A `scope` limits what it sees and does (machines of one department).',
      responses: { 201: { description: 'created', schema: tokenCreatedSchema } } },
    (_req, res, { body }) => {
      const token = newSecret();
      const created = tokens.create(body.name, body.role, hashToken(token), body.scope);
      res.status(201).json({ ...view(created), token });
    },
  );
  op(
    { method: 'get', path: '/api/tokens', tag: 'tokens', summary: 'List API tokens (never the secrets)', role: 'admin',
      responses: { 200: { description: 'every token', schema: list(tokenSchema) } } },
    (_req, res) => {
      res.json({ items: tokens.list().map(view) });
    },
  );
  op(
    { method: 'delete', path: '/api/tokens/{id}', tag: 'tokens', summary: 'Revoke an API token', role: 'admin',
      description: 'Every Socket.IO connection made with the token is disconnected at once.',
      responses: { 204: { description: 'revoked' } }, errors: [404] },
    (_req, res, { params }) => {
      if (!revoke(params.id!)) throw notFound(`token ${params.id}`);
      res.status(204).end();
    },
  );
  return router;
}
