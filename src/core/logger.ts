import { pino, type Logger } from 'pino';

export type { Logger };

/** The process logger: JSON lines on stdout, quiet at `info` on the hot path. */
export function createLogger(level: string, bindings: Record<string, unknown> = {}): Logger {
  return pino({ level, base: { service: 'citysense', ...bindings } });
}
