/**
 * The affine form of a hoisted program's per-sample step, for the SIMD kernels: when every
 * varying state's charge is affine in the varying states and the input with coefficients that
 * read only parameters and batch-invariant states (the learning HH's membrane: its conductances
 * come from the invariant gates), then
 *   h_k = Σ_m A_km·y_m + B_k·x + c_k          (m, k varying; A, B, c per neuron and step)
 * and BPTT's λ_m = Σ_k dh_k·A_km, dL/dx = Σ_k dh_k·B_k. The coefficients are tabulated once per
 * neuron and step for the whole batch, so a sample's step is a few multiply-adds (what the
 * hand-written learning HH kernel does with its A and c tables). Derived: A and B are the
 * symbolic partials, c the charge with the varying states and the input at 0; a charge whose
 * partials read a varying state or the input is not affine and keeps the general path.
 */
import type { Expr } from '../../symbolic/expr.js';
import { num, simplify, substitute, symbols } from '../../symbolic/expr.js';
import type { StepProgram } from '../spiking/program.js';

export interface AffineForm {
  /** Coefficient expressions over parameters and invariant states (read at y[t−1]). */
  readonly cols: readonly Expr[];
  /** Per varying state k: the columns of A_km (m varying, nonzero only), B_k (or −1) and c_k. */
  readonly rows: readonly { k: number; y: readonly (readonly [number, number])[]; x: number; c: number }[];
}

function hasDetach(e: Expr): boolean {
  switch (e.op) {
    case 'num':
    case 'sym':
      return false;
    case 'neg':
      return hasDetach(e.a);
    case 'call':
      return e.fn === 'detach' || e.args.some(hasDetach);
    default:
      return hasDetach(e.a) || hasDetach(e.b);
  }
}

const forms = new WeakMap<StepProgram, AffineForm | null>();

/** The affine form of a program's varying charges, or null (none, or no invariant states). */
export function affineForm(prog: StepProgram): AffineForm | null {
  if (!forms.has(prog)) forms.set(prog, derive(prog));
  return forms.get(prog) as AffineForm | null;
}

function derive(prog: StepProgram): AffineForm | null {
  const { invariant, varying, S } = prog;
  if (invariant.length === 0) return null;
  const { states, params, input, charge } = prog.definition;
  // detach() drops a term from the partials but not from the value: A·y + c would not be h.
  if (varying.some((k) => hasDetach(charge[k]))) return null;
  const inv = new Set(invariant.map((k) => states[k]));
  const invariantExpr = (e: Expr): boolean => [...symbols(e)].every((n) => params.includes(n) || inv.has(n));
  const { exprs, at } = prog.parts.chargePartials;
  const slot = new Map(at.map((a, i) => [a, exprs[i]]));
  const zero = new Map<string, Expr>([...varying.map((m) => [states[m], num(0)] as const), [input, num(0)]]);
  const cols: Expr[] = [];
  const col = (e: Expr): number => cols.push(e) - 1;
  const rows: AffineForm['rows'][number][] = [];
  for (const k of varying) {
    const y: [number, number][] = [];
    for (const m of varying) {
      const e = slot.get(k * S + m);
      if (!e) continue;
      if (!invariantExpr(e)) return null;
      y.push([m, col(e)]);
    }
    const ex = slot.get(S * S + k);
    if (ex && !invariantExpr(ex)) return null;
    const c = simplify(substitute(charge[k], zero));
    if (!invariantExpr(c)) return null;
    rows.push({ k, y, x: ex ? col(ex) : -1, c: col(c) });
  }
  return { cols, rows };
}

/** Columns of a program's coefficient table [T][cols][N] (0: no affine form). */
export function affineColumns(prog: StepProgram): number {
  return affineForm(prog)?.cols.length ?? 0;
}
