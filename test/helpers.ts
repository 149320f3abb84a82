/** Assertions shared by the test files. */
import assert from 'node:assert/strict';
import type { GradcheckOptions } from '../src/tensor/gradcheck.js';
import { gradcheck } from '../src/tensor/gradcheck.js';
import { Tensor } from '../src/tensor/tensor.js';
import { execFile, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { StepProgram } from '../src/kernels/spiking/program.js';
import type { GenericSpikingBase } from '../src/kernels/spiking/reference.js';
import type { NeuronModel } from '../src/neurons/model.js';
import { initialState } from '../src/neurons/model.js';
import type { Rng } from '../src/util/rng.js';

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

export interface CliServer {
  /** The URL `hhnet serve` printed. */
  url: string;
  /** Sends SIGTERM and resolves with the exit code (−1: killed after timeoutMs). */
  stop(timeoutMs?: number): Promise<number>;
}

/** Starts `hhnet serve ARGS` and resolves once it prints its URL (rejects if it exits first). */
export function startServe(args: string[]): Promise<CliServer> {
  const child = spawn(process.execPath, [CLI_PATH, 'serve', ...args], {
    env: { ...process.env, HHNET_DEBUG: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<number>((resolve) => child.once('exit', (code) => resolve(code ?? -1)));
  let output = '';
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      const url = /http:\/\/\S+\//.exec(output)?.[0];
      if (!url) return;
      child.stdout.off('data', onData);
      resolve({
        url,
        stop(timeoutMs = 5000) {
          child.kill('SIGTERM');
          const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
          return exited.then((code) => {
            clearTimeout(timer);
            return code;
          });
        },
      });
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    void exited.then((code) => reject(new Error(`hhnet serve exited (${code}) before serving: ${output}`)));
  });
}

/**
 * A finite-difference gradcheck with tight tolerances (float32 outputs limit the differences),
 * plus: every checked input gets some gradient above `minGrad` (default 10·atol), so that a
 * vanishing gradient cannot pass.
 */
export function checkGradients(
  fn: () => Tensor,
  inputs: Tensor[],
  opts: GradcheckOptions & { minGrad?: number } = {},
): void {
  const res = gradcheck(fn, inputs, { atol: 1e-4, rtol: 2e-3, ...opts });
  assert.ok(res.ok, `gradcheck failed: max |error| ${res.maxAbsError} at ${res.worst}`);
  const minGrad = opts.minGrad ?? 10 * (opts.atol ?? 1e-4);
  inputs.forEach((x, k) => {
    const largest = (x.grad ?? new Float32Array(0)).reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    assert.ok(largest > minGrad, `input ${k}: largest |gradient| ${largest} ≤ ${minGrad}`);
  });
}

/** How a generic-kernel test sets a declared model's parameters. */
export interface GenericParamsOptions {
  /** Learnable parameters per neuron, each default × (lo + width·u), u uniform: [lo, width]. */
  perNeuron?: readonly [number, number];
  /** Least time step (`dt` of a continuous model). */
  minDt?: number;
}

/**
 * The base arguments of a generic-kernel call on `m`'s program: its defaults as parameters (see
 * GenericParamsOptions), its initial state, the shape and the mode.
 */
export function genericCall(
  m: NeuronModel,
  prog: StepProgram,
  shape: { batch: number; neurons: number; steps: number },
  mode: Pick<
    GenericSpikingBase,
    'timeVarying' | 'inputRepeat' | 'rateOutput' | 'surrogate' | 'surrogateParam' | 'smooth'
  >,
  rng: Rng,
  opts: GenericParamsOptions = {},
): GenericSpikingBase {
  const params = prog.definition.params.map((n, q) => {
    const v = n === 'dt' ? Math.max(m.trainingDt, opts.minDt ?? 0) : m.defaults[n];
    const spread = opts.perNeuron;
    return spread && prog.learnable.includes(q)
      ? Float32Array.from({ length: shape.neurons }, () => v * (spread[0] + spread[1] * rng.uniform()))
      : Float32Array.of(v);
  });
  return { program: prog, params, initial: initialState(m, m.defaults), ...shape, ...mode };
}

/**
 * The central difference (loss(x + ε) − loss(x − ε)) / (x₊ − x₋) of entry i of a float32 array,
 * over the steps float32 actually took; the entry is restored after.
 */
export function centralDifference(arr: Float32Array, i: number, eps: number, loss: () => number): number {
  const x0 = arr[i];
  arr[i] = x0 + eps;
  const up = arr[i];
  const lp = loss();
  arr[i] = x0 - eps;
  const dn = arr[i];
  const lm = loss();
  arr[i] = x0;
  return (lp - lm) / (up - dn);
}

/** A tensor of uniform values in [lo, hi) from rng, optionally receiving gradients. */
export function randomTensor(rng: Rng, shape: number[], lo: number, hi: number, grad = false): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const t = new Tensor(
    Float32Array.from({ length: n }, () => lo + (hi - lo) * rng.uniform()),
    shape,
  );
  t.requiresGrad = grad;
  return t;
}

/** One RK4 step of a system dy/dt = f(y) (the tests' independent integrators). */
export function rk4Step(f: (y: number[]) => number[], y: number[], dt: number): number[] {
  const k1 = f(y);
  const k2 = f(y.map((v, i) => v + (dt / 2) * k1[i]));
  const k3 = f(y.map((v, i) => v + (dt / 2) * k2[i]));
  const k4 = f(y.map((v, i) => v + dt * k3[i]));
  return y.map((v, i) => v + (dt / 6) * (k1[i] + 2 * k2[i] + 2 * k3[i] + k4[i]));
}

/**
 * Each named tensor's gradient (already computed by backward) against central differences of
 * loss, entry by entry: |fd − g| ≤ abs + rel·|fd|.
 */
export function checkAgainstDifferences(
  tensors: readonly (readonly [Tensor, string])[],
  loss: () => number,
  o: { eps: number; abs: number; rel: number },
): void {
  for (const [t, what] of tensors) {
    const g = t.grad as Float32Array;
    for (let i = 0; i < t.size; i++) {
      const fd = centralDifference(t.data, i, o.eps, loss);
      assert.ok(
        Math.abs(fd - g[i]) <= o.abs + o.rel * Math.abs(fd),
        `d loss / d ${what}[${i}]: ${g[i]} vs ${fd}`,
      );
    }
  }
}
