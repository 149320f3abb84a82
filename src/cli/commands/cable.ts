import type { Command } from 'commander';
import {
  axonVelocity,
  axonVelocityWasm,
  rallpack1Summary,
  rallpack3Summary,
  runPopulation,
} from '../../cable/index.js';
import type { Rallpack3Summary } from '../../cable/index.js';
import { CELL_SHAPES, cableFigure, cableHeatmapFigure, runCable } from '../../experiments/cable.js';
import type { CableRunOptions } from '../../experiments/cable.js';
import { finiteNumber, oneOf, positiveInt, positiveNumber } from '../options.js';
import { UserError, prepareResultDir, writeJson, writeSvg } from '../output.js';
import { InvalidArgumentError } from 'commander';

/** "[SECTION:]UM" → a site (section 0 by default). */
function site(text: string, flag: string): { section: number; atUm: number } {
  const m = /^(?:(\d+):)?([0-9.eE+]+)$/.exec(text.trim());
  const at = m ? Number(m[2]) : NaN;
  if (!m || !Number.isFinite(at) || at < 0)
    throw new InvalidArgumentError(`${flag} "${text}": expected [SECTION:]MICROMETRES, e.g. 0 or 1:250`);
  return { section: m[1] === undefined ? 0 : Number(m[1]), atUm: at };
}

/** --clamp "[SECTION:]UM:NA:START-END", repeatable. */
function clamp(
  text: string,
  previous: ReturnType<typeof parseClamp>[] = [],
): ReturnType<typeof parseClamp>[] {
  return [...previous, parseClamp(text)];
}
function parseClamp(text: string) {
  const parts = text.split(':');
  const fail = (): never => {
    throw new InvalidArgumentError(
      `--clamp "${text}": expected [SECTION:]UM:NA:START-END (e.g. 0:0.5:10-60 or 1:200:0.1:5-10)`,
    );
  };
  if (parts.length < 3 || parts.length > 4) fail();
  const [window, amp] = [parts[parts.length - 1], Number(parts[parts.length - 2])];
  const w = /^([0-9.eE+]+)-([0-9.eE+]+)$/.exec(window);
  if (!w || !Number.isFinite(amp)) fail();
  const startMs = Number(w![1]);
  const endMs = Number(w![2]);
  if (!(endMs > startMs)) fail();
  return { ...site(parts.slice(0, parts.length - 2).join(':'), '--clamp'), amplitudeNa: amp, startMs, endMs };
}
const sites = (text: string) => text.split(',').map((x) => site(x, '--record'));

interface RallpackFlags {
  compartments: number;
  dt: number;
  method: 'cn' | 'be';
  referenceCompartments?: number;
  referenceDt: number;
  tolerance: number;
  duration: number;
  json?: boolean;
}

function printRallpack3(r: Rallpack3Summary): void {
  const end = (k: 0 | 1): string => {
    const e = r.ends[k];
    const times = Number.isFinite(e.maxSpikeTimeDiffMs)
      ? `spike times differ by at most ${e.maxSpikeTimeDiffMs.toFixed(4)} ms, the last by ` +
        `${e.lastSpikeTimeDiffMs >= 0 ? '+' : ''}${e.lastSpikeTimeDiffMs.toFixed(4)} ms`
      : 'no spikes to match';
    return (
      `  x = ${k === 0 ? '0' : 'L'}: ${e.spikes} spike${e.spikes === 1 ? '' : 's'} (reference ${e.referenceSpikes}); ` +
      `${times}; RMS |V − V_ref| ${e.rmsErrorMv.toFixed(3)} mV\n`
    );
  };
  process.stdout.write(
    `Rallpack 3 (${r.run.compartments} compartments, dt ${r.run.dt} ms, ${r.run.method}, ${r.tStop} ms, ${r.run.seconds.toFixed(1)} s) ` +
      `against ${r.reference.compartments} compartments, dt ${r.reference.dt} ms, ${r.reference.method} (${r.reference.seconds.toFixed(1)} s):\n` +
      end(0) +
      end(1) +
      `${r.passes ? 'passes' : 'FAILS'}: equal, non-zero spike counts at both ends and every spike within ${r.toleranceMs} ms of the reference\n`,
  );
}

