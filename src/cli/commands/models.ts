import type { Command } from 'commander';
import { declaredModel, declaredUnit, declaredUnits } from '../../neurons/catalog.js';
import { describeParams } from '../../neurons/model.js';
import type { InitFrom, NeuronModel } from '../../neurons/model.js';
import { modelNames } from '../../sim/registry.js';
import { notTrainable } from '../../neurons/derive.js';
import { UserError } from '../output.js';

export interface ModelInfo {
  name: string;
  description: string;
  reference?: string;
  time: 'continuous' | 'discrete';
  /** Step of a discrete model, ms. */
  timeBase?: number;
  /** A discrete model whose step reads dt: it runs at any dt. */
  anyDt?: boolean;
  input: string;
  /** Unit of the input current ('' when dimensionless). */
  inputUnit: string;
  /** A constant input at which the model fires regularly (null: not declared). */
  drive: number | null;
  voltage: string;
  states: { name: string; unit: string | null; init: number | string; doc: string | null }[];
  params: {
    name: string;
    value: number;
    unit: string | null;
    doc: string | null;
    learnable: boolean;
    /** Bounds the model admits (null: none). */
    min: number | null;
    max: number | null;
  }[];
  let: Record<string, string>;
  /** dX/dt (continuous) or X[t] (discrete) per state, as declared. */
  equations: Record<string, string>;
  spike: string;
  reset: Record<string, string> | null;
  refractory: string | null;
  startAtRest: boolean;
  /** null when a trainable layer can run the model, else why not (simulation only). */
  notTrainable: string | null;
  /** A unit: several inputs or spike rules, trainable layers only (not simulated by name). */
  unit: boolean;
  /** Every input current, in the order of the input's blocks (one unless a unit). */
  inputs: string[];
  /** Every spike rule, the one in spike/reset first (more only for a unit), in output-block order. */
  spikes: { spike: string; reset: Record<string, string> | null }[];
}

/** The names `hhnet models` knows: the simulation models, then the units. */
export function modelAndUnitNames(): string[] {
  return [...modelNames(), ...declaredUnits().map((u) => u.name)];
}

const declaredAny = (name: string): NeuronModel | undefined => declaredModel(name) ?? declaredUnit(name);

/** Everything `hhnet models` shows about one model (a name modelNames() lists). */
export function modelInfo(name: string): ModelInfo {
  const decl = declaredAny(name);
  if (!decl)
    throw new UserError(`unknown model "${name}"; expected one of ${modelAndUnitNames().join(', ')}`);
  const d = decl.declaration;
  const unit = declaredUnit(name) !== undefined;
  return {
    name,
    description: d.description,
    ...(d.reference ? { reference: d.reference } : {}),
    time: decl.time,
    ...(decl.time === 'discrete' ? { timeBase: decl.timeBase, anyDt: decl.readsDt } : {}),
    input: decl.input,
    inputUnit: decl.inputUnit,
    drive: decl.drive,
    voltage: decl.voltage,
    states: decl.states.map((s, k) => ({
      name: s,
      unit: d.states[s].unit ?? null,
      init: d.states[s].init ?? initFromText(decl, k),
      doc: d.states[s].doc ?? null,
    })),
    params: decl.params.map((p) => ({
      name: p,
      value: decl.defaults[p],
      unit: d.params[p].unit ?? null,
      doc: d.params[p].doc ?? null,
      learnable: d.params[p].learnable === true,
      min: d.params[p].min ?? null,
      max: d.params[p].max ?? null,
    })),
    let: { ...(d.let ?? {}) },
    equations: { ...((d.dynamics ?? d.step) as Record<string, string>) },
    spike: d.spike,
    reset: d.reset ? { ...d.reset } : null,
    refractory: d.refractory ?? null,
    startAtRest: d.startAtRest === true,
    notTrainable: notTrainable(decl),
    unit,
    inputs: [...decl.inputs],
    spikes: [
      { spike: d.spike, reset: d.reset ? { ...d.reset } : null },
      ...(d.moreSpikes ?? []).map((r) => ({ spike: r.spike, reset: r.reset ? { ...r.reset } : null })),
    ],
  };
}

/** A state's start set by initFrom, e.g. "hh.v". */
function initFromText(decl: NeuronModel, k: number): string {
  const from = decl.declaration.initFrom as InitFrom;
  return `${from.model.name}.${from.model.states[decl.initFromState[k]]}`;
}

/** " (in [0, 1])", " (≥ 0)", " (≤ 5)" or "" for a parameter's bounds. */
function boundsText(min: number | null, max: number | null): string {
  if (min !== null && max !== null) return ` (in [${min}, ${max}])`;
  if (min !== null) return ` (≥ ${min})`;
  return max !== null ? ` (≤ ${max})` : '';
}

const LABEL = 12;
const line = (label: string, text: string): string => `  ${label.padEnd(LABEL)}${text}`;

