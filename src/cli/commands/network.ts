import type { Command } from 'commander';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { catchInterrupts, interruptPoller, interruptedAt } from '../../util/interrupt.js';
import type { RunHooks } from '../../experiments/network.js';
import { BENCHMARKS } from '../../network/benchmarks.js';
import type { BenchmarkName } from '../../network/benchmarks.js';
import type { NetworkRun } from '../../experiments/network.js';
import { networkFigure, runBenchmark, runNetworkFile } from '../../experiments/network.js';
import { fraction, integer, nonNegativeNumber, oneOf, positiveInt, positiveNumber } from '../options.js';
import { UserError, prepareResultDir, writeJson, writeSvg } from '../output.js';
import { Progress } from '../../util/progress.js';
import { NETWORK_BACKENDS } from '../../network/wasm-step.js';
import type { NetworkBackend } from '../../network/wasm-step.js';

interface NetworkFlags {
  neurons: number;
  duration?: number;
  dt: number;
  seed: number;
  p: number;
  json?: boolean;
  out: string;
  quiet?: boolean;
  force?: boolean;
  checkpointEvery?: number;
  resume?: boolean;
  backend: NetworkBackend;
  threads?: number;
  rateTable: number;
  exactRates?: boolean;
}

/** The wasm step's rate table (none with --exact-rates or on the JS backend). */
const rateTableOf = (f: NetworkFlags) =>
  f.exactRates || f.backend !== 'wasm' ? undefined : { step: f.rateTable };

const engineOf = (f: NetworkFlags) => ({
  backend: f.backend,
  threads: f.threads ?? 1,
  rateTable: rateTableOf(f),
});

const CHECKPOINT = 'network-checkpoint.bin';
const OWN = ['network.json', CHECKPOINT];

/**
 * The out directory and the run's hooks: progress, and — with --checkpoint-every or --resume — a
 * checkpoint in DIR that Ctrl-C also writes and --resume continues.
 */
async function prepare(
  flags: NetworkFlags,
  label: string,
  settings: Record<string, unknown>,
  progress: Progress,
): Promise<RunHooks> {
  await prepareResultDir(flags.out, OWN, { ...flags, quiet: true });
  const path = join(flags.out, CHECKPOINT);
  const hooks: RunHooks = { onProgress: (f) => progress.update(label, f) };
  if (!flags.resume && existsSync(path)) {
    if (!flags.force)
      throw new UserError(
        `${flags.out} holds an unfinished network run (${CHECKPOINT}); --resume continues it, --force starts over`,
      );
    rmSync(path);
  }
  if (flags.checkpointEvery === undefined && !flags.resume) return hooks;
  catchInterrupts();
  return {
    ...hooks,
    checkpoint: { path, everyMs: flags.checkpointEvery ?? 1000, resume: flags.resume ?? false, settings },
    shouldStop: interruptPoller(),
    stopped: (ms) => interruptedAt(flags.out, `t = ${ms.toFixed(1)} ms of network time`),
  };
}

const TITLES: Readonly<Record<BenchmarkName, string>> = {
  cobahh: 'COBAHH (Brette et al. 2007, benchmark 3): Traub–Miles HH, conductance synapses',
  cuba: 'CUBA (Brette et al. 2007, benchmark 2): LIF, current synapses',
};

/** The summary `--json` prints: the fields first, then the rest. */
function jsonLine(run: NetworkRun, flags: NetworkFlags): string {
  const s = run.summary;
  return JSON.stringify({
    meanRateHz: s.meanRateHz,
    cvIsi: Number.isNaN(s.cvIsi) ? null : s.cvIsi,
    spikes: s.spikes,
    synapses: s.synapses,
    bytesPerSynapse: s.bytesPerSynapse,
    wallSeconds: s.wallSeconds,
    buildSeconds: s.buildSeconds,
    simulateSeconds: s.simulateSeconds,
    cvIsiNeurons: s.cvIsiNeurons,
    neurons: s.neurons,
    duration: s.duration,
    dt: s.dt,
    seed: s.seed,
    ...engineSummary(flags),
  });
}

async function finish(name: string, title: string, run: NetworkRun, flags: NetworkFlags, progress: Progress) {
  const out = await prepareResultDir(flags.out, OWN, flags);
  const jsonPath = await writeJson(out, 'network.json', {
    network: name,
    engine: engineSummary(flags),
    summary: run.summary,
    groups: run.groups.map((g) => ({ of: g.of, stats: g.stats, rate: g.rate, spikeTimes: g.trains })),
  });
  const svgPath = await writeSvg(out, 'network.svg', networkFigure(title, run));
  const s = run.summary;
  progress.stage(
    `${s.neurons} neurons, ${s.synapses} synapses (${s.bytesPerSynapse.toFixed(2)} B each): ` +
      `${s.meanRateHz.toFixed(2)} Hz, CV(ISI) ${Number.isNaN(s.cvIsi) ? 'n/a' : s.cvIsi.toFixed(3)}; ` +
      `built in ${s.buildSeconds.toFixed(2)} s, ${s.duration} ms simulated in ${s.simulateSeconds.toFixed(2)} s; wrote ${jsonPath} and ${svgPath}`,
  );
  if (flags.json) process.stdout.write(jsonLine(run, flags) + '\n');
}

