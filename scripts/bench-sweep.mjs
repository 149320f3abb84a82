// Sweep throughput: the same sweep of R small multitask runs (hhnet sweep) run three ways, each in
// a fresh --out: locally one run at a time (--jobs 1), locally two at a time (--jobs 2), and over
// the BullMQ queue with one worker (a redis-server started here on a free 127.0.0.1 port). Prints
// JSON: wall seconds of each, the speed-up of --jobs 2 over --jobs 1, and the queue's overhead
// per run ((queue − local) / R). Needs redis-server for the queue part (skipped without it).
//   node scripts/bench-sweep.mjs [--runs 8] [--limit-train 1000] [--T 4] [--dataset multi-mnist]
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '8' },
    'limit-train': { type: 'string', default: '1000' },
    'limit-test': { type: 'string', default: '200' },
    T: { type: 'string', default: '4' },
    dataset: { type: 'string', default: 'multi-mnist' },
  },
});
const runs = Number(values.runs);
if (!Number.isInteger(runs) || runs < 2 || runs % 2) throw new Error('--runs must be an even integer ≥ 2');
const cli = new URL('../dist/src/cli/main.js', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'hhnet-bench-sweep-'));
const file = join(dir, 'sweep.json');
writeFileSync(
  file,
  JSON.stringify({
    experiment: 'multitask',
    models: ['hh-fc', 'lif-fc'],
    seeds: Array.from({ length: runs / 2 }, (_, i) => i),
    dataset: values.dataset,
    epochs: 1,
    T: Number(values.T),
    limitTrain: Number(values['limit-train']),
    limitTest: Number(values['limit-test']),
  }),
);

/** Runs `hhnet ARGS` to the end; returns its wall seconds (throws on failure). */
function timed(args) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, [cli, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    child.on('exit', (code) =>
      code === 0
        ? resolve((performance.now() - t0) / 1000)
        : reject(new Error(`hhnet ${args.join(' ')}: exit ${code}\n${err.slice(-2000)}`)),
    );
  });
}

async function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

const load = [loadavg()[0]];
const out = (name) => join(dir, name);
const local1 = await timed(['sweep', file, '--out', out('jobs1'), '--quiet']);
const local2 = await timed(['sweep', file, '--out', out('jobs2'), '--jobs', '2', '--quiet']);
let queue = null;
if (spawnSync('redis-server', ['--version']).status === 0) {
  const port = await freePort();
  const redis = spawn(
    'redis-server',
    ['--port', `${port}`, '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    {
      stdio: 'ignore',
    },
  );
  const url = `redis://127.0.0.1:${port}`;
  for (let k = 0; k < 100; k++) {
    if (
      spawnSync('redis-cli', ['-p', `${port}`, 'ping'])
        .stdout?.toString()
        .includes('PONG')
    )
      break;
    await new Promise((r) => setTimeout(r, 50));
  }
  const worker = spawn(process.execPath, [cli, 'worker', '--queue', url, '--quiet'], { stdio: 'ignore' });
  try {
    queue = await timed(['sweep', file, '--out', out('queue'), '--queue', url, '--quiet']);
  } finally {
    worker.kill('SIGTERM');
    redis.kill('SIGTERM');
  }
}
load.push(loadavg()[0]);
rmSync(dir, { recursive: true, force: true });
console.log(
  JSON.stringify(
    {
      runs,
      perRun: {
        dataset: values.dataset,
        limitTrain: Number(values['limit-train']),
        T: Number(values.T),
        epochs: 1,
      },
      seconds: { jobs1: local1, jobs2: local2, queue1Worker: queue },
      speedupJobs2: local1 / local2,
      queueOverheadPerRunSeconds: queue === null ? null : (queue - local1) / runs,
      loadAverage: load,
    },
    null,
    2,
  ),
);
