/**
 * Sweeps over a job queue (BullMQ on Redis): the coordinator enqueues one job per unfinished run
 * of a sweep, workers on any number of machines take them and run its training command (`hhnet train multitask|rl`) into the
 * run's directory on storage they share with the coordinator, and the coordinator, once every job
 * has ended, reads the runs back and writes sweep.json exactly as a local sweep does (sweep.ts).
 *
 * - Job ids come from the sweep's output directory and the run (runJobId): enqueueing the same
 *   sweep twice adds nothing, and a finished run is not enqueued at all (read back instead).
 * - A failed run is retried with exponential backoff (attempts); a run that failed for good is
 *   retried once more when the sweep is started again.
 * - A worker runs each job in a child process, so its event loop stays free to renew the job's
 *   lock however long training takes. When a worker dies, its job's lock expires, BullMQ moves the
 *   job back to the queue as stalled, and the next worker resumes the run from its checkpoint.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Queue, QueueEvents, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import type { Job } from 'bullmq';
import { finishedRun, planSweep, runSweep } from './sweep.js';
import type { SweepConfig, SweepReport } from './sweep.js';
import { buildId } from '../util/environment.js';

export const QUEUE_NAME = 'hhnet-runs';

export class QueueUrlError extends Error {
  override name = 'QueueUrlError';
}

export interface RedisConnection {
  host: string;
  port: number;
  db: number;
  username?: string;
  password?: string;
  /** BullMQ's workers need blocking commands without a retry limit. */
  maxRetriesPerRequest: null;
}

/** redis://[user[:password]@]host:port[/db] → connection options (errors say what was expected). */
export function parseQueueUrl(url: string): RedisConnection {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new QueueUrlError(
      `--queue: "${url}" is not a URL; expected redis://HOST:PORT (e.g. redis://127.0.0.1:6379)`,
    );
  }
  if (u.protocol !== 'redis:')
    throw new QueueUrlError(`--queue: "${url}" is not a redis:// URL; expected redis://HOST:PORT`);
  const port = u.port === '' ? 6379 : Number(u.port);
  const db = u.pathname === '' || u.pathname === '/' ? 0 : Number(u.pathname.slice(1));
  if (!u.hostname) throw new QueueUrlError(`--queue: "${url}" has no host; expected redis://HOST:PORT`);
  if (!Number.isInteger(db) || db < 0)
    throw new QueueUrlError(
      `--queue: database "${u.pathname.slice(1)}" in "${url}" is not a non-negative integer`,
    );
  return {
    host: u.hostname,
    port,
    db,
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    maxRetriesPerRequest: null,
  };
}

/** Connects once with a timeout, so that an unreachable Redis is an error and not a hang. */
export async function checkRedis(url: string, timeoutMs = 5000): Promise<RedisConnection> {
  const connection = parseQueueUrl(url);
  const client = new Redis({
    ...connection,
    lazyConnect: true,
    connectTimeout: timeoutMs,
    maxRetriesPerRequest: 1,
    retryStrategy: () => null,
  });
  let cause: Error | null = null;
  client.on('error', (err: Error) => (cause ??= err)); // the first error says most (ECONNREFUSED, …)
  try {
    await client.connect();
    await client.ping();
  } catch (err) {
    throw new QueueUrlError(
      `cannot reach Redis at ${connection.host}:${connection.port} (${(cause ?? (err as Error)).message}); start redis-server there or check --queue`,
    );
  } finally {
    client.disconnect();
  }
  return connection;
}

/** What a job carries: the training flags, and where the run's directory is. */
export interface RunJob {
  /** A short name for logs (the sweep's run id, or PART/RUN for reproduce). */
  runId: string;
  args: string[];
  /** Where the coordinator keeps run directories (absolute; a worker's --runs-dir replaces it). */
  runsRoot: string;
  /** The run's directory relative to runsRoot. */
  runPath: string;
  /** The coordinator's hhnet build (buildId): only a worker of the same build runs the job. */
  hhnet: string;
}

/** One run to train over the queue: `hhnet ARGS --out RUNSROOT/RUNPATH`. */
export interface QueuedRun {
  runId: string;
  args: string[];
  runPath: string;
}

/**
 * A job id that is the same for the same run directory (idempotent enqueueing); no ':' or '/'
 * (BullMQ's key separator, and readable logs).
 */
export function runJobId(runsRoot: string, run: Pick<QueuedRun, 'runId' | 'runPath'>): string {
  const where = createHash('sha256').update(resolve(runsRoot, run.runPath)).digest('hex').slice(0, 12);
  return `${run.runId.replace(/[:/\\]/g, '.')}-${where}`;
}

