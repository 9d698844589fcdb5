/** The open-file limit (`nofile`) the city needs: every device connection is a descriptor, in the generator and in the app. */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

export interface Nofile {
  soft: number;
  hard: number;
}

const parse = (v: string | undefined) => (v === 'unlimited' ? Infinity : Number(v));

/** A process's nofile limits, from /proc (Linux). */
export function nofileOf(pid: number | 'self' = 'self'): Nofile | undefined {
  try {
    const m = /^Max open files\s+(\S+)\s+(\S+)/m.exec(readFileSync(`/proc/${pid}/limits`, 'utf8'));
    return m ? { soft: parse(m[1]), hard: parse(m[2]) } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Raises this process's nofile limit (soft and hard) to at least `wanted` with `prlimit` (root, or CAP_SYS_RESOURCE,
 * can raise the hard limit; anyone the soft one up to the hard one), so that the generator and the app, started
 * after, inherit it. Throws, naming the limit and how to raise it, when the result is still below `wanted`.
 */
export function raiseNofile(wanted: number, log: (line: string) => void): Nofile {
  const before = nofileOf();
  if (before && before.soft >= wanted) return before;
  let nrOpen = 1_048_576;
  try {
    nrOpen = Number(readFileSync('/proc/sys/fs/nr_open', 'utf8').trim()) || nrOpen;
  } catch {
    /* not Linux: keep the usual ceiling */
  }
  const to = Math.max(wanted, Math.min(nrOpen, 1_048_576));
  for (const limit of [`${to}:${to}`, `${before?.hard ?? to}:${before?.hard ?? to}`]) {
    try {
      execFileSync('prlimit', ['--pid', String(process.pid), `--nofile=${limit}`], { stdio: ['ignore', 'ignore', 'pipe'], timeout: 5000 });
      break;
    } catch {
      /* not allowed (not root): try the soft limit alone, up to the hard one */
    }
  }
  const after = nofileOf();
  if (!after || after.soft < wanted) {
    throw new Error(
      `the city phase needs an open-file limit (nofile) of at least ${wanted} for its connections (generator and app each), ` +
        `but this process has ${after?.soft ?? 'an unknown limit'} (hard ${after?.hard ?? '?'}) and prlimit could not raise it: ` +
        'run the bench as root, or raise the hard limit first (ulimit -n 1048576 as root, LimitNOFILE= in a systemd unit), or pass fewer --city-devices',
    );
  }
  if (!before || after.soft !== before.soft) log(`  open-file limit (nofile) raised from ${before?.soft ?? '?'} to ${after.soft} (hard ${after.hard}); the generator and the app inherit it`);
  return after;
}
