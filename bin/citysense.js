#!/usr/bin/env node
// Built code lives in dist/: `npm ci` builds it (package.json `prepare`), `npm run build` again after a change.
import { existsSync } from 'node:fs';

const cli = new URL('../dist/src/app/cli.js', import.meta.url);
if (!existsSync(cli)) {
  process.stderr.write('citysense: not built yet (dist/ is missing): run npm ci, or npm run build, in the citysense folder\n');
  process.exit(1);
}
await import(cli.href);
