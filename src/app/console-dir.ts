import { existsSync } from 'node:fs';
import { isIPv6 } from 'node:net';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The built operator console (`vite build` → dist/console), whether this file runs from dist/ or from src/ (tsx, ts-jest). */
export function builtConsoleDir(): string {
  const root = fileURLToPath(new URL('../../', import.meta.url));
  return basename(root) === 'dist' ? join(root, 'console') : join(root, 'dist', 'console');
}

/** Where the operator console is served, for the start-up line (or that it is not built). */
export function consoleAt(host: string, httpPort: number): { consoleUrl: string } | { console: string } {
  if (!existsSync(join(builtConsoleDir(), 'index.html'))) return { console: 'not built (npm run build)' };
  // A wildcard address is reached at localhost on this machine; an IPv6 literal goes in brackets.
  const name = host === '0.0.0.0' || host === '::' ? 'localhost' : isIPv6(host) ? `[${host}]` : host;
  return { consoleUrl: `http://${name}:${httpPort}/` };
}
