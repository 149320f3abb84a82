/**
 * Build step (`npm run build`): compiles the generic kernels of every built-in declared neuron
 * model a layer can run (src/neurons/catalog.ts trainableModels and declaredUnits; learnable = the
 * parameters the declaration marks learnable) into
 * two wasm modules (declared-builtins.wasm: SIMD; declared-builtins-scalar.wasm) next to
 * dist/src/kernels/wasm/declared.js, with a manifest of the programs (key, family, learnable set) in module order, so the wasm backend runs them without a compiler at run time.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compileStep } from '../kernels/spiking/program.js';
import { BUILTIN_FILES, BUILTIN_MANIFEST } from '../kernels/wasm/declared.js';
import { compileAssemblyScript } from '../kernels/wasm/declared-compile.js';
import { renderModule } from '../kernels/wasm/declared-source.js';
import { declaredUnits, trainableModels } from '../neurons/catalog.js';
import { stepDefinition } from '../neurons/derive.js';

// The built-in units too (several inputs or spike rules: trainable, not in the simulation catalog).
const programs = [...trainableModels(), ...declaredUnits()].map((m) =>
  compileStep(
    stepDefinition(m),
    m.params.filter((p) => m.declaration.params[p].learnable),
  ),
);
// Models with the same equations share one kernel (e.g. hh and hh-modern differ in defaults only).
const unique = [...new Map(programs.map((p) => [p.key, p])).values()];
const dir = fileURLToPath(new URL('../kernels/wasm/', import.meta.url));
for (const kind of ['scalar', 'simd'] as const)
  writeFileSync(
    join(dir, BUILTIN_FILES[kind]),
    await compileAssemblyScript(renderModule(unique, kind), kind),
  );
writeFileSync(
  join(dir, BUILTIN_MANIFEST),
  JSON.stringify(unique.map((p) => ({ key: p.key, family: p.family, learnable: p.learnable }))) + '\n',
);
