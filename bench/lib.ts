// What the benchmark phases share: the result row, percentiles, a bounded-parallel loop and the
// memory and CPU of a process read from /proc.
import fs from 'node:fs';

export interface Row {
  name: string;
  figure: string;
  baseline: string;
  /** Ours / baseline (or figure / target where the baseline is a target). */
  ratio: number | null;
}

export const say = (m: string) =>
  process.stdout.write(`[bench] ${new Date().toISOString().slice(11, 19)} ${m}\n`);
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
export const perSecond = (n: number, startedAt: number) => n / ((Date.now() - startedAt) / 1000);

export function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

/** Runs `fn` over `items` with at most `width` calls in flight. */
export async function inParallel<T>(items: T[], width: number, fn: (t: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(width, items.length) }, async () => {
      while (next < items.length) await fn(items[next++] as T);
    }),
  );
}

/** Resident memory (MiB) and CPU seconds used so far by a process (Linux). */
export function processUsage(pid: number): { rssMiB: number; cpuSeconds: number } {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const rssKiB = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? Number.NaN);
  // Fields after the command name: utime and stime are the 12th and 13th, in clock ticks (100/s).
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { rssMiB: rssKiB / 1024, cpuSeconds: (Number(fields[11]) + Number(fields[12])) / 100 };
}

/** Polls `done` until true; fails loudly (with what it waited for) after `timeoutMs` without progress. */
export async function waitFor(
  what: string,
  progress: () => number | Promise<number>,
  target: number,
  timeoutMs = 120_000,
): Promise<void> {
  let last = -1;
  let since = Date.now();
  for (;;) {
    const now = await progress();
    if (now >= target) return;
    if (now !== last) {
      last = now;
      since = Date.now();
    } else if (Date.now() - since > timeoutMs)
      throw new Error(`${what}: stuck at ${now} of ${target} for ${timeoutMs / 1000} s`);
    await sleep(200);
  }
}

/** The process and its descendants (Linux /proc), e.g. a PostgreSQL server and its backends. */
export function processTree(root: number): number[] {
  const parentOf = new Map<number, number>();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      parentOf.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // gone meanwhile
    }
  }
  const tree = [root];
  for (let i = 0; i < tree.length; i++)
    for (const [pid, parent] of parentOf) if (parent === tree[i]) tree.push(pid);
  return tree;
}

/**
 * CPU seconds used so far by each named group of process trees: every live process's own time plus
 * that of its children that ended (cutime, cstime), so a PostgreSQL backend that exits still counts.
 */
export function cpuSeconds(roots: Record<string, number[]>): Record<string, number> {
  const total = (pid: number) => {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) / 100;
    } catch {
      return 0; // ended meanwhile: its time is in its parent's cutime from now on
    }
  };
  return Object.fromEntries(
    Object.entries(roots).map(([name, pids]) => [
      name,
      [...new Set(pids.flatMap((pid) => processTree(pid)))].reduce((sum, pid) => sum + total(pid), 0),
    ]),
  );
}
