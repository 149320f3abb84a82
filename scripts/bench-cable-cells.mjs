// The many-cell cable kernel on Brian2's population model (bench/compare/brian_cable.py
// population; src/cable/population.ts): N ball-and-stick cells (soma 20 × 20 µm, one compartment;
// dendrite 1000 × 1 µm in 50), HH everywhere (rest −65 mV), 0.5 nA into each soma, 100 ms at dt
// 0.025 ms. Prints JSON: the stepping seconds (compile excluded: the first call compiles, the timed
// ones hit the cache), spikes per cell, the threads and the load average. `hhnet cable population`
// times one run; bench:compare's population part runs that against Brian2.
//   node scripts/bench-cable-cells.mjs [--cells 100] [--threads 1] [--method cn] [--table] [--repeat 3]
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { populationOptions, simulateCableCells } from '../dist/src/cable/index.js';

const { values } = parseArgs({
  options: {
    cells: { type: 'string', default: '100' },
    threads: { type: 'string', default: '1' },
    method: { type: 'string', default: 'cn' },
    dt: { type: 'string', default: '0.025' },
    duration: { type: 'string', default: '100' },
    current: { type: 'string', default: '0.5' },
    repeat: { type: 'string', default: '3' },
    table: { type: 'boolean', default: false },
  },
});
const cells = Number(values.cells);
const dt = Number(values.dt);
// The model of `hhnet cable population` (src/cable/population.ts), with this script's method.
const options = {
  ...populationOptions({
    cells,
    durationMs: Number(values.duration),
    dt,
    currentNa: Number(values.current),
    threads: Number(values.threads),
    rateTable: values.table ? {} : null,
  }),
  method: values.method,
};
await simulateCableCells({ ...options, tStop: dt }); // compiles (or loads the cached kernel)
const seconds = [];
let spikesPerCell = NaN;
for (let r = 0; r < Number(values.repeat); r++) {
  const res = await simulateCableCells(options);
  seconds.push(res.seconds);
  spikesPerCell = res.spikes.reduce((s, x) => s + x.length, 0) / cells;
}
console.log(
  JSON.stringify({
    cells,
    compartmentsPerCell: 51,
    method: values.method,
    threads: Number(values.threads),
    rateTable: values.table,
    seconds: Math.min(...seconds),
    allSeconds: seconds,
    spikesPerCell,
    loadavg: loadavg(),
  }),
);
