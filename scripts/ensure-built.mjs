#!/usr/bin/env node
// `npm start` and `npm run demo` run the built app in dist/, which `npm ci` / `npm install` build once (`prepare`).
// Run before them, this builds again only when dist/ is missing or older than the sources (after a `git pull` or
// an edit), and says why; otherwise it returns at once. Plain Node, no dependencies: it runs before any build.
//
//   node scripts/ensure-built.mjs            build when needed (npm run build)
//   node scripts/ensure-built.mjs --stamp    record that a build just finished (the end of `npm run build`)
//   node scripts/ensure-built.mjs --check    print fresh, missing or stale; exit 0 only when fresh
//   --root DIR                                the project to look at (default: this script's project)
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const args = process.argv.slice(2);
const rootAt = args.indexOf('--root');
const root = rootAt >= 0 ? resolve(args[rootAt + 1] ?? '.') : join(dirname(fileURLToPath(import.meta.url)), '..');
const stamp = join(root, 'dist', '.build-stamp');
/** What the build reads: a change to any of these (added, edited, removed) makes dist/ stale. */
const SOURCES = ['src', 'console', 'package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json'];

/** The newest modification time under `path` (directories count: adding or removing a file changes theirs). */
function newest(path) {
  const st = statSync(path, { throwIfNoEntry: false });
  if (!st) return 0;
  if (!st.isDirectory()) return st.mtimeMs;
  let t = st.mtimeMs;
  for (const name of readdirSync(path)) if (name !== 'node_modules') t = Math.max(t, newest(join(path, name)));
  return t;
}

function state() {
  const built = statSync(stamp, { throwIfNoEntry: false });
  if (!built) return 'missing';
  return Math.max(...SOURCES.map((s) => newest(join(root, s)))) > built.mtimeMs ? 'stale' : 'fresh';
}

if (args.includes('--stamp')) {
  mkdirSync(dirname(stamp), { recursive: true });
  writeFileSync(stamp, `${new Date().toISOString()}\n`);
  process.exit(0);
}

const now = state();
if (args.includes('--check')) {
  process.stdout.write(`${now}\n`);
  process.exit(now === 'fresh' ? 0 : 1);
}
if (now === 'fresh') process.exit(0);

if (!existsSync(join(root, 'node_modules', 'typescript'))) {
  // An install without devDependencies (npm ci --omit=dev) cannot build; say so instead of failing the install.
  process.stderr.write(`citysense: dist/ is ${now === 'missing' ? 'missing' : 'older than the sources'}, and it cannot be built here: TypeScript and Vite are devDependencies (install them: npm ci)\n`);
  process.exit(process.env.npm_lifecycle_event === 'prepare' ? 0 : 1);
}
process.stderr.write(now === 'missing'
  ? 'citysense: no build yet (dist/ is missing): building it once (npm run build, 15–30 s)\n'
  : 'citysense: the sources changed since the last build: building (npm run build, 15–30 s)\n');
const npm = process.env.npm_execpath;
const r = npm
  ? spawnSync(process.execPath, [npm, 'run', 'build', '--silent'], { cwd: root, stdio: 'inherit' })
  : spawnSync('npm', ['run', 'build', '--silent'], { cwd: root, stdio: 'inherit' });
process.exit(r.status ?? 1);
