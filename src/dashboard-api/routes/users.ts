import { AppError, notFound, type Logger } from '../../core/index.js';
import { type User, type UserStore, type UserUpdate } from '../../storage/index.js';
import type { ApiDefinition } from '../define.js';
import { hashPassword } from '../passwords.js';
import { newUserSchema, page, userListQuery, userSchema, userUpdateSchema, type User as UserBody } from '../schemas/index.js';

export interface UsersDeps {
  users: UserStore;
  /** Ends every session and live connection of a user (Authenticate.endUser). */
  endUser: (userId: string) => void;
  log: Logger;
}

export const userView = (u: User): UserBody => ({ ...u, createdAt: new Date(u.createdAt).toISOString(), updatedAt: new Date(u.updatedAt).toISOString() });

/** People: managed by admins; passwords hashed with scrypt; disabling or deleting one ends their sessions at once. */
export function usersRoutes(api: ApiDefinition, { users, endUser, log }: UsersDeps) {
  const { router, op } = api.router('/api');
  const self = (principalUser: { id: string } | undefined, id: string) => principalUser?.id === id;

  op(
    { method: 'post', path: '/api/users', tag: 'users', summary: 'Create a user', role: 'admin', body: newUserSchema,
      description: 'The password is stored as a scrypt hash and never returned.',
      responses: { 201: { description: 'created', schema: userSchema } }, errors: [409] },
    async (req, res, { body }) => {
      const { password: secret, ...user } = body;
      const created = users.create(user, await hashPassword(secret));
      log.info({ userId: created.id, username: created.username, role: created.role, scope: created.scope, by: req.principal!.name }, 'user created');
      res.status(201).json(userView(created));
    },
  );
  op(
    { method: 'get', path: '/api/users', tag: 'users', summary: 'List users (never their passwords)', role: 'admin', query: userListQuery,
      description: 'Ordered by username; `cursor` is the `nextCursor` of the page before.',
      responses: { 200: { description: 'a page of users', schema: page(userSchema) } } },
    (_req, res, { query }) => {
      const items = users.list({ after: query.cursor, limit: query.limit + 1 });
      const more = items.length > query.limit;
      const shown = items.slice(0, query.limit);
      res.json({ items: shown.map(userView), ...(more ? { nextCursor: shown[shown.length - 1]!.username } : {}) });
    },
  );
  op(
    { method: 'get', path: '/api/users/{id}', tag: 'users', summary: 'One user', role: 'admin',
      responses: { 200: { description: 'the user', schema: userSchema } }, errors: [404] },
    (_req, res, { params }) => {
      const user = users.get(params.id!);
      if (!user) throw notFound(`user ${params.id}`);
      res.json(userView(user));
    },
  );
  op(
    { method: 'put', path: '/api/users/{id}', tag: 'users', summary: 'Change a user', role: 'admin', body: userUpdateSchema,
      description: 'Changes the fields given. A change of password, role, scope or `disabled: true` ends the user\'s sessions and Socket.IO connections at once (they sign in again). An admin cannot disable or demote their own user.',
      responses: { 200: { description: 'the user as changed', schema: userSchema } }, errors: [404, 409] },
    async (req, res, { params, body }) => {
      const id = params.id!;
      const { password: secret, ...patch } = body;
      if (self(req.principal!.user, id) && (patch.disabled === true || (patch.role && patch.role !== 'admin'))) {
        throw new AppError('conflict', 'an admin cannot disable or demote their own user (ask another admin)', 409);
      }
      const before = users.get(id);
      if (!before) throw notFound(`user ${id}`);
      const updated = users.update(id, patch as UserUpdate, secret === undefined ? undefined : await hashPassword(secret));
      if (!updated) throw notFound(`user ${id}`);
      const ends = secret !== undefined || updated.disabled || updated.role !== before.role || JSON.stringify(updated.scope) !== JSON.stringify(before.scope);
      if (ends) endUser(id);
      log.info({ userId: id, username: updated.username, changed: Object.keys(body), sessionsEnded: ends, by: req.principal!.name }, 'user updated');
      res.json(userView(updated));
    },
  );
  op(
    { method: 'delete', path: '/api/users/{id}', tag: 'users', summary: 'Delete a user', role: 'admin',
      description: 'Their sessions and Socket.IO connections end at once. An admin cannot delete their own user.',
      responses: { 204: { description: 'deleted' } }, errors: [404, 409] },
    (req, res, { params }) => {
      const id = params.id!;
      if (self(req.principal!.user, id)) throw new AppError('conflict', 'an admin cannot delete their own user (ask another admin)', 409);
      const user = users.get(id);
      if (!user || !users.delete(id)) throw notFound(`user ${id}`);
      endUser(id);
      log.info({ userId: id, username: user.username, by: req.principal!.name }, 'user deleted');
      res.status(204).end();
    },
  );
  return router;
}
