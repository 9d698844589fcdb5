// Lint: defects, not style. ESLint's and typescript-eslint's recommended rules plus a few that catch real bugs,
// over the server, the console, the tests and the benchmark; no formatter (layout is left as it is).
// `npm run lint`; scripts/test-all.sh runs it after the type-check. Not type-aware: with type information the run
// took over a minute on a 2-core machine (and found no floating promise), so the type checks stay with tsc.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

// The rooms of src/ and the rooms each may import (docs/architecture.md). A room is entered only through its
// index.ts; `app` is the composition root and may import every room.
const ROOMS = ['core', 'storage', 'broker', 'ingest', 'devices', 'alerts', 'notifications', 'dashboard-api', 'simulator', 'stream', 'ngsi-ld', 'app'];
const MAY_IMPORT = {
  core: [],
  storage: ['core'],
  broker: ['core', 'storage'],
  ingest: ['core', 'storage'],
  devices: ['core', 'storage'],
  alerts: ['core', 'storage'],
  notifications: ['core', 'storage'],
  'dashboard-api': ['core', 'storage', 'alerts', 'notifications', 'ngsi-ld'],
  simulator: ['core'],
  stream: ['core', 'storage'],
  'ngsi-ld': ['core', 'storage'],
  app: ROOMS.filter((r) => r !== 'app'),
};
const roomImports = (room) => {
  const others = ROOMS.filter((r) => r !== room);
  const forbidden = others.filter((r) => !MAY_IMPORT[room].includes(r));
  return {
    files: [`src/${room}/**/*.ts`],
    rules: {
      'no-restricted-imports': ['error', { patterns: [
        { regex: `^(\\.\\./)+(${others.join('|')})/(?!index\\.js$)`, message: 'Enter another room only through its index.ts (docs/architecture.md).' },
        ...(forbidden.length ? [{ regex: `^(\\.\\./)+(${forbidden.join('|')})/`, message: `src/${room} may import only ${MAY_IMPORT[room].join(', ') || 'nothing of ours'} (docs/architecture.md).` }] : []),
      ] }],
    },
  };
};

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'vendor/', 'coverage/', 'test-artifacts/', 'data/'] },
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    languageOptions: { ecmaVersion: 2023, sourceType: 'module', globals: { ...globals.node } },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // A leading underscore marks a binding kept on purpose: Express's four-argument error handler, a field
      // destructured away from a rest object, a test table's label column.
      '@typescript-eslint/no-unused-vars': ['error', {
        argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_', ignoreRestSiblings: true,
      }],
      eqeqeq: ['error', 'smart'],
      'no-self-compare': 'error',
      'no-template-curly-in-string': 'error',
      'no-unmodified-loop-condition': 'error',
      'no-unreachable-loop': 'error',
      'no-constructor-return': 'error',
    },
  },
  ...ROOMS.map(roomImports),
  {
    // Size limits for the server's code: no file over 350 lines, no function over 150, blank lines and comments
    // counted (the rules' defaults), so a big file or closure is split into named parts rather than grown.
    files: ['src/**/*.ts'],
    rules: {
      'max-lines': ['error', { max: 350 }],
      'max-lines-per-function': ['error', { max: 150 }],
    },
  },
  {
    files: ['console/src/**/*.{ts,tsx}'],
    languageOptions: { globals: { ...globals.browser } },
    rules: {
      // The console talks to the server only over HTTP and Socket.IO; of the server's code it shares the contract's
      // types (every REST body and Socket.IO payload, from src/dashboard-api's door: erased at build, so no server
      // code is bundled) and the districts' geometry, plain data that the simulator places devices by (core's door
      // also brings Node-only modules).
      '@typescript-eslint/no-restricted-imports': ['error', { patterns: [
        { regex: '^(\\.\\./)+src/(?!dashboard-api/index\\.js$|core/districts\\.js$)', message: 'The console imports from the server only the types of src/dashboard-api/index.ts (the API contract) and src/core/districts.ts.' },
        { regex: '^(\\.\\./)+src/dashboard-api/index\\.js$', allowTypeImports: true, message: 'The console imports only types from src/dashboard-api (import type …): a value would bundle server code.' },
      ] }],
    },
  },
  {
    // Tests read JSON answers (REST bodies, Socket.IO payloads) whose shape is what they assert; `any` there is
    // the type `res.json()` already has, not a hole in production code.
    files: ['tests/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
);
