import { z } from 'zod';
import { ROLES } from '../../storage/index.js';
import type { ApiDefinition } from '../define.js';

export const whoamiSchema = z
  .object({ name: z.string().describe('the token\'s name'), role: z.enum(ROLES) })
  .meta({ id: 'Principal' });

/** Who the bearer token belongs to: the console signs in with it and shows only what the role may do. */
export function sessionRoutes(api: ApiDefinition) {
  const { router, op } = api.router('/api');
  op(
    { method: 'get', path: '/api/whoami', tag: 'tokens', summary: 'The name and role of the calling token', role: 'viewer',
      description: 'Lets a client check a token and learn its role without trying calls that need a higher one.',
      responses: { 200: { description: 'the token\'s principal', schema: whoamiSchema } } },
    (req, res) => {
      res.json({ name: req.principal!.name, role: req.principal!.role });
    },
  );
  return router;
}
