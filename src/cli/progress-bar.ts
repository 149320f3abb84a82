/** The cli-progress bar every training command shows on stderr (plain lines every 10 s off a TTY). */
import { SingleBar } from 'cli-progress';

export function progressBar(format: string): SingleBar {
  return new SingleBar({
    format,
    stream: process.stderr,
    barsize: 24,
    noTTYOutput: true,
    notTTYSchedule: 10000,
    hideCursor: false,
  });
}

/** A status line on stderr unless --quiet. */
export function log(quiet: boolean | undefined, message: string): void {
  if (!quiet) process.stderr.write(`${message}\n`);
}
