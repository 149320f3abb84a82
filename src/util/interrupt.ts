/**
 * Ctrl-C and SIGTERM for long runs. The first signal only sets a flag: the training loops look at
 * it between steps, write a checkpoint and stop with InterruptedError (exit 130), so nothing is
 * lost. A second signal exits at once. Commands that keep no checkpoint never install this, so
 * for them a signal keeps its default meaning (stop now).
 */
let requested: NodeJS.Signals | null = null;
let installed = false;

export class InterruptedError extends Error {
  override name = 'InterruptedError';
}

/** Catch SIGINT and SIGTERM for the rest of the process (idempotent). */
export function catchInterrupts(): void {
  if (installed) return;
  installed = true;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (requested) {
      process.stderr.write(`\nhhnet: second ${signal}: stopping without a checkpoint\n`);
      process.exit(130);
    }
    requested = signal;
    process.stderr.write(
      `\nhhnet: ${signal} received: writing a checkpoint and stopping (send it again to stop at once)\n`,
    );
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}

/** The signal that asked the run to stop, or null. */
export function interruptRequested(): NodeJS.Signals | null {
  return requested;
}

/** For tests: forget a request (the handlers stay installed). */
export function clearInterrupt(): void {
  requested = null;
}

/** Simulates a signal (tests, and callers that stop a run for their own reasons). */
export function requestInterrupt(signal: NodeJS.Signals = 'SIGINT'): void {
  requested ??= signal;
}

/**
 * Lets a synchronous loop notice signals: signal handlers run only when the event loop gets a
 * turn, so `await poll()` between steps yields at most every `everyMs` and reports whether a stop
 * was requested.
 */
export function interruptPoller(everyMs = 100): () => Promise<boolean> {
  let last = Date.now();
  return async () => {
    const now = Date.now();
    if (now - last >= everyMs) {
      last = now;
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    return requested !== null;
  };
}

/**
 * The error a loop throws once it has saved its checkpoint in `dir` after a stop request;
 * `howToContinue` replaces the default "(--resume)" advice.
 */
export function interruptedAt(dir: string, where: string, howToContinue?: string): InterruptedError {
  return new InterruptedError(
    `stopped by ${requested ?? 'request'} at ${where}; ` +
      (howToContinue ?? `the checkpoint in ${dir} continues it (--resume)`),
  );
}
