/**
 * Large tensors and glibc: glibc hands freed large blocks back to the system and maps fresh pages
 * for the next, so every large activation pays its page faults again — on a machine where a fault
 * is slow (about 7 µs on the 2-core machine) the conv models train about twice as fast when freed
 * memory stays in the process (docs/benchmarks.md). glibc reads its settings from the environment
 * before any JavaScript runs, so the heavy commands relaunch themselves once with them:
 *
 * - the child runs in a session of its own, so a terminal's Ctrl-C reaches the parent only, which
 *   forwards it (and SIGTERM, SIGHUP, window resizes) exactly once; the parent exits as the child
 *   did (same code, or the same signal);
 * - a parent killed outright (SIGKILL) takes the child with it: a worker thread of the child
 *   watches a pipe from the parent on its own event loop and kills its process when the pipe
 *   closes, even while the main thread is inside a long synchronous step.
 *
 * Linux with glibc only; `HHNET_MALLOC=system` (or the variables already set) runs in place.
 */
import { spawn } from 'node:child_process';
import { Worker } from 'node:worker_threads';

/** Keep freed blocks up to 1 GiB in the heap, and never give heap back while under 4 GiB free. */
export const MALLOC_ENV: Readonly<Record<string, string>> = Object.freeze({
  MALLOC_MMAP_THRESHOLD_: '1073741824',
  MALLOC_TRIM_THRESHOLD_: '4294967296',
});

/** The commands whose tensors are large enough to matter (the others start faster in place). */
export const HEAVY_COMMANDS: ReadonlySet<string> = new Set([
  'train',
  'reproduce',
  'sweep',
  'robustness',
  'resources',
  'bench',
  'worker',
]);

/** The file descriptor of the child's lifeline to its parent. */
const LIFELINE_FD = 3;
// SIGWINCH too: the child's own session gets no resize of the terminal its progress bars draw on.
const FORWARDED = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGWINCH'] as const;

/** Whether this process should relaunch itself with MALLOC_ENV. */
export function shouldRelaunch(
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  system: { platform: string; glibc: () => boolean },
): boolean {
  if (system.platform !== 'linux' || !HEAVY_COMMANDS.has(args[0] ?? '')) return false;
  if ((env.HHNET_MALLOC ?? '').trim().toLowerCase() === 'system') return false;
  if (env.HHNET_RELAUNCHED === '1') return false;
  if (Object.keys(MALLOC_ENV).some((k) => env[k] !== undefined)) return false;
  return system.glibc();
}

/** Whether Node runs on glibc (its diagnostic report names the runtime's glibc version). */
export function onGlibc(): boolean {
  const header = (process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined)
    ?.header;
  return typeof header?.glibcVersionRuntime === 'string';
}

/**
 * Runs this command again in a child with MALLOC_ENV and mirrors its end: never returns (the
 * process exits when the child does).
 */
export function relaunch(): Promise<never> {
  return new Promise(() => {
    const child = spawn(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
      stdio: ['inherit', 'inherit', 'inherit', 'pipe'],
      env: { ...process.env, ...MALLOC_ENV, HHNET_RELAUNCHED: '1' },
      detached: true,
    });
    const forward = (signal: NodeJS.Signals) => () => {
      child.kill(signal);
    };
    const handlers = FORWARDED.map((s) => [s, forward(s)] as const);
    for (const [s, h] of handlers) process.on(s, h);
    child.on('error', (err) => {
      process.stderr.write(`hhnet: error: could not start the command: ${err.message}\n`);
      process.exit(1);
    });
    child.on('exit', (code, signal) => {
      for (const [s, h] of handlers) process.off(s, h);
      if (signal) process.kill(process.pid, signal);
      process.exit(code ?? 1);
    });
  });
}

/**
 * In a relaunched child: dies with the parent. A worker thread watches the lifeline (the parent
 * never writes to it) on its own event loop — the main thread may be inside a long synchronous
 * step — and kills this process when it closes. (Not a blocking read: a worker stuck in a system
 * call would keep the process from exiting.)
 */
export function watchParent(): void {
  if (process.env.HHNET_RELAUNCHED !== '1') return;
  const code = `
const { Socket } = require('node:net');
let lifeline;
try { lifeline = new Socket({ fd: ${LIFELINE_FD}, readable: true, writable: false }); }
catch { return; } // not started by relaunch(): nothing to watch
lifeline.on('data', () => {});
lifeline.on('error', () => process.kill(process.pid, 'SIGKILL'));
lifeline.on('end', () => process.kill(process.pid, 'SIGKILL'));
`;
  const worker = new Worker(`(() => {${code}})()`, { eval: true });
  worker.on('error', () => {});
  worker.unref();
}
