/** The cli-progress bar every training command shows on stderr (plain lines every 10 s off a TTY). */
import { SingleBar } from 'cli-progress';

// Every bar made here, so that an error can stop them all: a running bar's timer would otherwise
// keep the process alive after the command has failed.
const bars = new Set<SingleBar>();

export function progressBar(format: string): SingleBar {
  const bar = new SingleBar({
    format,
    stream: process.stderr,
    barsize: 24,
    noTTYOutput: true,
    notTTYSchedule: 10000,
    hideCursor: false,
  });
  bars.add(bar);
  return bar;
}

/** Stops every progress bar (called when a command ends, however it ends). */
export function stopProgressBars(): void {
  for (const bar of bars) if (bar.isActive) bar.stop();
  bars.clear();
}

/** A status line on stderr unless --quiet. */
export function log(quiet: boolean | undefined, message: string): void {
  if (!quiet) process.stderr.write(`${message}\n`);
}
