/**
 * The step of a whole network population, generated as one JavaScript function from the neuron
 * declaration: a loop over neurons with the model's quasi-linear coefficients inlined (parameters
 * as constants), the integrator's update, the spike rule and the refractory counter. One call per
 * step and population, no call per neuron: the JS reference engine of src/network/.
 *
 * Spike rule: with a reset (as the declaration says), the condition holding after the step, then
 * the reset and (when the model or the population has one) a refractory period holding the reset
 * states. Without a reset: with a refractory period, the condition holding outside it (Brian2's
 * rule, which COBAHH's published statistics use: a neuron held above threshold fires again once
 * the period is over); without one, an upward crossing of the threshold. Spikes are stamped at the
 * end of the step.
 */
import type { NeuronModel } from '../neurons/model.js';
import { resolveParams, spikeThreshold } from '../neurons/model.js';
import { quasiLinearTerms } from '../neurons/derive.js';
import type { Expr } from '../symbolic/expr.js';
import { evaluate, jsFunction, num, renderJs, stripDetach, substitute } from '../symbolic/expr.js';

export type NetworkIntegrator = 'expeuler' | 'euler';
export const NETWORK_INTEGRATORS: readonly NetworkIntegrator[] = ['expeuler', 'euler'];

/**
 * Advances neurons [0, n) of state y (neuron-major, S states each) by dt with external currents
 * inp; writes the indices of the neurons that spiked to fired and returns how many, or −1 − i when
 * neuron i's potential left ±voltageLimit (or became NaN). refractory[i]: steps left.
 */
export type PopulationStep = (
  y: Float64Array,
  n: number,
  inp: Float64Array,
  dt: number,
  refractory: Int32Array,
  refractorySteps: number,
  fired: Int32Array,
) => number;

export interface GeneratedStep {
  step: PopulationStep;
  source: string;
  threshold: number;
  /** Refractory period, ms (0: none). */
  refractoryMs: number;
  /** What the step was generated from (the wasm step renders the same plan). */
  plan: StepPlan;
}

/**
 * What a population step is generated from (the JS step here, the wasm one in wasm-step.ts): the
 * model's quasi-linear terms with the parameters inlined, the spike rule and the refractory period.
 */
export interface StepPlan {
  model: NeuronModel;
  integrator: NetworkIntegrator;
  S: number;
  /** Index of the membrane potential among the states. */
  vk: number;
  /** dy_k/dt = a_k − b_k·y_k, parameters inlined. */
  terms: { a: Expr; b: Expr }[];
  /** New values of the reset states (by state index), parameters inlined. */
  resets: [number, Expr][];
  threshold: number;
  /** Refractory period, ms (0: none). */
  refractoryMs: number;
  voltageLimit: number;
}

export function planStep(
  model: NeuronModel,
  params: Readonly<Record<string, number>>,
  integrator: NetworkIntegrator,
  refractoryMs: number | undefined,
): StepPlan {
  if (model.time !== 'continuous')
    throw new RangeError(
      `model ${model.name} is defined in discrete time; network populations need continuous time`,
    );
  if (!NETWORK_INTEGRATORS.includes(integrator))
    throw new RangeError(
      `unknown network integrator "${integrator}"; expected ${NETWORK_INTEGRATORS.join(' or ')}`,
    );
  const vk = model.states.indexOf(model.voltage);
  if (vk < 0)
    throw new RangeError(`model ${model.name}: network populations need the membrane potential as a state`);
  const values = resolveParams(model, params);
  const consts = new Map<string, Expr>(Object.entries(values).map(([k, v]) => [k, num(v)]));
  const terms = model.rhs.map((f, k) =>
    quasiLinearTerms(substitute(stripDetach(f), consts), model.states[k]),
  );
  const declared = model.refractory ? evaluate(substitute(model.refractory, consts), () => NaN) : 0;
  const refractory = refractoryMs ?? declared;
  if (!(refractory >= 0) || !Number.isFinite(refractory))
    throw new RangeError(`model ${model.name}: the refractory period must be ≥ 0 ms, got ${refractory}`);
  return {
    model,
    integrator,
    S: model.states.length,
    vk,
    terms,
    resets: [...model.reset.entries()].map(([k, e]) => [k, substitute(stripDetach(e), consts)]),
    threshold: spikeThreshold(model, values),
    refractoryMs: refractory,
    voltageLimit: model.voltageLimit,
  };
}

