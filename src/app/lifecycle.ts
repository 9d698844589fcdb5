import type { Logger } from '../core/index.js';

/**
 * One part of the running app as the composition root sees it (a room's main object, or a few of them): started
 * in the list's order, stopped in reverse. A stop is two passes over the list, both in reverse: every part first
 * drains (takes no new work: listeners closed, the spool committed and delivered while time allows), then every
 * part stops (connections, timers, stores closed).
 */
export interface Part {
  readonly name: string;
  start(): Promise<void> | void;
  /** Takes no new work; what was taken goes on until `deadline` (epoch ms). */
  drain?(deadline: number): Promise<void> | void;
  /** Closes what it holds; `deadline` (epoch ms) bounds any wait. */
  stop(deadline: number): Promise<void> | void;
}

/** Starts the parts in order; when one fails, those already started are stopped (in reverse) and the error thrown. */
export async function startParts(parts: readonly Part[], log: Logger, stopBudgetMs = 5000): Promise<void> {
  const started: Part[] = [];
  try {
    for (const p of parts) {
      await p.start();
      started.push(p);
    }
  } catch (err) {
    await stopParts(started, Date.now() + stopBudgetMs, log).catch(() => {}); // logged, naming the part
    throw err;
  }
}

/**
 * Drains, then stops, every part in reverse order. A part that fails to is logged, naming it, and the rest go on
 * (its stores still close); the first failure is thrown at the end.
 */
export async function stopParts(parts: readonly Part[], deadline: number, log: Logger): Promise<void> {
  const reversed = [...parts].reverse();
  const failures: unknown[] = [];
  const settle = async (p: Part, what: 'drain' | 'stop', step: () => Promise<void> | void) => {
    try {
      await step();
    } catch (err) {
      failures.push(err);
      log.error({ err, part: p.name }, `${p.name}: ${what} failed`);
    }
  };
  // Drains leave a second of the budget for the stops.
  const drainBy = deadline - 1000;
  for (const p of reversed) if (p.drain) await settle(p, 'drain', () => p.drain!(drainBy));
  for (const p of reversed) await settle(p, 'stop', () => p.stop(deadline));
  if (failures.length > 0) throw failures[0];
}

/** The lifecycle every room's main object has (`start()`, `stop()`, and `drain(deadline)` where it takes work in). */
export interface Lifecycle {
  start(): Promise<unknown> | unknown;
  drain?(deadline: number): Promise<void> | void;
  stop(): Promise<void> | void;
}

/** A room's main object as a part of the app. */
export function asPart(name: string, o: Lifecycle): Part {
  return {
    name,
    start: async () => void (await o.start()),
    ...(o.drain ? { drain: (deadline: number) => o.drain!(deadline) } : {}),
    stop: () => o.stop(),
  };
}
