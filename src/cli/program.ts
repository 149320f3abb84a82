/** The `hhnet` command tree, apart from running it (tests walk its commands and flags). */
import { Command } from 'commander';
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
import { registerServe } from './commands/serve.js';
import { registerNetwork } from './commands/network.js';
import { registerCable } from './commands/cable.js';
import { registerSweep, registerWorker } from './commands/sweep.js';
import { packageVersion } from '../util/environment.js';

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
  registerNetwork(program);
  registerCable(program);
  registerSweep(program);
  registerWorker(program);
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
  registerServe(program);
  return program;
}
