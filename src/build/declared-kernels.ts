/**
 * Build step (`npm run build`): compiles the generic kernels of every built-in declared neuron
 * model (src/neurons/catalog.ts; learnable = the parameters the declaration marks learnable) into
 * one wasm module, dist/src/kernels/wasm/declared-builtins.wasm, with a manifest of the program
 * keys in module order, so the wasm backend runs them without a compiler at run time.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compileStep } from '../kernels/spiking/program.js';
import { BUILTIN_MANIFEST, BUILTIN_WASM, compileAssemblyScript } from '../kernels/wasm/declared.js';
import { renderModule } from '../kernels/wasm/declared-source.js';
import { declaredModels } from '../neurons/catalog.js';
import { stepDefinition } from '../neurons/derive.js';

const programs = declaredModels().map((m) =>
  compileStep(
    stepDefinition(m),
    m.params.filter((p) => m.declaration.params[p].learnable),
  ),
);
// Models with the same equations share one kernel (e.g. hh and hh-modern differ in defaults only).
const unique = [...new Map(programs.map((p) => [p.key, p])).values()];
const bytes = await compileAssemblyScript(renderModule(unique));
const dir = fileURLToPath(new URL('../kernels/wasm/', import.meta.url));
writeFileSync(join(dir, BUILTIN_WASM), bytes);
writeFileSync(join(dir, BUILTIN_MANIFEST), JSON.stringify(unique.map((p) => p.key)) + '\n');