/** The text block of one model; `detail` adds the equations, initial values and parameter docs. */
export function formatModel(info: ModelInfo, detail = false): string {
  const out = [`${info.name} — ${info.description}`];
  const decl = declaredAny(info.name) as NeuronModel;
  const time =
    decl.time === 'continuous' || info.unit
      ? decl.time // a unit steps with the layer that runs it
      : decl.readsDt
        ? `discrete, one step = ${decl.timeBase} ms by default (its step reads dt: any --dt runs)`
        : `discrete, one step = ${decl.timeBase} ms (use that --dt)`;
  const use = info.unit
    ? `; a unit: trainable layers only (neuronSpikes; input ${info.inputs.length} blocks, output ${info.spikes.length} spike trains)`
    : info.notTrainable
      ? '; simulation only (no trainable layer)'
      : '';
  out.push(line('time', `${time}${use}`));
  const states = info.states.map((s) => (s.unit ? `${s.name} (${s.unit})` : s.name)).join(', ');
  const unit = decl.inputUnit ? ` ${decl.inputUnit}` : '';
  const drive = decl.drive !== null ? `, fires regularly at ${decl.drive}${unit}` : '';
  const inputs = info.unit ? `inputs ${info.inputs.join(', ')}` : `input ${decl.input}`;
  out.push(line('states', `${states}; ${inputs}${unit ? ` (${unit.trim()})` : ''}${drive}`));
  if (detail) {
    const params = info.params;
    if (params.length === 0) out.push(line('parameters', '(none)'));
    params.forEach((p, i) =>
      out.push(
        line(
          i === 0 ? 'parameters' : '',
          `${p.name} = ${p.value}${p.unit ? ` ${p.unit}` : ''}` +
            (p.doc ? ` — ${p.doc}` : '') +
            boundsText(p.min, p.max) +
            (p.learnable ? ' (learnable)' : ''),
        ),
      ),
    );
  } else out.push(line('parameters', describeParams(decl)));
  if (detail) {
    const lets = Object.entries(info.let);
    const eqs = Object.entries(info.equations);
    eqs.forEach(([s, e], i) =>
      out.push(
        line(i === 0 ? 'equations' : '', decl.time === 'continuous' ? `d${s}/dt = ${e}` : `${s} ← ${e}`),
      ),
    );
    lets.forEach(([n, e], i) => out.push(line(i === 0 ? 'where' : '', `${n} = ${e}`)));
    const init = info.states.map((s) => `${s.name} = ${s.init}`).join(', ');
    const from = decl.declaration.initFrom?.model.name;
    const note = from ? `; ${from}.x: the initial state of ${from} with these parameters` : '';
    out.push(
      line('initial', (info.startAtRest ? `the resting state (Newton's method from ${init})` : init) + note),
    );
  }
  if (info.unit) {
    // One line per spike rule with its own reset, in the order of the output's blocks.
    info.spikes.forEach((r, i) => {
      const reset = Object.entries(r.reset ?? {})
        .map(([s, e]) => `${s} ← ${e}`)
        .join(', ');
      out.push(line(i === 0 ? 'spikes' : '', `${r.spike}${reset ? `, then ${reset}` : ' (no reset)'}`));
    });
  } else {
    out.push(line('spike', `${info.spike}${decl.reset.size > 0 ? '' : ' (upward crossing)'}`));
    const reset = Object.entries(info.reset ?? {})
      .map(([s, e]) => `${s} ← ${e}`)
      .join(', ');
    out.push(
      line(
        'reset',
        reset === '' ? 'none' : reset + (info.refractory ? `, held for ${info.refractory} ms` : ''),
      ),
    );
  }
  if (info.reference) out.push(line('reference', info.reference));
  return out.join('\n');
}

export function registerModels(program: Command): void {
  program
    .command('models')
    .argument('[name]', 'show one model in full (equations, initial values, parameter notes)')
    .description(
      'list the neuron models: description, states, parameters with defaults and units, spike and reset',
    )
    .option('--json', 'print JSON instead of text')
    .addHelpText(
      'after',
      '\nParameters of declared models can be set with `hhnet simulate --model NAME --param NAME=VALUE,…`\n' +
        '(and `hhnet fi-curve`). Examples:\n  hhnet models\n  hhnet models izhikevich\n  hhnet models --json',
    )
    .action((name: string | undefined, flags: { json?: boolean }) => {
      if (name !== undefined) {
        const info = modelInfo(name);
        process.stdout.write(
          flags.json ? `${JSON.stringify(info, null, 2)}\n` : `${formatModel(info, true)}\n`,
        );
        return;
      }
      const models = modelNames().map(modelInfo);
      const units = declaredUnits().map((u) => modelInfo(u.name));
      if (flags.json) {
        process.stdout.write(`${JSON.stringify({ models, units }, null, 2)}\n`);
        return;
      }
      const text = models.map((i) => formatModel(i)).join('\n\n');
      const unitText = units.map((i) => formatModel(i)).join('\n\n');
      process.stdout.write(
        `${text}\n${units.length ? `\nUnits (several inputs or spike rules; trainable layers only):\n\n${unitText}\n` : ''}`,
      );
    });
}
