#!/usr/bin/env node
/** The `hhnet` command line. Errors print one clear line and exit non-zero — never a stack trace. */
import { CommanderError } from 'commander';
import { isKnownError } from './errors.js';
import { buildProgram } from './program.js';

async function main(): Promise<void> {
  const program = buildProgram();
  program.exitOverride();
  try {
    await program.parseAsync(process.argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      // commander has already printed its message (or the help/version text)
      process.exitCode = err.exitCode;
      return;
    }
    const known = isKnownError(err);
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`hhnet: error: ${message}\n`);
    if (!known && process.env.HHNET_DEBUG && err instanceof Error) process.stderr.write(`${err.stack}\n`);
    process.exitCode = known ? 2 : 1;
  }
}

void main();
