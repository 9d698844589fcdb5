#!/usr/bin/env node
// Built code lives in dist/ (`npm run build`, run by `npm start` and `npm run test:all`).
await import('../dist/src/app/cli.js');
