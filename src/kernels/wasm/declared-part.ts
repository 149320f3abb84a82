/** One part of a StepProgram rendered as a scalar float64 AssemblyScript function. */
import type { Expr } from '../../symbolic/expr.js';
import { renderJs } from '../../symbolic/expr.js';
import type { StepPart, StepProgram } from '../spiking/program.js';

/** Float literals always carry a decimal point, so AssemblyScript types them f64. */
function f64Literal(v: number): string {
  if (!Number.isFinite(v)) throw new RangeError(`cannot render ${v} as a float literal`);
  const s = String(v);
  return /[.eE]/.test(s) ? s : `${s}.0`;
}

/** One part of a program as a function `(A, X, PP, O)` writing its outputs at O. */
export function renderPart(prog: StepProgram, part: StepPart, name: string): string {
  const { states, params } = prog.definition;
  const { exprs, at } = prog.parts[part];
  const sym = (s: string): string => {
    const k = states.indexOf(s);
    if (k >= 0) return `load<f64>(A, ${k * 8})`;
    const q = params.indexOf(s);
    if (q >= 0) return `load<f64>(PP, ${q * 8})`;
    return 'X';
  };
  const body = renderJs(
    exprs as Expr[],
    sym,
    (i, code) => `store<f64>(O, ${code}, ${at[i] * 8});`,
    'R.',
    f64Literal,
  );
  return `@inline function ${name}(A: usize, X: f64, PP: usize, O: usize): void {\n${indent(body)}\n}`;
}

export const indent = (s: string): string =>
  s
    .split('\n')
    .map((l) => `  ${l}`)
    .join('\n');
