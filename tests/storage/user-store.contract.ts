import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { AppError } from '../../src/core/index.js';
import type { SessionStore, TokenStore, UserStore } from '../../src/storage/index.js';
import { failure, type Either } from './contract-helpers.js';

/** A fresh set of stores per test (an empty database) and how to close it. */
export interface UserStoresSubject {
  open(): Promise<{ users: Either<UserStore>; sessions: Either<SessionStore>; tokens: Either<TokenStore>; close(): Promise<void> | void }>;
}

/**
 * What every adapter of the users, sessions and token-scope ports must do (DESIGN.md: one contract suite per port).
 * Every call is awaited, so the suite runs unchanged against an adapter whose methods return promises.
 */
export function userStoreContract(name: string, subject: UserStoresSubject): void {
  describe(`UserStore and SessionStore contract: ${name}`, () => {
    let s: Awaited<ReturnType<UserStoresSubject['open']>>;
    beforeEach(async () => { s = await subject.open(); });
    afterEach(async () => { await s.close(); });

    it('creates a user and returns it whole, without its password hash', async () => {
      const u = await s.users.create({ username: 'ana', name: 'Ana Health', role: 'operator', scope: { domains: ['healthcare'] } }, 'scrypt$h1');
      expect(u).toEqual({
        id: expect.any(String), username: 'ana', name: 'Ana Health', role: 'operator', scope: { domains: ['healthcare'] },
        disabled: false, createdAt: expect.any(Number), updatedAt: expect.any(Number),
      });
      expect(await s.users.get(u.id)).toEqual(u);
      expect(JSON.stringify(await s.users.get(u.id))).not.toContain('scrypt$h1');
      expect(await s.users.findByUsername('ANA')).toEqual({ user: u, passwordHash: 'scrypt$h1' });
      expect(await s.users.count()).toBe(1);
    });

    it('refuses a username that is taken, ignoring case, with a 409', async () => {
      await s.users.create({ username: 'ops', name: 'Ops', role: 'admin' }, 'h');
      const err = await failure(() => s.users.create({ username: 'OPS', name: 'x', role: 'viewer' }, 'h'));
      expect(err).toBeInstanceOf(AppError);
      expect(err).toMatchObject({ status: 409 });
      const other = await s.users.create({ username: 'b', name: 'B', role: 'viewer' }, 'h');
      expect(await failure(() => s.users.update(other.id, { username: 'Ops' }))).toMatchObject({ message: expect.stringMatching(/taken/) });
    });

    it('updates only the fields given, removes a scope with null, and changes the password hash when given', async () => {
      const u = await s.users.create({ username: 'sam', name: 'Sam', role: 'viewer', scope: { districts: ['Xingqing'] } }, 'old');
      const updated = await s.users.update(u.id, { role: 'operator', disabled: true });
      expect(updated).toMatchObject({ username: 'sam', name: 'Sam', role: 'operator', disabled: true, scope: { districts: ['Xingqing'] } });
      expect(await s.users.update(u.id, { scope: null }, 'new')).not.toHaveProperty('scope');
      expect((await s.users.findByUsername('sam'))!.passwordHash).toBe('new');
      expect(await s.users.update('nobody', { name: 'x' })).toBeUndefined();
    });

    it('lists users by username and pages after one', async () => {
      for (const n of ['carl', 'Abe', 'bea']) await s.users.create({ username: n, name: n, role: 'viewer' }, 'h');
      expect((await s.users.list()).map((u) => u.username)).toEqual(['Abe', 'bea', 'carl']);
      expect((await s.users.list({ after: 'abe', limit: 1 })).map((u) => u.username)).toEqual(['bea']);
    });

    it('keeps sessions until sign-out, idleness or the end of their user', async () => {
      const u = await s.users.create({ username: 'dee', name: 'Dee', role: 'viewer' }, 'h');
      const other = await s.users.create({ username: 'eve', name: 'Eve', role: 'viewer' }, 'h');
      const a = await s.sessions.create('sess-a', u.id);
      await s.sessions.create('sess-b', u.id);
      await s.sessions.create('sess-c', other.id);
      expect(a).toEqual({ id: 'sess-a', userId: u.id, createdAt: expect.any(Number), lastSeenAt: a.createdAt });
      await s.sessions.touch('sess-a', a.lastSeenAt + 5000);
      expect((await s.sessions.get('sess-a'))!.lastSeenAt).toBe(a.lastSeenAt + 5000);
      expect(await s.sessions.purgeIdle(a.lastSeenAt + 5000)).toBe(2); // b and c were idle since creation
      expect(await s.sessions.get('sess-a')).toBeDefined();
      await s.sessions.create('sess-d', u.id);
      expect(await s.sessions.deleteForUser(u.id)).toBe(2);
      expect(await s.sessions.get('sess-a')).toBeUndefined();
      await s.sessions.create('sess-e', other.id);
      expect(await s.users.delete(other.id)).toBe(true);
      expect(await s.sessions.get('sess-e')).toBeUndefined();
      expect(await s.sessions.delete('sess-e')).toBe(false);
    });

    it('stores a token\'s scope with it', async () => {
      const t = await s.tokens.create('health wall', 'viewer', 'hash-1', { domains: ['healthcare'], districts: ['Jinfeng'] });
      expect(await s.tokens.findByHash('hash-1')).toEqual({ ...t, scope: { domains: ['healthcare'], districts: ['Jinfeng'] } });
      expect(await s.tokens.create('all', 'viewer', 'hash-2')).not.toHaveProperty('scope');
    });
  });
}
