/** Assertions shared by the test files. */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** |a − b| ≤ tol, with a message that shows both values. */
export function close(a: number, b: number, tol: number, msg?: string): void {
  assert.ok(Math.abs(a - b) <= tol, msg ?? `expected ${b}, got ${a} (tol ${tol})`);
}

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
  /** Wall time of the run. */
  seconds: number;
}

const CLI_PATH = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));

/**
 * Runs the hhnet CLI (the built dist/src/cli/main.js) in a child process; never rejects. With
 * timeoutMs a run that has not exited by then is killed (code −1): a hang fails the test.
 */
export function runCli(args: string[], opts: { cwd?: string; timeoutMs?: number } = {}): Promise<CliRun> {
  const started = process.hrtime.bigint();
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [CLI_PATH, ...args],
      {
        cwd: opts.cwd,
        encoding: 'utf8',
        maxBuffer: 64 * 2 ** 20,
        env: { ...process.env, HHNET_DEBUG: '' },
        timeout: opts.timeoutMs ?? 0,
        killSignal: 'SIGKILL',
      },
      (err, stdout, stderr) => {
        const code = err === null ? 0 : typeof err.code === 'number' ? err.code : -1;
        resolve({ code, stdout, stderr, seconds: Number(process.hrtime.bigint() - started) / 1e9 });
      },
    );
  });
}
