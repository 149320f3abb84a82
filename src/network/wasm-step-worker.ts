/**
 * A worker thread of a wasm population step (wasm-step.ts): instantiates the kernel over the
 * population's shared memory, then for every step the caller publishes (a new generation in the
 * control block) claims its range of neurons, steps it and reports the result. A range the
 * caller has already taken over (this worker was late) is left alone: the claim decides.
 */
import { workerData } from 'node:worker_threads';
import { wasmApi } from '../kernels/wasm/wasm-api.js';
import type { StepWorkerInit } from './wasm-step.js';
import {
  CTL_DT,
  CTL_GEN,
  CTL_REFSTEPS,
  CTL_STOP,
  LINE_CLAIM,
  LINE_DONE,
  LINE_I0,
  LINE_I1,
  LINE_RESULT,
  SPIN_MS,
  STEP_FAILED,
} from './wasm-step.js';

const init = workerData as StepWorkerInit;
const instance = new wasmApi.Instance(init.module, { env: { memory: init.memory } });
const ex = instance.exports as Record<string, (...args: number[]) => number>;
ex.setExpConstants(0);
const step = ex.step;
const buf = init.memory.buffer;
const ctl = new Int32Array(buf, init.ctl, init.line + 16);
const f32 = new Float32Array(buf, init.ctl, init.line + 16);
const { ST, stride, IN, REF, FIRED, n } = init.layout;
const line = init.line;
const i0 = ctl[line + LINE_I0];
const i1 = ctl[line + LINE_I1];

/** Waits for a generation other than seen: polling first (steps follow each other closely). */
function next(seen: number): number {
  const until = performance.now() + SPIN_MS;
  for (let k = 0; ; k++) {
    const g = Atomics.load(ctl, CTL_GEN);
    if (g !== seen) return g;
    if ((k & 63) === 63 && performance.now() >= until) Atomics.wait(ctl, CTL_GEN, seen);
  }
}

let seen = Atomics.load(ctl, line + LINE_CLAIM);
for (;;) {
  const g = next(seen);
  seen = g;
  if (Atomics.load(ctl, CTL_STOP)) break;
  if (Atomics.compareExchange(ctl, line + LINE_CLAIM, g - 1, g) !== g - 1) continue;
  let r: number;
  try {
    r = step(ST, stride, IN, REF, FIRED + 4 * i0, n, i0, i1, f32[CTL_DT], ctl[CTL_REFSTEPS]);
  } catch {
    r = STEP_FAILED;
  }
  ctl[line + LINE_RESULT] = r;
  Atomics.store(ctl, line + LINE_DONE, g);
  Atomics.notify(ctl, line + LINE_DONE);
}
