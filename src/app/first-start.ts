import { hashToken, newSecret, type Config, type Logger } from '../core/index.js';
import { hashPassword } from '../dashboard-api/index.js';
import type { SqliteStores } from '../storage/index.js';

export interface FirstStart {
  /** The admin token generated on first start, when ADMIN_TOKEN was unset and no admin existed. */
  generatedAdminToken?: string;
  /** The admin user created on first start (no user existed yet), with its generated password. */
  generatedAdminUser?: { username: string; password: string };
}

/**
 * What a first start makes (an admin token without ADMIN_TOKEN, an admin user: both printed once by main), and
 * what an operator should know of the stored state (device secrets still stored as scrypt hashes).
 */
export async function firstStart(config: Pick<Config, 'adminToken'>, meta: Pick<SqliteStores, 'tokens' | 'users' | 'devices'>, log: Logger): Promise<FirstStart> {
  const made: FirstStart = {};
  if (!config.adminToken && meta.tokens.countByRole('admin') === 0) {
    made.generatedAdminToken = newSecret();
    meta.tokens.create('first-start admin', 'admin', hashToken(made.generatedAdminToken));
  }
  // People sign in too: the first start creates an admin user, as it creates an admin token.
  if (meta.users.count() === 0) {
    made.generatedAdminUser = { username: 'admin', password: newSecret(15) };
    meta.users.create({ username: 'admin', name: 'Administrator', role: 'admin' }, await hashPassword(made.generatedAdminUser.password));
    log.info({ username: 'admin' }, 'first start: admin user created (its password is printed once on stdout)');
  }
  const scrypt = meta.devices.secretSchemes().scrypt ?? 0;
  if (scrypt > 0) log.info({ devices: scrypt }, `device secrets: ${scrypt} still stored as scrypt hashes by an earlier version (each costs scrypt once, at its next good login, and is then stored keyed)`);
  return made;
}
