#!/usr/bin/env node
/** The `hhnet` command line. Errors print one clear line and exit non-zero — never a stack trace. */
import { CommanderError } from 'commander';
import { isKnownError } from './errors.js';
import { onGlibc, relaunch, shouldRelaunch, watchParent } from './relaunch.js';

/** Exit codes: 0 done, 1 an unexpected failure, 2 bad input or a known failure, 130 interrupted. */
async function main(): Promise<void> {
  // The heavy commands run in a child with glibc told to keep freed memory (relaunch.ts); the
  // command modules load only where the command runs.
  if (shouldRelaunch(process.argv.slice(2), process.env, { platform: process.platform, glibc: onGlibc }))
    return relaunch();
  watchParent();
  const { buildProgram } = await import('./program.js');
  const { stopProgressBars } = await import('./progress-bar.js');
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
    const known = isKnownError(err);
    const interrupted = err instanceof Error && err.name === 'InterruptedError';
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`hhnet: error: ${message}\n`);
    if (!known && process.env.HHNET_DEBUG && err instanceof Error) process.stderr.write(`${err.stack}\n`);
    process.exitCode = interrupted ? 130 : known ? 2 : 1;
  } finally {
    stopProgressBars();
    // The command is over: whatever a failure left running (a timer, a worker) must not keep the
    // process alive. The timer is unref'd, so a clean exit does not wait for it.
    setTimeout(() => process.exit(), 200).unref();
  }
}

void main();