export interface QueueTuning {
  /** Attempts per run before it fails for good (default 3). */
  attempts?: number;
  /** First retry delay, ms; doubled each time (default 10 s). */
  backoffMs?: number;
  /** How long a worker's lock on a job lasts without renewal, ms (default 30 s). */
  lockDurationMs?: number;
  /** How often workers look for stalled jobs, ms (default 30 s). */
  stalledIntervalMs?: number;
}

export interface CoordinatorDeps {
  log: (line: string) => void;
  /** Progress: runs done, running, failed, waiting (called as jobs end). */
  onProgress?: (p: { done: number; running: number; failed: number; waiting: number; total: number }) => void;
  /** The build the jobs are for (default: this one, buildId()). */
  build?: string;
}

/**
 * Enqueues the sweep's unfinished runs, waits until every one has ended (completed or failed for
 * good), then reads the runs back into sweep.json (sweep.ts's runSweep in collect mode).
 */
export async function runQueuedSweep(
  config: SweepConfig,
  out: string,
  url: string,
  deps: CoordinatorDeps,
  tuning: QueueTuning = {},
): Promise<SweepReport> {
  const sweepOut = resolve(out);
  const runs = planSweep(config);
  const pending = runs.filter((r) => !finishedRun(join(sweepOut, 'runs', r.id), r, config));
  deps.log(`${runs.length - pending.length} of ${runs.length} runs already finished`);
  const failures = await runQueued(
    pending.map((r) => ({ runId: r.id, args: r.args, runPath: r.id })),
    join(sweepOut, 'runs'),
    url,
    deps,
    tuning,
  );
  return runSweep(config, out, {
    log: deps.log,
    mode: 'collect',
    runTraining: async (_args, dir) => ({
      code: 1,
      stderr:
        failures.get(dir.split(/[\\/]/).pop() ?? '') ??
        'the queue ended the run without a finished metrics.json',
    }),
  });
}

/**
 * Enqueues the runs (directories under runsRoot) and waits until every one has ended: completed,
 * or failed for good after its attempts. Resolves with the failure reason of each failed run
 * (by runId); checks Redis first, so an unreachable server fails at once.
 */
export async function runQueued(
  runs: readonly QueuedRun[],
  runsRoot: string,
  url: string,
  deps: CoordinatorDeps,
  tuning: QueueTuning = {},
): Promise<Map<string, string>> {
  const connection = await checkRedis(url);
  const root = resolve(runsRoot);
  const queue = new Queue<RunJob>(QUEUE_NAME, { connection });
  const events = new QueueEvents(QUEUE_NAME, { connection });
  const failures = new Map<string, string>();
  try {
    await events.waitUntilReady();
    const ids = new Map(runs.map((r) => [runJobId(root, r), r.runId]));
    if (ids.size !== runs.length) throw new RangeError('runQueued: two runs share a directory');
    const ended = new Set<string>();
    const running = new Set<string>();
    let failed = 0;
    const t0 = Date.now();
    let resolveAll = (): void => {};
    const allEnded = new Promise<void>((r) => (resolveAll = r));
    const progress = (): void => {
      deps.onProgress?.({
        done: ended.size - failed,
        running: running.size,
        failed,
        waiting: ids.size - ended.size - running.size,
        total: ids.size,
      });
      if (ended.size === ids.size) resolveAll();
    };
    events.on('active', ({ jobId }) => {
      if (!ids.has(jobId) || ended.has(jobId)) return;
      running.add(jobId);
      progress();
    });
    events.on('completed', ({ jobId }) => {
      const run = ids.get(jobId);
      if (!run || ended.has(jobId)) return;
      ended.add(jobId);
      running.delete(jobId);
      const left = ids.size - ended.size;
      const per = (Date.now() - t0) / 1000 / ended.size;
      deps.log(
        `${run}: done — ${ended.size}/${ids.size} ended${left ? `, about ${Math.ceil(per * left)} s left` : ''}`,
      );
      progress();
    });
    // A failed attempt with attempts left moves the job to 'delayed' (the backoff), not 'failed'.
    events.on('delayed', ({ jobId }) => {
      const run = ids.get(jobId);
      if (!run || ended.has(jobId)) return;
      running.delete(jobId);
      void queue.getJob(jobId).then((job) => {
        if (!job || ended.has(jobId)) return;
        deps.log(
          `${run}: attempt ${job.attemptsMade} of ${job.opts.attempts ?? 1} failed (${job.failedReason}); retrying`,
        );
        progress();
      });
    });
    events.on('failed', ({ jobId, failedReason }) => {
      const run = ids.get(jobId);
      if (!run || ended.has(jobId)) return;
      running.delete(jobId);
      void queue.getJob(jobId).then((job) => {
        if (ended.has(jobId)) return;
        // Only a job out of attempts has ended; an earlier failure is retried with backoff.
        if (job && job.attemptsMade < (job.opts.attempts ?? 1)) {
          deps.log(`${run}: attempt ${job.attemptsMade} failed (${failedReason}); retrying`);
          return;
        }
        ended.add(jobId);
        failed++;
        failures.set(run, failedReason);
        deps.log(`${run}: FAILED (${failedReason}) — ${ended.size}/${ids.size} ended`);
        progress();
      });
    });
    deps.log(`enqueueing ${runs.length} run(s) on ${url} (queue ${QUEUE_NAME})`);
    for (const run of runs) {
      const jobId = runJobId(root, run);
      const job = await queue.add(
        run.runId,
        {
          runId: run.runId,
          args: run.args,
          runsRoot: root,
          runPath: run.runPath,
          hhnet: deps.build ?? buildId(),
        },
        {
          jobId,
          attempts: tuning.attempts ?? 3,
          backoff: { type: 'exponential', delay: tuning.backoffMs ?? 10_000 },
          removeOnComplete: true,
          removeOnFail: false,
        },
      );
      // The same id returns the existing job: one that failed for good in an earlier sweep gets
      // another round of attempts; one waiting or running is simply waited for.
      if ((await job.getState()) === 'failed') await job.retry('failed', { resetAttemptsMade: true });
    }
    progress();
    await allEnded;
  } finally {
    await events.close();
    await queue.close();
  }
  return failures;
}

