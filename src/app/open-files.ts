import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import type { Logger } from '../core/index.js';

/** Below this soft limit a whole city (issue 18: 100k devices on one node) cannot connect: warn. */
export const NOFILE_WANTED = 100_000;
/** Descriptors kept aside for what is not a device connection (store requests, Socket.IO, the SQLite files). */
const RESERVE = 64;

export interface OpenFileLimit {
  soft: number;
  hard: number;
  /** Descriptors open now. */
  inUse?: number;
}

const parse = (v: string | undefined) => (v === undefined ? NaN : v === 'unlimited' ? Infinity : Number(v));

/** The process's nofile limits: from /proc/self/limits (Linux), else the shell's `ulimit` (which a child inherits); undefined when neither answers. */
export function openFileLimit(): OpenFileLimit | undefined {
  let limits: [string | undefined, string | undefined];
  try {
    const m = /^Max open files\s+(\S+)\s+(\S+)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    limits = [m?.[1], m?.[2]];
  } catch {
    try {
      const out = execFileSync('sh', ['-c', 'ulimit -S -n; ulimit -H -n'], { encoding: 'utf8', timeout: 5000 }).trim().split('\n');
      limits = [out[0], out[1]];
    } catch {
      return undefined;
    }
  }
  const [soft, hard] = limits.map(parse) as [number, number];
  if (Number.isNaN(soft) || Number.isNaN(hard)) return undefined;
  let inUse: number | undefined;
  try {
    inUse = readdirSync('/proc/self/fd').length;
  } catch {
    inUse = undefined;
  }
  return { soft, hard, ...(inUse !== undefined ? { inUse } : {}) };
}

/**
 * Logs the open-file limit at start (info) and warns when it holds back device connections: each is a file
 * descriptor. Node itself raises the soft limit to the hard one as it starts (node.cc, PlatformInit), so what an
 * operator can still need to raise is the hard limit, which takes root or the service manager.
 */
export function reportOpenFileLimit(log: Logger, limit = openFileLimit()): void {
  if (!limit) {
    log.info('open-file limit (nofile): unknown on this system');
    return;
  }
  const connections = Math.max(0, limit.soft - Math.max(limit.inUse ?? 0, 0) - RESERVE);
  const fields = { nofileSoft: limit.soft, nofileHard: limit.hard, maxConnections: connections };
  if (limit.soft >= NOFILE_WANTED) {
    log.info(fields, `open-file limit (nofile) ${limit.soft}: room for about ${connections} device connections`);
    return;
  }
  const how = limit.soft < limit.hard
    ? `the soft limit stayed below the hard limit ${limit.hard}: start citysense with ulimit -n ${limit.hard}`
    : 'raise the hard limit (as root: ulimit -n, LimitNOFILE= in a systemd unit, docker run --ulimit nofile=N:N)';
  log.warn(fields, `open-file limit (nofile) is ${limit.soft}: about ${connections} device connections at most (past them new connections cannot be accepted); ${how}`);
}
