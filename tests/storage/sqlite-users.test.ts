import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSqliteStores } from '../../src/storage/index.js';
import { userStoreContract } from './user-store.contract.js';

userStoreContract('sqlite', {
  async open() {
    const dir = mkdtempSync(join(tmpdir(), 'citysense-users-'));
    const meta = createSqliteStores(dir);
    return {
      users: meta.users, sessions: meta.sessions, tokens: meta.tokens,
      async close() { await meta.close(); rmSync(dir, { recursive: true, force: true }); },
    };
  },
});
