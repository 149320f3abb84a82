import type { Command } from 'commander';
import { axonVelocity, rallpack1Summary } from '../../cable/index.js';
import { finiteNumber, oneOf, positiveInt, positiveNumber } from '../options.js';

interface RallpackFlags {
  compartments: number;
  dt: number;
  method: 'cn' | 'be';
  json?: boolean;
}

interface VelocityFlags {
  diameter: number;
  length: number;
  compartments?: number;
  dt: number;
  ri: number;
  temperature: number;
  json?: boolean;
}

export function registerCable(program: Command): void {
  const cmd = program
    .command('cable')
    .description('multi-compartment cells: validation runs of the cable solver (docs/compartments.md)');

  cmd
    .command('rallpack')
    .description('Rallpack 1: the passive 1 mm cable against its analytic solution')
    .argument('<n>', 'which Rallpack (1; Rallpack 3 is not built yet)', oneOf(['1']))
    .option('--compartments <n>', 'compartments along the 1 mm cable', positiveInt, 1000)
    .option('--dt <ms>', 'time step', positiveNumber, 0.01)
    .option(
      '--method <name>',
      'cn (Crank–Nicolson) or be (backward Euler)',
      oneOf(['cn', 'be'] as const),
      'cn',
    )
    .option('--json', 'print the figures as one JSON line')
    .addHelpText('after', '\nExample:\n  hhnet cable rallpack 1 --json')
    .action((_n: string, f: RallpackFlags) => {
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
    .option('--json', 'print { "velocityMps", … } as one JSON line')
    .addHelpText(
      'after',
      '\nExample:\n  hhnet cable velocity --diameter 476 --length 30000 --compartments 600 --dt 0.005 --json',
    )
    .action((f: VelocityFlags) => {
      const r = axonVelocity({
        diameterUm: f.diameter,
        lengthUm: f.length,
        compartments: f.compartments,
        dt: f.dt,
        ri: f.ri,
        temperatureC: f.temperature,
      });
      if (f.json) {
        const { points, ...rest } = r;
        process.stdout.write(JSON.stringify({ ...rest, fittedPoints: points.length }) + '\n');
        return;
      }
      process.stdout.write(
        `HH axon, ${r.diameterUm} µm × ${r.lengthUm} µm, ${r.compartments} compartments, dt ${r.dt} ms: ${r.velocityMps.toFixed(3)} m/s\n`,
      );
    });
}
