// RFC 3339 date-time (section 5.6); the space separator RFC 3339 allows in a note is accepted too.
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

/** Epoch ms of an RFC 3339 timestamp, or undefined when the string is not one (or names no real date). */
export function parseRfc3339(s: string): number | undefined {
  const m = RFC3339.exec(s);
  if (!m) return undefined;
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  // Date.parse rolls 2025-02-30 over to March; a device that sends it has a broken clock, not a date.
  if (month < 1 || month > 12 || day < 1 || day > new Date(Date.UTC(year, month, 0)).getUTCDate()) return undefined;
  if (Number(m[4]) > 23 || Number(m[5]) > 59 || Number(m[6]) > 60) return undefined;
  const frac = m[7] ? m[7].slice(0, 4) : ''; // milliseconds are all a Reading keeps
  const ms = Date.parse(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6] === '60' ? '59' : m[6]}${frac}${m[8]!.toUpperCase()}`);
  return Number.isNaN(ms) ? undefined : ms;
}

/** The largest epoch ms a JavaScript Date holds (±100,000,000 days from 1970); past it a time cannot be shown. */
export const MAX_DATE_MS = 8.64e15;

/** Whether `ms` is an epoch time a Date can hold (and so be written as RFC 3339). */
export function isDateMs(ms: number): boolean {
  return Number.isFinite(ms) && Math.abs(ms) <= MAX_DATE_MS;
}
