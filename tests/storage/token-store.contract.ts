import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import type { TokenStore } from '../../src/storage/index.js';
import type { Either } from './contract-helpers.js';

/** A token store on a new, empty database per test, and how to close it. */
export interface TokenStoreSubject {
  open(): Promise<{ tokens: Either<TokenStore>; close(): Promise<void> | void }>;
}

/**
 * What every adapter of the API token store must do (a token's scope: tests/storage/user-store.contract.ts). Every
 * call is awaited, so the suite runs unchanged against an adapter whose methods return promises.
 */
export function tokenStoreContract(name: string, subject: TokenStoreSubject): void {
  describe(`TokenStore contract: ${name}`, () => {
    let s: Awaited<ReturnType<TokenStoreSubject['open']>>;
    let tokens: Either<TokenStore>;
    beforeEach(async () => {
      s = await subject.open();
      tokens = s.tokens;
    });
    afterEach(async () => { await s.close(); });

    it('creates tokens with short random ids and finds them by hash', async () => {
      const a = await tokens.create('ci', 'admin', 'hash-a');
      const b = await tokens.create('wall screen', 'viewer', 'hash-b');
      expect(a).toEqual({ id: expect.stringMatching(/^[A-Za-z0-9_-]{8,16}$/), name: 'ci', role: 'admin', createdAt: expect.any(Number) });
      expect(a.id).not.toBe(b.id);
      expect(await tokens.findByHash('hash-b')).toEqual(b);
      expect(await tokens.findByHash('nope')).toBeUndefined();
      expect(await tokens.list()).toEqual([a, b]);
      expect(JSON.stringify(await tokens.list())).not.toContain('hash-');
    });

    it('counts by role and deletes by id', async () => {
      const a = await tokens.create('one', 'admin', 'h1');
      await tokens.create('two', 'admin', 'h2');
      await tokens.create('three', 'operator', 'h3');
      expect(await tokens.countByRole('admin')).toBe(2);
      expect(await tokens.countByRole('viewer')).toBe(0);
      expect(await tokens.delete(a.id)).toBe(true);
      expect(await tokens.delete(a.id)).toBe(false);
      expect(await tokens.findByHash('h1')).toBeUndefined();
      expect(await tokens.countByRole('admin')).toBe(1);
    });
  });
}