/** The flags of `cable run`: the experiment's options under their flag names, plus output. */
interface RunFlags extends Pick<
  CableRunOptions,
  'morphology' | 'compartments' | 'channels' | 'ri' | 'cm' | 'rm' | 'el' | 'record' | 'duration' | 'dt'
> {
  length: number;
  diameter: number;
  clamp?: CableRunOptions['clamps'];
  out: string;
  force?: boolean;
  quiet?: boolean;
}

interface VelocityFlags {
  diameter: number;
  length: number;
  compartments?: number;
  dt: number;
  ri: number;
  temperature: number;
  engine: 'js' | 'wasm';
  rateTable?: number;
  exactRates?: boolean;
  json?: boolean;
}

interface PopulationFlags {
  cells: number;
  duration: number;
  dt: number;
  current: number;
  threads: number;
  rateTable?: number;
  exactRates?: boolean;
  json?: boolean;
}

export function registerCable(program: Command): void {
  const cmd = program
    .command('cable')
    .description('multi-compartment cells: validation runs of the cable solver (docs/compartments.md)');

  cmd
    .command('run')
    .description('simulate one cell: a built-in shape or an SWC file, passive or HH membrane, current clamps')
    .option('--morphology <shape|file>', `${CELL_SHAPES.join(', ')}, or an SWC file`, 'cylinder')
    .option(
      '--length <um>',
      'built-in shapes: cable (or dendrite, or trunk + branch) length',
      positiveNumber,
      1000,
    )
    .option('--diameter <um>', 'built-in shapes: cable diameter', positiveNumber, 1)
    .option('--compartments <n>', 'about this many compartments over the whole cell', positiveInt, 100)
    .option(
      '--channels <kind>',
      'hh (modern convention, rest −65 mV) or passive',
      oneOf(['hh', 'passive'] as const),
      'passive',
    )
    .option('--ri <ohm_cm>', 'axial resistivity', positiveNumber, 100)
    .option('--cm <uF_cm2>', 'membrane capacitance', positiveNumber, 1)
    .option('--rm <ohm_cm2>', 'passive membrane resistance', positiveNumber, 40000)
    .option('--el <mV>', 'passive reversal (and initial) potential', finiteNumber, -65)
    .option('--clamp <spec>', 'current clamp [SECTION:]UM:NA:START-END (repeatable)', clamp)
    .option('--record <sites>', 'recording sites [SECTION:]UM,… (default: 0)', sites, [
      { section: 0, atUm: 0 },
    ])
    .option('--duration <ms>', 'simulated time', positiveNumber, 50)
    .option('--dt <ms>', 'time step (Crank–Nicolson)', positiveNumber, 0.025)
    .option('--out <dir>', 'output directory (cable.json, cable.svg, cable-heatmap.svg)', 'results/cable')
    .option('--force', 'write into an --out that holds results of another command')
    .option('--quiet', 'no summary line')
    .addHelpText(
      'after',
      '\nExamples:\n  hhnet cable run --morphology cylinder --length 1000 --diameter 1 --clamp 0:0.1:0-250 --record 0,1000 --duration 250\n' +
        '  hhnet cable run --morphology ball-and-stick --channels hh --clamp 0:10:0.3:5-45 --record 0:10,1:500 --duration 50\n' +
        'Sections: cylinder 0; ball-and-stick 0 soma (20 µm), 1 dendrite; y 0 trunk, 1 and 2 branches.',
    )
    .action(async (f: RunFlags) => {
      const out = await prepareResultDir(f.out, ['cable.json'], f);
      const { length, diameter, clamp: clamps = [], out: _out, force: _force, quiet: _quiet, ...rest } = f;
      const r = runCable({ ...rest, lengthUm: length, diameterUm: diameter, clamps });
      const json = await writeJson(out, 'cable.json', { config: { ...f, out: undefined }, ...r });
      const svg = await writeSvg(out, 'cable.svg', cableFigure(`${f.morphology}, ${f.channels} membrane`, r));
      const heat = await writeSvg(
        out,
        'cable-heatmap.svg',
        cableHeatmapFigure(`${f.morphology}, ${f.channels} membrane: V along the cell`, r),
      );
      if (!f.quiet)
        process.stderr.write(
          `${r.compartments} compartments, ${f.duration} ms in ${r.seconds.toFixed(2)} s; ` +
            r.traces
              .map(
                (t) =>
                  `section ${t.section} at ${t.atUm} µm: ${t.spikeTimes.length} spikes, final V ${t.v[t.v.length - 1].toFixed(2)} mV`,
              )
              .join('; ') +
            `; wrote ${json}, ${svg} and ${heat}\n`,
        );
    });

  cmd
    .command('rallpack')
    .description(
      'Rallpack 1 (passive cable against its analytic solution) or 3 (HH axon against a fine-grid reference run)',
    )
    .argument('<n>', 'which Rallpack: 1 or 3', oneOf(['1', '3']))
    .option('--compartments <n>', 'compartments along the 1 mm cable', positiveInt, 1000)
    .option('--dt <ms>', 'time step', positiveNumber, 0.01)
    .option(
      '--method <name>',
      'cn (Crank–Nicolson) or be (backward Euler)',
      oneOf(['cn', 'be'] as const),
      'cn',
    )
    .option(
      '--reference-compartments <n>',
      'Rallpack 3: compartments of the reference run (default 2 × --compartments)',
      positiveInt,
    )
    .option(
      '--reference-dt <ms>',
      'Rallpack 3: time step of the reference run (Crank–Nicolson)',
      positiveNumber,
      0.0025,
    )
    .option('--tolerance <ms>', 'Rallpack 3: largest accepted spike-time difference', positiveNumber, 0.2)
    .option('--duration <ms>', 'Rallpack 3: simulated time (the specification: 250)', positiveNumber, 250)
    .option('--json', 'print the figures as one JSON line')
    .addHelpText(
      'after',
      '\nExamples:\n  hhnet cable rallpack 1 --json\n  hhnet cable rallpack 3 --dt 0.01 --reference-dt 0.0025 --json   (about a minute or two)',
    )
    .action((n: string, f: RallpackFlags) => {
      if (n === '3') {
        const r = rallpack3Summary(
          { compartments: f.compartments, dt: f.dt, method: f.method, tStop: f.duration },
          {
            compartments: f.referenceCompartments ?? 2 * f.compartments,
            dt: f.referenceDt,
            method: 'cn',
            tStop: f.duration,
          },
          f.tolerance,
        );
        if (f.json) process.stdout.write(JSON.stringify(r) + '\n');
        else printRallpack3(r);
        // A validation that fails is a failed command (exit code 1), after its figures.
        if (!r.passes) process.exitCode = 1;
        return;
      }
      const r = rallpack1Summary(f.compartments, f.dt, f.method);
      if (f.json) {
        process.stdout.write(JSON.stringify({ rallpack: 1, ...r }) + '\n');
        return;
      }
      const e = (x: [number, number]): string =>
        `${x[0].toExponential(2)} mV at x = 0, ${x[1].toExponential(2)} mV at x = L`;
      process.stdout.write(
        `Rallpack 1 (${r.compartments} compartments, dt ${r.dt} ms, ${r.method}): max |V − analytic| ${e(r.maxError.from01)} from 0.1 ms on ` +
          `(${e(r.maxError.all)} over the whole run); V(250 ms) = ${r.vEnd[0].toFixed(4)} and ${r.vEnd[1].toFixed(4)} mV\n`,
      );
    });

  cmd
    .command('velocity')
    .description('conduction velocity of an HH axon (HH 1952 constants), fitted over its middle 60%')
    .option('--diameter <um>', 'axon diameter', positiveNumber, 476)
    .option('--length <um>', 'axon length', positiveNumber, 30000)
    .option('--compartments <n>', 'compartments (default: 50 µm each)', positiveInt)
    .option('--dt <ms>', 'time step', positiveNumber, 0.005)
    .option('--ri <ohm_cm>', 'axial resistivity', positiveNumber, 35.4)
    .option('--temperature <C>', 'temperature (rates scaled with Q10 = 3 from 6.3 °C)', finiteNumber, 18.5)
    .option(
      '--engine <name>',
      'js: the float64 TypeScript solver; wasm: the float32 SIMD single-cell kernel',
      oneOf(['js', 'wasm']),
      'js',
    )
    .option(
      '--rate-table <mV>',
      "wasm: spacing of the gates' rate table over v (default 1/32; error ∝ spacing²)",
      positiveNumber,
    )
    .option('--exact-rates', "wasm: compute the gates' rate functions every step instead of the table")
    .option('--json', 'print { "velocityMps", … } as one JSON line')
    .addHelpText(
      'after',
      '\nExample:\n  hhnet cable velocity --diameter 476 --length 30000 --compartments 600 --dt 0.005 --json',
    )
    .action(async (f: VelocityFlags) => {
      if (f.engine === 'js' && (f.rateTable !== undefined || f.exactRates))
        throw new UserError('--rate-table and --exact-rates belong to --engine wasm');
      if (f.rateTable !== undefined && f.exactRates)
        throw new UserError('--rate-table and --exact-rates exclude each other');
      const o = {
        diameterUm: f.diameter,
        lengthUm: f.length,
        compartments: f.compartments,
        dt: f.dt,
        ri: f.ri,
        temperatureC: f.temperature,
      };
      const r =
        f.engine === 'wasm'
          ? await axonVelocityWasm({ ...o, rateTable: f.exactRates ? null : { step: f.rateTable } })
          : axonVelocity(o);
      const engine = {
        engine: f.engine,
        ...(f.engine === 'wasm' ? { rateTableMv: f.exactRates ? null : (f.rateTable ?? 1 / 32) } : {}),
      };
      if (f.json) {
        const { points, ...rest } = r;
        process.stdout.write(JSON.stringify({ ...rest, ...engine, fittedPoints: points.length }) + '\n');
        return;
      }
      process.stdout.write(
        `HH axon, ${r.diameterUm} µm × ${r.lengthUm} µm, ${r.compartments} compartments, dt ${r.dt} ms (${f.engine}): ${r.velocityMps.toFixed(3)} m/s in ${r.seconds.toFixed(3)} s\n`,
      );
    });

  cmd
    .command('population')
    .description(
      "many ball-and-stick cells on the many-cell WASM kernel: Brian2's population benchmark model (docs/benchmarks.md part 5)",
    )
    .option('--cells <n>', 'cells', positiveInt, 100)
    .option('--duration <ms>', 'simulated time', positiveNumber, 100)
    .option('--dt <ms>', 'time step (Crank–Nicolson)', positiveNumber, 0.025)
    .option('--current <nA>', 'current into each soma', finiteNumber, 0.5)
    .option('--threads <n>', 'threads (groups of four cells split between them)', positiveInt, 1)
    .option('--rate-table <mV>', "spacing of the gates' rate table over v (default 1/32)", positiveNumber)
    .option('--exact-rates', "compute the gates' rate functions every step instead of the table")
    .option('--json', 'print { "seconds", "spikesPerCell", … } as one JSON line')
    .action(async (f: PopulationFlags) => {
      if (f.rateTable !== undefined && f.exactRates)
        throw new UserError('--rate-table and --exact-rates exclude each other');
      const r = await runPopulation({
        cells: f.cells,
        durationMs: f.duration,
        dt: f.dt,
        currentNa: f.current,
        threads: f.threads,
        rateTable: f.exactRates ? null : { step: f.rateTable },
      });
      const out = {
        ...r,
        durationMs: f.duration,
        dt: f.dt,
        rateTableMv: f.exactRates ? null : (f.rateTable ?? 1 / 32),
      };
      if (f.json) {
        process.stdout.write(JSON.stringify(out) + '\n');
        return;
      }
      process.stdout.write(
        `${r.cells} ball-and-stick cells (${r.compartmentsPerCell} compartments each), ${f.duration} ms at dt ${f.dt} ms, ${r.threads} thread(s): ${r.seconds.toFixed(3)} s, ${r.spikesPerCell} spikes per cell\n`,
      );
    });
}
