#!/usr/bin/env node
// Writes examples/morphologies/pyramidal.swc, the synthetic pyramidal cell of
// src/morphology/synthetic.ts (seed 1, a point every 10 µm). test/morphology-swc.test.ts checks
// that the file equals the generator's output.
//   npm run build && node scripts/make-pyramidal-swc.mjs
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { pyramidalSwc } from '../dist/src/morphology/index.js';

const out = fileURLToPath(new URL('../examples/morphologies/pyramidal.swc', import.meta.url));
writeFileSync(out, pyramidalSwc({ seed: 1 }));
console.log(`wrote ${out}`);
