// Option parsers shared by the `citysense` CLI and `npm run demo`: a bad value is commander's usage error (exit 2).
import { InvalidArgumentError } from 'commander';
import { parseDuration } from '../core/index.js';

export const positiveInt = (v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('a positive whole number');
  return n;
};

export const positive = (v: string): number => {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('a positive number');
  return n;
};

/** "20s", "5m", "1h", or a plain number of seconds, as ms. */
export const durationMs = (v: string): number => {
  if (/^\d+(\.\d+)?$/.test(v.trim())) return Math.round(Number(v) * 1000);
  try {
    return parseDuration(v);
  } catch {
    throw new InvalidArgumentError('a duration such as 20s, 5m, 1h, or seconds');
  }
};
