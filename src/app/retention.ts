import cron from 'node-cron';
import type { Config, Logger } from '../core/index.js';
import type { Part } from './lifecycle.js';
import { DEAD_LETTER_MAX_AGE_MS, DEAD_LETTER_MAX_ROWS, type Stores } from './stores.js';

/** The nightly purge (node-cron, 03:17): embedded readings older than RETENTION, dead letters past their bounds. */
export function retentionPart(config: Pick<Config, 'retentionMs'>, stores: Pick<Stores, 'sqliteReadings' | 'meta'>, log: Logger): Part {
  let task: ReturnType<typeof cron.schedule> | undefined;
  return {
    name: 'retention purge',
    start() {
      task = cron.schedule('17 3 * * *', () => {
        const purgedReadings = stores.sqliteReadings?.purgeOlderThan(Date.now() - config.retentionMs) ?? 0;
        const purgedLetters = stores.meta.deadLetters.purge(Date.now() - DEAD_LETTER_MAX_AGE_MS, DEAD_LETTER_MAX_ROWS);
        log.info({ purgedReadings, purgedLetters }, 'retention purge done');
      });
    },
    async stop() {
      await task?.destroy();
      task = undefined;
    },
  };
}
