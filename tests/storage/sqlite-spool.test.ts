import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSqliteSpoolStore } from '../../src/storage/index.js';
import { spoolStoreContract } from './spool.contract.js';

// The SQLite-only behaviour of the spool (a 0.1 spool taken over, JSON bodies of an earlier build) is in
// tests/ingest/spool-tail.test.ts, with the ingest's Spool on top.
spoolStoreContract('sqlite', {
  async place() {
    const dir = mkdtempSync(join(tmpdir(), 'citysense-spool-contract-'));
    return {
      open: async (sinks) => createSqliteSpoolStore({ file: join(dir, 'spool.db'), sinks }),
      remove: () => rmSync(dir, { recursive: true, force: true }),
    };
  },
});
