import { conflict } from '../../core/index.js';
import type { Rule } from '../../core/index.js';
import type { RuleStore } from '../alert-ports.js';
import type { Async } from '../async.js';
import { inTransaction, isUniqueViolation, type PgPool } from './db.js';

// Taken (per transaction) by a seed, so two nodes starting at once offer each built-in rule once.
const SEED_LOCK = 0x63697479_0003n.toString();

/** Rules on the `alert_rules` table (PostgreSQL), each a JSON body, in creation order. */
export function createPgRuleStore(pool: PgPool): Async<RuleStore> {
  return {
    async list() {
      return (await pool.query<{ body: Rule }>('SELECT body FROM alert_rules ORDER BY seq')).rows.map((r) => r.body);
    },
    async get(id) {
      return (await pool.query<{ body: Rule }>('SELECT body FROM alert_rules WHERE id = $1', [id])).rows[0]?.body;
    },
    async create(rule) {
      try {
        await pool.query('INSERT INTO alert_rules (id, body) VALUES ($1, $2)', [rule.id, JSON.stringify(rule)]);
      } catch (err) {
        if (isUniqueViolation(err)) throw conflict(`rule ${rule.id} already exists`);
        throw err;
      }
      return rule;
    },
    async update(rule) {
      return (await pool.query('UPDATE alert_rules SET body = $1 WHERE id = $2', [JSON.stringify(rule), rule.id])).rowCount! > 0;
    },
    async delete(id) {
      return (await pool.query('DELETE FROM alert_rules WHERE id = $1', [id])).rowCount! > 0;
    },
    // `seededBefore` is for SQLite files of releases that did not record the ids offered; every PostgreSQL database
    // records them from its first seed, so there is nothing to take from it here.
    seedBuiltins(rules) {
      return inTransaction(pool, async (c) => {
        await c.query('SELECT pg_advisory_xact_lock($1)', [SEED_LOCK]);
        const added: Rule[] = [];
        for (const r of rules) {
          const offered = await c.query('INSERT INTO builtin_rules_offered (id) VALUES ($1) ON CONFLICT (id) DO NOTHING', [r.id]);
          if (offered.rowCount === 0) continue; // offered before: deleted or edited since, or still there
          const inserted = await c.query('INSERT INTO alert_rules (id, body) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING', [r.id, JSON.stringify(r)]);
          if (inserted.rowCount! > 0) added.push(r);
        }
        return added;
      });
    },
  };
}
