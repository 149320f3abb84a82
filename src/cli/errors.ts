/**
 * Which failures the CLI reports as caused by its input (one line, exit 2) rather than as internal
 * ones (exit 1, stack trace with HHNET_DEBUG=1). The fuzz tests hold the parsers and readers to it.
 */
import { SimulationDivergedError } from '../sim/simulate.js';

/** Error names of the input-caused failures of modules the CLI does not import directly. */
const KNOWN_NAMES = [
  'TrainingDivergedError',
  'IdxFormatError',
  'DatasetMissingError',
  'SafetensorsError',
  'DeclarationError',
  'UserError',
  'InterruptedError',
  'NetworkDivergedError',
  'NetworkFileError',
  'NetworkCheckpointError',
  'SweepFileError',
  'QueueUrlError',
];

export function isKnownError(err: unknown): boolean {
  return (
    err instanceof RangeError ||
    err instanceof SimulationDivergedError ||
    (err instanceof Error && KNOWN_NAMES.includes(err.name))
  );
}
