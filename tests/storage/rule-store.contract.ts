import { afterEach, describe, expect, it } from '@jest/globals';
import { AppError } from '../../src/core/index.js';
import type { Rule } from '../../src/core/index.js';
import type { RuleStore } from '../../src/storage/index.js';
import { failure, placeKeeper, type Either, type Place } from './contract-helpers.js';

/** A new, empty database per call, which the contract opens more than once (a restart). */
export interface RuleStoreSubject {
  place(): Promise<Place<{ rules: Either<RuleStore> }>>;
}

const rule = (id: string, over: Partial<Rule> = {}): Rule => ({
  id, name: `rule ${id}`, enabled: true, match: { domain: 'safety', type: 'gas' }, metric: 'co', condition: { op: '>', value: 1 }, for: '0',
  severity: 'info', builtin: true, createdAt: 1, updatedAt: 1, ...over,
});

/**
 * What every adapter of the rule store must do: rules in creation order, and the built-in rules each offered once
 * per database. Every call is awaited, so the suite runs unchanged against an adapter whose methods return promises.
 */
export function ruleStoreContract(name: string, subject: RuleStoreSubject): void {
  describe(`RuleStore contract: ${name}`, () => {
    const keeper = placeKeeper(() => subject.place());
    afterEach(() => keeper.cleanup());
    const open = async () => (await (await keeper.place()).open()).rules;

    it('keeps rules whole in creation order, an update in its place, and refuses a second rule with an id with a 409', async () => {
      const rules = await open();
      const own = rule('b-own', {
        builtin: false, clear: { op: '<', value: 0.5 }, for: '30s', message: 'co high', match: { district: 'Xixia', deviceId: 'gas-1' },
        createdBy: { id: 'user-mei', name: 'Mei' }, updatedBy: null,
      });
      expect(await rules.create(rule('z-first'))).toEqual(rule('z-first'));
      await rules.create(own);
      await rules.create(rule('a-third', { metric: undefined, condition: { op: 'no_data' } }));
      expect((await rules.list()).map((r) => r.id)).toEqual(['z-first', 'b-own', 'a-third']);
      expect(await rules.get('b-own')).toEqual(own);
      expect(await rules.get('a-third')).not.toHaveProperty('metric');
      expect(await rules.get('nobody')).toBeUndefined();
      const err = await failure(() => rules.create(rule('b-own', { name: 'again' })));
      expect(err).toBeInstanceOf(AppError);
      expect(err).toMatchObject({ status: 409, message: expect.stringMatching(/exists/) });
      expect((await rules.get('b-own'))!.name).toBe('rule b-own');

      const edited = { ...own, enabled: false, updatedAt: 2, updatedBy: { id: 'token:t1', name: 'night desk' } };
      expect(await rules.update(edited)).toBe(true);
      expect(await rules.update(rule('nobody'))).toBe(false);
      expect(await rules.get('b-own')).toEqual(edited);
      expect((await rules.list()).map((r) => r.id)).toEqual(['z-first', 'b-own', 'a-third']);
      expect(await rules.delete('z-first')).toBe(true);
      expect(await rules.delete('z-first')).toBe(false);
      expect((await rules.list()).map((r) => r.id)).toEqual(['b-own', 'a-third']);
    });

    it('adds each built-in rule once per database: a deleted one stays deleted, an edited one stays edited, a new one is added', async () => {
      const place = await keeper.place();
      const rules = (await place.open()).rules;
      const r1 = rule('r1');
      const r2 = rule('r2');
      expect((await rules.seedBuiltins([r1, r2], [])).map((r) => r.id)).toEqual(['r1', 'r2']);
      await rules.delete('r1');
      await rules.update({ ...r2, condition: { op: '>', value: 7 } });
      const r3 = rule('r3'); // a built-in rule of a later release
      expect((await rules.seedBuiltins([r1, r2, r3], [])).map((r) => r.id)).toEqual(['r3']);
      expect(await rules.get('r1')).toBeUndefined();
      expect(await rules.get('r2')).toMatchObject({ condition: { value: 7 } });
      expect(await rules.seedBuiltins([r1, r2, r3], [])).toEqual([]);
      expect(await failure(() => rules.create({ ...r1, id: 'r2' }))).toMatchObject({ message: expect.stringMatching(/exists/) });
      // What was offered is the database's: a restart (or another node) offers nothing again.
      const again = (await place.open()).rules;
      expect(await again.seedBuiltins([r1, r2, r3], [])).toEqual([]);
    });

    it('does not overwrite a rule of the same id as a built-in one it has never offered', async () => {
      const rules = await open();
      const mine = rule('smoke', { builtin: false, name: 'our smoke rule' });
      await rules.create(mine);
      expect((await rules.seedBuiltins([rule('smoke'), rule('noise')], [])).map((r) => r.id)).toEqual(['noise']);
      expect(await rules.get('smoke')).toEqual(mine);
    });
  });
}
