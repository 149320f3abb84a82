import type { Command } from 'commander';
import { BENCHMARKS } from '../../network/benchmarks.js';
import type { BenchmarkName } from '../../network/benchmarks.js';
import type { NetworkRun } from '../../experiments/network.js';
import { networkFigure, runBenchmark, runNetworkFile } from '../../experiments/network.js';
import { fraction, integer, positiveInt, positiveNumber } from '../options.js';
import { prepareResultDir, writeJson, writeSvg } from '../output.js';
import { Progress } from '../../util/progress.js';

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
}

const TITLES: Readonly<Record<BenchmarkName, string>> = {
  cobahh: 'COBAHH (Brette et al. 2007, benchmark 3): Traub–Miles HH, conductance synapses',
  cuba: 'CUBA (Brette et al. 2007, benchmark 2): LIF, current synapses',
};

/** The summary `--json` prints: the fields first, then the rest. */
function jsonLine(run: NetworkRun): string {
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
  });
}

async function finish(name: string, title: string, run: NetworkRun, flags: NetworkFlags, progress: Progress) {
  const out = await prepareResultDir(flags.out, ['network.json'], flags);
  const jsonPath = await writeJson(out, 'network.json', {
    network: name,
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
  if (flags.json) process.stdout.write(jsonLine(run) + '\n');
}

export function registerNetwork(program: Command): void {
  const cmd = program
    .command('network')
    .description('recurrent spiking networks: the COBAHH and CUBA benchmarks, or a network file');

  for (const name of BENCHMARKS)
    cmd
      .command(name)
      .description(TITLES[name])
      .option('--neurons <n>', 'neurons (80% excitatory, 20% inhibitory)', positiveInt, 4000)
      .option('--duration <ms>', 'network time to simulate', positiveNumber, 1000)
      .option('--dt <ms>', 'time step', positiveNumber, 0.1)
      .option('--seed <n>', 'seed of connectivity, initial states', integer, 1)
      .option('--p <prob>', 'connection probability', fraction, 0.02)
      .option('--json', 'print the summary as one JSON line on stdout')
      .option('--out <dir>', 'output directory (network.json, network.svg)', `results/network-${name}`)
      .option('--quiet', 'no progress output')
      .option('--force', 'write into an --out that holds results of another command')
      .addHelpText(
        'after',
        `\nExample:\n  hhnet network ${name} --neurons 4000 --duration 1000 --json\n` +
          `Prints { meanRateHz, cvIsi, spikes, synapses, bytesPerSynapse, wallSeconds, … } with --json;\n` +
          `wallSeconds covers building the network and simulating it.`,
      )
      .action(async (flags: NetworkFlags) => {
        const progress = new Progress(flags.quiet);
        await prepareResultDir(flags.out, ['network.json'], { ...flags, quiet: true });
        progress.stage(`building ${name} with ${flags.neurons} neurons (p ${flags.p}, seed ${flags.seed})`);
        const run = runBenchmark(
          name,
          { neurons: flags.neurons, p: flags.p, dt: flags.dt, seed: flags.seed, duration: flags.duration! },
          { onProgress: (f) => progress.update(`network ${name}`, f) },
        );
        await finish(name, TITLES[name], run, flags, progress);
      });

  cmd
    .command('run')
    .description('simulate a network described in a JSON file (see docs/networks.md)')
    .argument('<file>', 'network file')
    .option('--duration <ms>', "network time to simulate (default: the file's duration)", positiveNumber)
    .option('--json', 'print the summary as one JSON line on stdout')
    .option('--out <dir>', 'output directory (network.json, network.svg)', 'results/network')
    .option('--quiet', 'no progress output')
    .option('--force', 'write into an --out that holds results of another command')
    .addHelpText('after', '\nExample:\n  hhnet network run examples/networks/cobahh.json --duration 200')
    .action(async (file: string, flags: NetworkFlags) => {
      const progress = new Progress(flags.quiet);
      await prepareResultDir(flags.out, ['network.json'], { ...flags, quiet: true });
      const run = runNetworkFile(file, flags.duration, {
        onProgress: (f) => progress.update(`network ${file}`, f),
      });
      await finish(file, file, run, flags, progress);
    });
}
