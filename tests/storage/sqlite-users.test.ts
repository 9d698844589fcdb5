import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSqliteMetaStores } from '../../src/storage/index.js';
import { userStoreContract } from './user-store.contract.js';

userStoreContract('sqlite', {
  async open() {
    const dir = mkdtempSync(join(tmpdir(), 'citysense-users-'));
    const meta = createSqliteMetaStores(dir);
    return {
      users: meta.users, sessions: meta.sessions, tokens: meta.tokens,
      close() { meta.close(); rmSync(dir, { recursive: true, force: true }); },
    };
  },
});
