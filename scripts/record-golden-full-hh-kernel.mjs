// Records test/fixtures/golden-full-hh-kernel.json from the hand-written fused full-HH training
// kernel (fullHhForwardJs / fullHhBackwardJs) before it is deleted: spike trains or rates, the
// saved states (v, m, h, n) every STATE_EVERY steps, and input gradients, for a static input with
// spike-train output, a time-varying input repeated over 2 steps, and a rate output. Run after
// `npm run build`: node scripts/record-golden-full-hh-kernel.mjs
import { writeFileSync } from 'node:fs';
import { execSync } from 'node:child_process';
import { fullHhBackwardJs, fullHhForwardJs } from '../dist/src/kernels/js/spiking.js';
import { FULL_HH_MEMBRANE } from '../dist/src/nn/spiking.js';
import { restingState } from '../dist/src/neurons/hh.js';
import { Rng } from '../dist/src/util/rng.js';

const STATE_EVERY = 5;
const CASES = [
  {
    name: 'static spikes',
    seed: 13,
    B: 2,
    N: 4,
    T: 200,
    repeat: 1,
    timeVarying: false,
    rate: false,
    lo: 5,
    hi: 20,
    surrogate: 0,
    width: 10,
  },
  {
    name: 'time-varying repeat 2',
    seed: 14,
    B: 2,
    N: 3,
    T: 160,
    repeat: 2,
    timeVarying: true,
    rate: false,
    lo: 0,
    hi: 25,
    surrogate: 1,
    width: 0.5,
  },
  {
    name: 'static rate',
    seed: 15,
    B: 3,
    N: 2,
    T: 200,
    repeat: 1,
    timeVarying: false,
    rate: true,
    lo: 5,
    hi: 30,
    surrogate: 2,
    width: 2,
  },
];

const uniform = (rng, n, lo, hi) => {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = lo + (hi - lo) * rng.uniform();
  return a;
};

const runs = CASES.map((c) => {
  const rng = new Rng(c.seed);
  const BN = c.B * c.N;
  const frames = c.timeVarying ? c.T / c.repeat : 1;
  const input = uniform(rng, frames * BN, c.lo, c.hi);
  const outLen = c.rate ? BN : c.T * BN;
  const gradOut = uniform(rng, outLen, -1, 1);
  const base = {
    batch: c.B,
    neurons: c.N,
    steps: c.T,
    timeVarying: c.timeVarying,
    inputRepeat: c.repeat,
    rateOutput: c.rate,
    threshold: 50,
    surrogate: c.surrogate,
    surrogateParam: c.width,
    smooth: false,
    constants: FULL_HH_MEMBRANE,
    dt: 0.05,
    initial: restingState(),
  };
  const out = new Float32Array(outLen);
  const state = new Float32Array(c.T * BN * 4);
  fullHhForwardJs({ ...base, input, out, state });
  const gradInput = new Float32Array(input.length);
  fullHhBackwardJs({ ...base, state, gradOut, gradInput });
  const states = [];
  for (let t = 0; t < c.T; t += STATE_EVERY) states.push(...state.subarray(t * BN * 4, (t + 1) * BN * 4));
  return {
    ...c,
    input: [...input],
    gradOut: [...gradOut],
    out: [...out],
    states: [...states],
    gradInput: [...gradInput],
  };
});

const recordedAt = execSync('git rev-parse --short HEAD').toString().trim();
const fixture = {
  recordedAt,
  kernel: 'fullHhForwardJs/fullHhBackwardJs',
  threshold: 50,
  dt: 0.05,
  stateEvery: STATE_EVERY,
  runs,
};
writeFileSync(
  new URL('../test/fixtures/golden-full-hh-kernel.json', import.meta.url),
  JSON.stringify(fixture) + '\n',
);
for (const r of runs)
  console.log(
    `${r.name}: ${r.out.reduce((s, x) => s + x, 0)} spikes (or rate sum), |gradInput| max ${Math.max(...r.gradInput.map(Math.abs)).toPrecision(3)}`,
  );
