// Ctrl-C for the long-running commands (simulate, replay, demo): the first stops cleanly, a second quits now.

/** Signals this close after the first are the same Ctrl-C: `npm run` and `npx` forward it to their child too. */
const SAME_CTRL_C_MS = 1000;

/**
 * Calls `first` on the first SIGINT or SIGTERM and `again` on one after it. Under `npm run demo` or `npx citysense`,
 * one Ctrl-C reaches the process twice (from the terminal and forwarded by npm), a few ms apart; taken as two, it
 * quit at once and the fleet never said `offline`. So a signal within a second of the first is ignored.
 *
 * Once interrupted, the listener stays until the process exits (signal listeners do not keep it alive): removing it
 * restored the default action, and an echo arriving in that instant killed the process while it was exiting cleanly.
 */
export function onceInterrupted(first: () => void, again: () => void): { off(): void } {
  let at: number | undefined;
  const onSignal = () => {
    if (at === undefined) {
      at = Date.now();
      first();
    } else if (Date.now() - at > SAME_CTRL_C_MS) again();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    off() {
      if (at !== undefined) return; // ending because of Ctrl-C: keep taking its echo (a later one still quits now)
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}
