// The layers of src/ (ARCHITECTURE: lower layers never import upper ones): every relative import
// from one top-level folder into another must go to a lower layer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Higher imports lower; folders of equal rank do not import each other. */
const RANK: Record<string, number> = {
  playground: 10,
  cli: 9,
  build: 9,
  reproduce: 8,
  experiments: 7,
  rl: 6,
  train: 5,
  models: 4,
  report: 4,
  network: 4,
  nn: 3,
  optim: 3,
  sim: 3,
  cable: 3,
  tensor: 2,
  neurons: 2,
  data: 2,
  io: 2,
  kernels: 1,
  morphology: 1,
  analysis: 1,
  util: 0,
  symbolic: 0.5, // expression trees; they evaluate with util's exact exp
};

const SRC = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'src');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

test('no import runs upward between the layers of src/', () => {
  const upward: string[] = [];
  for (const file of files(SRC)) {
    const from = relative(SRC, file).split('/');
    if (from.length < 2) continue; // src/index.ts sits above everything
    assert.ok(from[0] in RANK, `src/${from[0]} has no layer in this test`);
    for (const m of readFileSync(file, 'utf8').matchAll(/from '(\.[^']+)'/g)) {
      const to = relative(SRC, normalize(join(dirname(file), m[1]))).split('/');
      if (to.length < 2 || to[0] === from[0]) continue;
      if (!(RANK[to[0]] < RANK[from[0]])) upward.push(`src/${from.join('/')} → ${m[1]}`);
    }
  }
  assert.deepEqual(upward, []);
});
