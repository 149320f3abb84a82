/**
 * Progress output on stderr: a rewritten status line on a terminal, plain lines at most every few
 * seconds otherwise (CI logs), nothing with --quiet.
 */
export class Progress {
  private lastPrint = 0;
  private readonly tty = Boolean(process.stderr.isTTY);
  private readonly start = Date.now();

  constructor(private readonly quiet = false) {}

  /** A stage message, always printed (unless quiet). */
  stage(message: string): void {
    if (this.quiet) return;
    if (this.tty) process.stderr.write('\r\x1b[K');
    process.stderr.write(`[${this.elapsed()}] ${message}\n`);
  }

  /** A fraction done within the current stage; throttled. */
  update(label: string, fraction: number): void {
    if (this.quiet) return;
    const now = Date.now();
    if (now - this.lastPrint < (this.tty ? 100 : 5000) && fraction < 1) return;
    this.lastPrint = now;
    const pct = (100 * Math.min(1, Math.max(0, fraction))).toFixed(0).padStart(3);
    if (this.tty) {
      const width = 30;
      const filled = Math.round(width * fraction);
      process.stderr.write(`\r\x1b[K${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${pct}%`);
      if (fraction >= 1) process.stderr.write('\n');
    } else {
      process.stderr.write(`[${this.elapsed()}] ${label} ${pct}%\n`);
    }
  }

  private elapsed(): string {
    return `${((Date.now() - this.start) / 1000).toFixed(1)}s`;
  }
}