export interface WorkerDeps {
  log: (line: string) => void;
  /**
   * Called once when a job comes from a coordinator of another hhnet build: the worker has failed
   * that attempt (the job goes back for another worker) and takes no more jobs; the caller ends.
   */
  onWrongBuild?: (message: string) => void;
  /** Runs `hhnet ARGS --out DIR` (see SweepDeps.runTraining). */
  runTraining: (args: string[], dir: string) => Promise<{ code: number; stderr: string }>;
}

export interface WorkerOptions extends QueueTuning {
  /** Jobs at once (default 1). */
  concurrency?: number;
  /**
   * Where the coordinator's run directories are on this machine: a sweep's DIR/runs, or
   * reproduce's DIR/runs (default: the coordinator's own path).
   */
  runsDir?: string;
  /** This worker's build (default: buildId()). */
  build?: string;
}

/** Takes jobs until closed; each job trains (or resumes) its run and throws when training failed. */
export async function startWorker(
  url: string,
  deps: WorkerDeps,
  opts: WorkerOptions = {},
): Promise<Worker<RunJob>> {
  const connection = await checkRedis(url);
  const build = opts.build ?? buildId();
  let refused = false;
  const worker: Worker<RunJob> = new Worker<RunJob>(
    QUEUE_NAME,
    async (job: Job<RunJob>) => {
      const { runId, args, runsRoot, runPath } = job.data;
      if (job.data.hhnet !== build) {
        const message = `${runId}: enqueued by hhnet ${job.data.hhnet ?? '(unknown build)'}, but this worker runs hhnet ${build}; install the coordinator's version on every worker (other code may give other results)`;
        deps.log(message);
        if (!refused) {
          refused = true;
          worker.pause(true).catch(() => {}); // no more jobs here; this one goes back to the queue
          deps.onWrongBuild?.(message);
        }
        throw new Error(message);
      }
      const dir = join(opts.runsDir ?? runsRoot, runPath);
      const resume = existsSync(join(dir, 'checkpoint.safetensors'));
      deps.log(`${runId}: ${resume ? 'resuming' : 'training'} in ${dir} (attempt ${job.attemptsMade + 1})`);
      const r = await deps.runTraining([...args, ...(resume ? ['--resume'] : [])], dir);
      if (r.code !== 0) {
        const tail = r.stderr.trim().split('\n').slice(-3).join(' / ') || 'no output';
        deps.log(`${runId}: exit ${r.code}: ${tail}`);
        throw new Error(`exit ${r.code}: ${tail}`);
      }
      deps.log(`${runId}: done`);
      return { runId };
    },
    {
      connection,
      concurrency: opts.concurrency ?? 1,
      lockDuration: opts.lockDurationMs ?? 30_000,
      stalledInterval: opts.stalledIntervalMs ?? 30_000,
      maxStalledCount: 3,
    },
  );
  worker.on('error', (err) => deps.log(`worker: ${err.message}`));
  return worker;
}