export function generateStep(
  model: NeuronModel,
  params: Readonly<Record<string, number>>,
  integrator: NetworkIntegrator,
  refractoryMs: number | undefined,
): GeneratedStep {
  const plan = planStep(model, params, integrator, refractoryMs);
  const { S, vk, terms, threshold } = plan;
  const refractory = plan.refractoryMs;
  const limit = plan.voltageLimit;
  const held = new Set(model.reset.keys());
  const hasReset = held.size > 0;

  const local = (k: number): string => `s${k}`;
  const slot = (s: string): string => {
    const k = model.states.indexOf(s);
    return k >= 0 ? local(k) : 'input';
  };
  // Coefficients b that are constants (a receptor's 1/τ) get their exponential factor hoisted.
  const hoisted: string[] = [];
  const outputs: Expr[] = [];
  const bCode: string[] = [];
  terms.forEach((t, k) => {
    outputs.push(t.a);
    if (t.b.op === 'num') bCode[k] = String(t.b.value);
    else {
      bCode[k] = `b${k}`;
      outputs.push(t.b);
    }
  });
  let o = 0;
  const names: string[] = [];
  terms.forEach((t, k) => {
    names[o++] = `a${k}`;
    if (t.b.op !== 'num') names[o++] = `b${k}`;
  });
  const coefficients = renderJs(outputs, slot, (i, code) => `const ${names[i]} = ${code};`);

  const update = (k: number): string => {
    const yk = local(k);
    const b = bCode[k];
    if (integrator === 'euler') return `n${k} = ${yk} + dt * (a${k} - ${b} * ${yk});`;
    if (terms[k].b.op === 'num') {
      const bv = terms[k].b.value;
      if (bv * 1 === 0) return `n${k} = ${yk} + dt * a${k};`;
      hoisted.push(`const f${k} = ${bv} * dt > 1e-12 ? -R.expm1(-${bv} * dt) / ${bv} : dt;`);
      return `n${k} = ${yk} + (a${k} - ${bv} * ${yk}) * f${k};`;
    }
    // For tiny b, −expm1(−b·dt)/b → dt: the step degrades gracefully to Euler.
    return `n${k} = ${b} * dt > 1e-12 ? ${yk} + (a${k} - ${b} * ${yk}) * (-R.expm1(-${b} * dt) / ${b}) : ${yk} + dt * (a${k} - ${b} * ${yk});`;
  };
  const updates = model.states.map((_, k) => update(k));
  const heldUpdates = updates.map((u, k) => (held.has(k) ? `n${k} = ${local(k)};` : u));

  const cmp = model.inclusive ? '>=' : '>';
  const resetLines = hasReset
    ? renderJs(
        plan.resets.map(([, e]) => e),
        (s) => {
          const k = model.states.indexOf(s);
          return k >= 0 ? `n${k}` : 'input';
        },
        (i, code) => `const r${i} = ${code};`,
      ) +
      '\n' +
      plan.resets.map(([k], i) => `n${k} = r${i};`).join('\n')
    : '';
  const crossing = `s${vk} ${model.inclusive ? '<' : '<='} ${threshold} && `;
  const spikeRule = hasReset
    ? `if (ref > 0) { ref--; } else if (n${vk} ${cmp} ${threshold}) {\n${resetLines}\nfired[count++] = i; ref = refractorySteps; }`
    : `if (ref > 0) ref--;\nif (${refractory > 0 ? '' : crossing}n${vk} ${cmp} ${threshold} && ref === 0) { fired[count++] = i; ref = refractorySteps; }`;

  const body = `
${hoisted.join('\n')}
let count = 0;
for (let i = 0, off = 0; i < n; i++, off += ${S}) {
  const input = inp[i];
  let ref = refractory[i];
  ${model.states.map((_, k) => `const s${k} = y[off + ${k}];`).join(' ')}
  ${coefficients}
  let ${model.states.map((_, k) => `n${k}`).join(', ')};
  ${hasReset ? `if (ref > 0) {\n${heldUpdates.join('\n')}\n} else {\n${updates.join('\n')}\n}` : updates.join('\n')}
  ${spikeRule}
  refractory[i] = ref;
  ${model.states.map((_, k) => `y[off + ${k}] = n${k};`).join(' ')}
  if (!(Math.abs(n${vk}) <= ${limit})) return -1 - i;
}
return count;`;
  // hoisted lines are generated while rendering the updates: render the body after them.
  const step = jsFunction<PopulationStep>('y, n, inp, dt, refractory, refractorySteps, fired', body);
  return { step, source: body, threshold, refractoryMs: refractory, plan };
}
