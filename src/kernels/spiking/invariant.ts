/**
 * Batch-invariant states of a step: states whose whole trajectory is the same for every sample
 * of a batch, because their update reads only parameters (per neuron or shared; dt is one) and
 * other batch-invariant states — never the input, a batch-varying state, or a spike. The kernels
 * compute them once per neuron and step for the whole batch, save them once per neuron, and sum
 * their adjoints over the batch in backward (the learning HH's gates, with constant rates).
 *
 * Derived from the expression trees as a greatest fixed point: start from every state that reads
 * no input, is not the voltage (its spikes differ per sample) and is not reset (a reset depends
 * on the sample's spike); drop any state whose update reads a dropped state, until none changes.
 */
import { symbols } from '../../symbolic/expr.js';
import type { StepDefinition } from './program.js';

/** Indices of the batch-invariant states of a step, ascending. */
export function batchInvariantStates(def: StepDefinition): number[] {
  const { states, input } = def;
  const reads = def.charge.map((e) => symbols(e));
  const inv = new Set<number>();
  states.forEach((_, k) => {
    if (k !== def.voltage && !def.reset.has(k) && !reads[k].has(input)) inv.add(k);
  });
  for (let changed = true; changed;) {
    changed = false;
    for (const k of [...inv])
      if (states.some((s, m) => !inv.has(m) && reads[k].has(s))) {
        inv.delete(k);
        changed = true;
      }
  }
  return [...inv].sort((a, b) => a - b);
}