/** How the populations were stepped, as the outputs report it. */
function engineSummary(f: NetworkFlags) {
  return { backend: f.backend, threads: f.threads ?? 1, rateTableMv: rateTableOf(f)?.step ?? null };
}

/** The flags every network command takes: output, checkpoints, engine. */
function commonOptions(c: Command): Command {
  return c
    .option('--json', 'print the summary as one JSON line on stdout')
    .option('--quiet', 'no progress output')
    .option('--force', 'write into an --out that holds results of another command')
    .option(
      '--checkpoint-every <ms>',
      'write a checkpoint to DIR every MS of network time (Ctrl-C writes one too; 0: only then)',
      nonNegativeNumber,
    )
    .option('--resume', 'continue the run whose checkpoint is in --out')
    .option(
      '--backend <name>',
      'wasm: float32 SIMD kernels generated from the model; js: the float64 reference',
      oneOf(NETWORK_BACKENDS),
      'wasm',
    )
    .option(
      '--threads <n>',
      'threads of the wasm step (default 1: on 2 shared cores a second thread gained 1.1–1.3× at best)',
      positiveInt,
    )
    .option(
      '--rate-table <mV>',
      "wasm: spacing of the table over v the gates' updates are interpolated from (error ∝ spacing²; 1/32 mV: float32 precision)",
      positiveNumber,
      1 / 32,
    )
    .option('--exact-rates', "wasm: compute the gates' rate functions every step instead of the table");
}

export function registerNetwork(program: Command): void {
  const cmd = program
    .command('network')
    .description('recurrent spiking networks: the COBAHH and CUBA benchmarks, or a network file');

  for (const name of BENCHMARKS)
    commonOptions(
      cmd
        .command(name)
        .description(TITLES[name])
        .option('--neurons <n>', 'neurons (80% excitatory, 20% inhibitory)', positiveInt, 4000)
        .option('--duration <ms>', 'network time to simulate', positiveNumber, 1000)
        .option('--dt <ms>', 'time step', positiveNumber, 0.1)
        .option('--seed <n>', 'seed of connectivity, initial states', integer, 1)
        .option('--p <prob>', 'connection probability', fraction, 0.02)
        .option('--out <dir>', 'output directory (network.json, network.svg)', `results/network-${name}`),
    )
      .addHelpText(
        'after',
        `\nExample:\n  hhnet network ${name} --neurons 4000 --duration 1000 --json\n` +
          `Prints { meanRateHz, cvIsi, spikes, synapses, bytesPerSynapse, wallSeconds, … } with --json;\n` +
          `wallSeconds covers building the network and simulating it.`,
      )
      .action(async (flags: NetworkFlags) => {
        const progress = new Progress(flags.quiet);
        const opts = {
          neurons: flags.neurons,
          p: flags.p,
          dt: flags.dt,
          seed: flags.seed,
          duration: flags.duration!,
        };
        const engine = engineOf(flags);
        // Results do not depend on the thread count, so a run may resume on another; not on another backend.
        const settings = {
          network: name,
          ...opts,
          backend: flags.backend,
          rateTable: rateTableOf(flags)?.step ?? null,
        };
        const hooks = await prepare(flags, `network ${name}`, settings, progress);
        progress.stage(`building ${name} with ${flags.neurons} neurons (p ${flags.p}, seed ${flags.seed})`);
        const run = await runBenchmark(name, { ...opts, ...engine }, hooks);
        await finish(name, TITLES[name], run, flags, progress);
      });

  commonOptions(
    cmd
      .command('run')
      .description('simulate a network described in a JSON or YAML file (see docs/networks.md)')
      .argument('<file>', 'network file (.json, or .yaml/.yml)')
      .option('--duration <ms>', "network time to simulate (default: the file's duration)", positiveNumber)
      .option('--out <dir>', 'output directory (network.json, network.svg)', 'results/network'),
  )
    .addHelpText('after', '\nExample:\n  hhnet network run examples/networks/cobahh.json --duration 200')
    .action(async (file: string, flags: NetworkFlags) => {
      const progress = new Progress(flags.quiet);
      // The file's content, not its name, identifies the network a checkpoint belongs to.
      const digest = existsSync(file) ? createHash('sha256').update(readFileSync(file)).digest('hex') : null;
      const settings = {
        file: resolve(file),
        sha256: digest,
        duration: flags.duration ?? null,
        backend: flags.backend,
        rateTable: rateTableOf(flags)?.step ?? null,
      };
      const hooks = await prepare(flags, `network ${file}`, settings, progress);
      const run = await runNetworkFile(file, flags.duration, hooks, engineOf(flags));
      await finish(file, file, run, flags, progress);
    });
}
