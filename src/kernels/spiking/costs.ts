/**
 * Costs of a declared model's generic kernels, counted from its expressions with the conventions
 * of spiking-costs.ts (a FLOP is one add, subtract, multiply, divide, compare, abs or exp; x^k for
 * an integer k ≤ 4 is k − 1 multiplies; the helpers count as the operations of their definitions
 * in src/symbolic/expr.ts), and the way the generated kernels evaluate them: a subexpression used
 * more than once is computed once, and one that reads parameters only is computed once per
 * neuron, outside the time loop.
 */
import type { Expr } from '../../symbolic/expr.js';
import { key } from '../../symbolic/expr.js';
import type { SpikingCostShape } from '../spiking-costs.js';
import { RATE_FLOPS_PER_TRAIN, RATE_FLOPS_PER_TRAIN_STEP } from '../spiking-costs.js';
import type { StepProgram } from './program.js';

/** FLOPs of one call of each helper (its definition's operations). */
const CALL_FLOPS: Record<string, number> = {
  exp: 1,
  expm1: 1,
  log: 1,
  log1p: 1,
  sqrt: 1,
  tanh: 4, // expm1(2x)/(expm1(2x) + 2): add, expm1, add, divide
  sin: 1,
  cos: 1,
  abs: 1,
  sigmoid: 4, // 1/(1 + e^−x): negate, exp, add, divide
  exprel: 4, // |x| < ε test (abs, compare), expm1, divide
  exprel_d: 8,
  min: 1,
  max: 1,
  step: 1,
  detach: 0,
};

function nodeFlops(e: Expr): number {
  switch (e.op) {
    case 'num':
    case 'sym':
      return 0;
    case 'call':
      return CALL_FLOPS[e.fn];
    case 'pow':
      return e.b.op === 'num' && Number.isInteger(e.b.value) && e.b.value >= 2 && e.b.value <= 4
        ? e.b.value - 1
        : 1;
    default:
      return 1;
  }
}

/** FLOPs of evaluating exprs with common subexpressions once, split by what they read. */
export function expressionFlops(
  exprs: readonly Expr[],
  invariant: (name: string) => boolean,
): { perStep: number; invariant: number } {
  const seen = new Set<string>();
  let perStep = 0;
  let inv = 0;
  const visit = (e: Expr): boolean => {
    // Returns whether e reads only invariant names.
    if (e.op === 'num') return true;
    if (e.op === 'sym') return invariant(e.name);
    const k = key(e);
    const children = e.op === 'neg' ? [e.a] : e.op === 'call' ? [...e.args] : [e.a, e.b];
    if (seen.has(k)) return children.every(isInvariant);
    seen.add(k);
    const allInv = children.map(visit).every(Boolean);
    if (allInv) inv += nodeFlops(e);
    else perStep += nodeFlops(e);
    return allInv;
  };
  const isInvariant = (e: Expr): boolean => {
    if (e.op === 'num') return true;
    if (e.op === 'sym') return invariant(e.name);
    const children = e.op === 'neg' ? [e.a] : e.op === 'call' ? [...e.args] : [e.a, e.b];
    return children.every(isInvariant);
  };
  exprs.forEach(visit);
  return { perStep, invariant: inv };
}

/** The forward's FLOPs per neuron-step and per neuron of a program. */
export function programForwardCosts(prog: StepProgram): { perNeuronStep: number; perNeuron: number } {
  const params = new Set(prog.definition.params);
  const isParam = (s: string): boolean => params.has(s);
  // One pass: the generated code shares bindings between the step, the threshold and the reset.
  const f = expressionFlops(
    [...prog.parts.charge.exprs, ...prog.parts.threshold.exprs, ...prog.parts.reset.exprs],
    isParam,
  );
  // Per step besides the expressions: each spike rule's compare, and per reset state the blend
  // s·r + (1 − s)·h (subtract, 2 multiplies, add).
  return { perNeuronStep: f.perStep + prog.K + 4 * prog.resetStates.length, perNeuron: f.invariant };
}

/** Forward FLOPs of one generic kernel call. */
export function programForwardFlops(prog: StepProgram, s: SpikingCostShape): number {
  const BN = s.batch * s.neurons;
  const { perNeuronStep, perNeuron } = programForwardCosts(prog);
  // A unit's K spike trains each make a rate.
  const rate = s.rateOutput ? prog.K * BN * (s.steps * RATE_FLOPS_PER_TRAIN_STEP + RATE_FLOPS_PER_TRAIN) : 0;
  return BN * (s.steps * perNeuronStep + perNeuron) + rate;
}
