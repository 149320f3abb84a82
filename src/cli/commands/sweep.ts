/** `hhnet sweep FILE`: a seeded grid of training runs → DIR/runs/…, sweep.json and sweep.svg. */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import {
  SWEEP_FIGURE,
  SWEEP_FILE,
  SweepInterrupted,
  loadSweepFile,
  planSweep,
  runSweep,
  describe,
  sweepFigure,
  sweepMetrics,
} from '../../reproduce/sweep.js';
import { runQueuedSweep, startWorker } from '../../reproduce/queue.js';
import { positiveInt, positiveNumber } from '../options.js';
import { UserError, prepareResultDir, writeSvg } from '../output.js';

interface SweepFlags {
  out: string;
  jobs: number;
  queue?: string;
  force?: boolean;
  quiet?: boolean;
}

const CLI = fileURLToPath(new URL('../main.js', import.meta.url));

/** Runs `hhnet ARGS --out DIR --quiet` (ARGS: the run's command and flags) as a child process (tracked in `children`). */
export function trainingRunner(children: Set<ChildProcess>) {
  return (args: string[], dir: string): Promise<{ code: number; stderr: string }> =>
    new Promise((resolve) => {
      const child = spawn(process.execPath, [CLI, ...args, '--out', dir, '--quiet'], {
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      children.add(child);
      let stderr = '';
      child.stderr!.on('data', (d: Buffer) => {
        stderr = (stderr + d.toString()).slice(-4000);
      });
      child.on('error', (err) => {
        stderr += err.message;
      });
      child.on('close', (code, signal) => {
        children.delete(child);
        resolve({ code: code ?? (signal === 'SIGINT' ? 130 : 1), stderr });
      });
    });
}

export function registerSweep(program: Command): void {
  program
    .command('sweep')
    .description('run a seeded grid of training runs from a JSON or YAML file (see docs/sweeps.md)')
    .argument('<file>', 'sweep file (.json, or .yaml/.yml)')
    .requiredOption('--out <dir>', 'output directory (runs/, sweep.json, sweep.svg)')
    .option('--jobs <n>', 'runs at once (default 1: each run already uses every core)', positiveInt, 1)
    .option(
      '--queue <url>',
      'run on workers over a BullMQ queue in Redis (redis://HOST:PORT; start workers with hhnet worker)',
    )
    .option('--force', 'start over in an --out that holds another sweep (its runs are removed)')
    .option('--quiet', 'no progress output')
    .addHelpText(
      'after',
      '\nExample (examples/sweeps/quick.json):\n' +
        '  { "experiment": "multitask", "models": ["hh-fc", "lif-fc"], "seeds": [0, 1], "epochs": 1,\n' +
        '    "limitTrain": 2000, "limitTest": 500 }\n' +
        '  hhnet sweep examples/sweeps/quick.json --out results/sweep\n' +
        'Running the same command again reads finished runs back and continues interrupted ones.',
    )
    .action(async (file: string, flags: SweepFlags) => {
      const config = loadSweepFile(file);
      const out = flags.out;
      const previous = join(out, SWEEP_FILE);
      if (existsSync(previous)) {
        const was = (JSON.parse(readFileSync(previous, 'utf8')) as { config?: unknown }).config;
        if (JSON.stringify(was) !== JSON.stringify(config)) {
          if (!flags.force)
            throw new UserError(
              `${out} holds a sweep with other settings (${JSON.stringify(was)}); use --force to start over there, or another --out`,
            );
          rmSync(join(out, 'runs'), { recursive: true, force: true });
          rmSync(previous, { force: true });
        }
      }
      await prepareResultDir(out, [SWEEP_FILE, 'runs'], { force: flags.force, quiet: true });
      const log = (line: string) => {
        if (!flags.quiet) process.stderr.write(`${line}\n`);
      };
      log(
        `sweep of ${planSweep(config).length} runs (${config.models.length} models × ${config.noise.length} noise × ${config.seeds.length} seeds), ${flags.queue ? `on the workers of ${flags.queue}` : `${flags.jobs} at a time`}`,
      );
      const children = new Set<ChildProcess>();
      // Ctrl-C reaches the runs too (same process group): each checkpoints and exits 130, and the
      // sweep then stops. A SIGTERM to the sweep alone is passed on to its runs.
      const onInt = () => undefined;
      const onTerm = () => children.forEach((c) => c.kill('SIGTERM'));
      process.on('SIGINT', onInt);
      process.on('SIGTERM', onTerm);
      try {
        const report = flags.queue
          ? await runQueuedSweep(config, out, flags.queue, { log })
          : await runSweep(config, out, { log, runTraining: trainingRunner(children) }, { jobs: flags.jobs });
        const svg = await writeSvg(out, SWEEP_FIGURE, sweepFigure(report));
        log(`wrote ${svg}`);
        const specs = sweepMetrics(config);
        for (const a of report.aggregates) {
          const n = a.metrics[specs[0].key].n;
          log(
            `${a.model}${config.noise.length > 1 ? ` noise ${a.noise}` : ''}: ${describe(specs, a.metrics)} (${n} seed(s)${a.failed ? `, ${a.failed} failed` : ''})`,
          );
        }
        const failed = report.runs.filter((r) => r.status === 'failed');
        if (failed.length) {
          process.stderr.write(
            `hhnet: ${failed.length} run(s) failed: ${failed.map((r) => `${r.id} (${r.error})`).join('; ')}\n`,
          );
          process.exitCode = 1;
        }
      } catch (err) {
        if (err instanceof SweepInterrupted) {
          process.stderr.write(`hhnet: sweep interrupted (${err.runId}); run the same command to continue\n`);
          process.exitCode = 130;
          return;
        }
        throw err;
      } finally {
        process.off('SIGINT', onInt);
        process.off('SIGTERM', onTerm);
      }
    });
}

interface WorkerFlags {
  queue: string;
  concurrency: number;
  runsDir?: string;
  lockDuration: number;
  quiet?: boolean;
}

export function registerWorker(program: Command): void {
  program
    .command('worker')
    .description('take sweep runs from a BullMQ queue in Redis and train them (see docs/sweeps.md)')
    .requiredOption('--queue <url>', 'the queue: redis://HOST:PORT')
    .option('--concurrency <n>', 'runs at once (default 1: each run already uses every core)', positiveInt, 1)
    .option(
      '--runs-dir <dir>',
      "where the sweep's runs/ directory is on this machine (default: the coordinator's path)",
    )
    .option(
      '--lock-duration <s>',
      "seconds a job's lock lasts unrenewed: a dead worker's run goes back to the queue after about this long (the same on every worker)",
      positiveNumber,
      30,
    )
    .option('--quiet', 'no progress output')
    .addHelpText(
      'after',
      '\nExample:\n  hhnet worker --queue redis://10.0.0.5:6379 --runs-dir /mnt/shared/sweep/runs',
    )
    .action(async (flags: WorkerFlags) => {
      const log = (line: string) => {
        if (!flags.quiet) process.stderr.write(`${new Date().toISOString()} ${line}\n`);
      };
      const children = new Set<ChildProcess>();
      let wrongBuild: string | null = null;
      let stopNow = (): void => {};
      const worker = await startWorker(
        flags.queue,
        {
          log,
          runTraining: trainingRunner(children),
          onWrongBuild: (message) => {
            wrongBuild = message;
            stopNow();
          },
        },
        {
          concurrency: flags.concurrency,
          runsDir: flags.runsDir,
          lockDurationMs: flags.lockDuration * 1000,
          stalledIntervalMs: flags.lockDuration * 1000,
        },
      );
      await worker.waitUntilReady();
      log(
        `worker on ${flags.queue}: waiting for runs (Ctrl-C stops after checkpointing the runs in progress)`,
      );
      await new Promise<void>((resolveStop) => {
        const stop = (signal: NodeJS.Signals) => {
          log(`${signal}: stopping; runs in progress checkpoint and go back to the queue`);
          // Ctrl-C reaches the children too; a SIGTERM to the worker alone is passed on.
          if (signal === 'SIGTERM') children.forEach((c) => c.kill('SIGTERM'));
          void worker.close().then(() => resolveStop());
        };
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
        stopNow = () => void worker.close().then(() => resolveStop());
        if (wrongBuild) stopNow();
      });
      if (wrongBuild) throw new UserError(`worker stopped: ${wrongBuild}`);
      process.exitCode = 130;
    });
}
