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
 * Raises this process's nofile limit (soft and hard) to at least `wanted` with `prlimit` (root with CAP_SYS_RESOURCE
 * can raise the hard limit; anyone the soft one up to the hard one), so that the generators and the app, started
 * after, inherit it. Returns the limit it has then, which may still be below `wanted` (a container or sandbox
 * that withholds CAP_SYS_RESOURCE): the caller fits the city to it and says so.
 */
export function raiseNofile(wanted: number, log: (line: string) => void): Nofile | undefined {
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
      /* not allowed: try the soft limit alone, up to the hard one */
    }
  }
  const after = nofileOf();
  if (after && before && after.soft !== before.soft) log(`  open-file limit (nofile) raised from ${before.soft} to ${after.soft} (hard ${after.hard}); the generators and the app inherit it`);
  if (!after || after.soft < wanted) {
    log(
      `  warning: the open-file limit (nofile) is ${after?.soft ?? 'unknown'} (hard ${after?.hard ?? '?'}) and prlimit could not raise it to ${wanted} ` +
        '(it takes root with CAP_SYS_RESOURCE, which this environment withholds; outside it: ulimit -n 1048576 as root, LimitNOFILE= in a systemd unit, docker run --ulimit nofile=1048576:1048576)',
    );
  }
  return after;
}
