#!/usr/bin/env node
/** The `hhnet` command line. Errors print one clear line and exit non-zero — never a stack trace. */
import { Command, CommanderError } from 'commander';
import { SimulationDivergedError } from '../sim/simulate.js';
import { registerBench } from './commands/bench.js';
import { registerEvaluate } from './commands/evaluate.js';
import { registerPlay } from './commands/play.js';
import { registerRobustness } from './commands/robustness.js';
import { registerTrain } from './commands/train.js';
import { registerEquivalence } from './commands/equivalence.js';
import { registerFiCurve } from './commands/fi-curve.js';
import { registerMi } from './commands/mi.js';
import { registerModels } from './commands/models.js';
import { registerReproduce } from './commands/reproduce.js';
import { registerResources } from './commands/resources.js';
import { registerSimulate } from './commands/simulate.js';
import { packageVersion } from '../util/environment.js';
import { stopProgressBars } from './progress-bar.js';

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('hhnet')
    .description(
      'Spiking networks with internal complexity: Hodgkin–Huxley neurons and their LIF micro-circuits',
    )
    .version(packageVersion())
    .showHelpAfterError('(run with --help for usage)');
  registerSimulate(program);
  registerModels(program);
  registerFiCurve(program);
  registerEquivalence(program);
  registerTrain(program);
  registerEvaluate(program);
  registerMi(program);
  registerPlay(program);
  registerRobustness(program);
  registerBench(program);
  registerResources(program);
  registerReproduce(program);
  return program;
}

/** Exit codes: 0 done, 1 an unexpected failure, 2 bad input or a known failure, 130 interrupted. */
async function main(): Promise<void> {
  const program = buildProgram();
  program.exitOverride();
  try {
    await program.parseAsync(process.argv);
  } catch (err) {
    stopProgressBars();
    if (err instanceof CommanderError) {
      // commander has already printed its message (or the help/version text)
      process.exitCode = err.exitCode;
      return;
    }
    const name = (err as Error).name;
    const known =
      err instanceof RangeError ||
      err instanceof SimulationDivergedError ||
      [
        'TrainingDivergedError',
        'IdxFormatError',
        'DatasetMissingError',
        'SafetensorsError',
        'DeclarationError',
        'UserError',
        'InterruptedError',
      ].includes(name);
    process.stderr.write(`hhnet: error: ${(err as Error).message}\n`);
    if (!known && process.env.HHNET_DEBUG) process.stderr.write(`${(err as Error).stack}\n`);
    process.exitCode = name === 'InterruptedError' ? 130 : known ? 2 : 1;
  } finally {
    stopProgressBars();
    // The command is over: whatever a failure left running (a timer, a worker) must not keep the
    // process alive. The timer is unref'd, so a clean exit does not wait for it.
    setTimeout(() => process.exit(), 200).unref();
  }
}

void main();
