import type { Duplex } from 'node:stream';

/**
 * Calls `onIdle` when `conn` has received nothing for `idleMs`: the bound on a connection whose CONNECT asked for
 * keep-alive 0 (MQTT 3.1.1 section 3.1.2.10: the server then has no keep-alive to enforce). Only such connections
 * are watched, so the per-chunk refresh costs nothing on the others. `idleMs` 0: not watched.
 */
export function watchIdle(conn: Duplex | undefined, idleMs: number, onIdle: () => void): void {
  if (!conn || idleMs <= 0 || conn.destroyed) return;
  const timer = setTimeout(onIdle, idleMs);
  timer.unref();
  const refresh = () => void timer.refresh();
  conn.on('data', refresh);
  conn.once('close', () => {
    clearTimeout(timer);
    conn.off('data', refresh);
  });
}
