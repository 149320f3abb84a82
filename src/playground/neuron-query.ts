/**
 * The neuron lab's state as a URL query (`?page=neuron&model=hh&stimulus=constant&amplitude=10&
 * duration=100&dt=0.01&integrator=rk4`): parsing with a message per value out of range (that
 * value falls back to its default, so the page stays usable), writing, and the simulation request
 * it stands for. No DOM: the tests run it in Node.
 */
import { declaredModel } from '../neurons/catalog.js';
import { DeclarationError, describeParams, resolveParams } from '../neurons/model.js';
import { INTEGRATORS } from '../neurons/types.js';
import type { IntegratorName } from '../neurons/types.js';
import { defaultDt, modelNames } from '../sim/registry.js';
import { STIMULUS_OPTIONS_OF } from '../sim/simulation-job.js';
import type { SimulationRequest, StimulusOptionKey } from '../sim/simulation-job.js';
import { STIMULUS_KINDS } from '../sim/stimulus.js';

export interface NeuronLabState {
  model: string;
  stimulus: string;
  /** Stimulus options set in the URL (the others take `hhnet simulate`'s defaults). */
  options: Partial<Record<StimulusOptionKey, number>>;
  /** ms. */
  duration: number;
  /** ms. */
  dt: number;
  integrator: IntegratorName;
  neurons: number;
  /** Also run the other model of the HH ≡ tv-LIF2HH pair and overlay its V. */
  overlay: boolean;
  /** Model parameters set in the URL (`param.NAME=VALUE`; the others take their declared defaults). */
  params: Record<string, number>;
  /** An F–I curve to run after the simulation (`fi=FROM:TO:POINTS`), or null. */
  fi: FiSweep | null;
}

/** Constant currents from `from` to `to` in `points` even steps, each held for the run's duration. */
export interface FiSweep {
  from: number;
  to: number;
  points: number;
}

/** What a page can run in reasonable time and memory. */
export const LAB_LIMITS = {
  maxDuration: 10_000,
  maxDt: 1,
  maxNeurons: 64,
  maxSteps: 2_000_000,
  /** Largest magnitude of a stimulus option. */
  maxOption: 1e6,
  /** Most currents of an F–I curve (each one neuron of one run). */
  maxFiPoints: 200,
} as const;

/** URL key prefix of a model parameter (`param.a=0.1` is `--param a=0.1`). */
export const PARAM_PREFIX = 'param.';

/** The pair whose members can overlay each other. */
export const OVERLAY_PARTNER: Readonly<Record<string, string>> = { hh: 'tvlif2hh', tvlif2hh: 'hh' };

/** What each stimulus option must be (as parseStimulusOptions checks it), for URL messages. */
const OPTION_RULES: Readonly<Record<StimulusOptionKey, { text: string; ok: (x: number) => boolean }>> = {
  amplitude: { text: 'a finite number', ok: () => true },
  offset: { text: 'a finite number', ok: () => true },
  phase: { text: 'a finite number', ok: () => true },
  onset: { text: 'a finite number', ok: () => true },
  mean: { text: 'a finite number', ok: () => true },
  weight: { text: 'a finite number', ok: () => true },
  period: { text: 'a positive number', ok: (x) => x > 0 },
  tau: { text: 'a positive number', ok: (x) => x > 0 },
  tauSyn: { text: 'a positive number', ok: (x) => x > 0 },
  sigma: { text: 'a number ≥ 0', ok: (x) => x >= 0 },
  rate: { text: 'a number ≥ 0', ok: (x) => x >= 0 },
  duty: { text: 'a number from 0 to 1', ok: (x) => x >= 0 && x <= 1 },
  inputs: { text: 'an integer from 1 to 10000', ok: (x) => Number.isInteger(x) && x >= 1 && x <= 10_000 },
  seed: { text: 'an integer', ok: (x) => Number.isSafeInteger(x) },
};

/** URL name of an option: kebab case, as the command line flag (tau-syn). */
export function optionParam(key: StimulusOptionKey): string {
  return key.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase());
}

export function defaultLabState(model = 'hh'): NeuronLabState {
  return {
    model,
    stimulus: 'constant',
    options: {},
    duration: 100,
    dt: defaultDt(model),
    integrator: 'expeuler',
    neurons: 1,
    overlay: false,
    params: {},
    fi: null,
  };
}

/** The currents of an F–I sweep. */
export function fiCurrents(sweep: FiSweep): number[] {
  if (sweep.points === 1) return [sweep.from];
  const step = (sweep.to - sweep.from) / (sweep.points - 1);
  return Array.from({ length: sweep.points }, (_, i) => sweep.from + i * step);
}

/** A number the whole string spells (no trailing junk, unlike parseFloat). */
function numberOf(text: string): number {
  return text.trim() === '' ? NaN : Number(text);
}

/** Parses the query; every value that is unknown or out of range gets one message. */
export function parseNeuronQuery(query: URLSearchParams): { state: NeuronLabState; problems: string[] } {
  const problems: string[] = [];
  const bad = (name: string, value: string, expected: string): void => {
    problems.push(`URL value ${name}=${value} is not ${expected}; using the default instead`);
  };
  const models = modelNames();
  let model = query.get('model') ?? 'hh';
  if (!models.includes(model)) {
    bad('model', model, `a model (${models.join(', ')})`);
    model = 'hh';
  }
  const state = defaultLabState(model);
  const stimulus = query.get('stimulus');
  if (stimulus !== null) {
    if ((STIMULUS_KINDS as readonly string[]).includes(stimulus)) state.stimulus = stimulus;
    else bad('stimulus', stimulus, `a stimulus (${STIMULUS_KINDS.join(', ')})`);
  }
  const integrator = query.get('integrator');
  if (integrator !== null) {
    if ((INTEGRATORS as readonly string[]).includes(integrator))
      state.integrator = integrator as IntegratorName;
    else bad('integrator', integrator, `an integrator (${INTEGRATORS.join(', ')})`);
  }
  const number = (name: string, expected: string, ok: (x: number) => boolean): number | undefined => {
    const raw = query.get(name);
    if (raw === null) return undefined;
    const x = numberOf(raw);
    if (Number.isFinite(x) && ok(x)) return x;
    bad(name, raw, expected);
    return undefined;
  };
  const decl = declaredModel(model);
  const discreteStep = decl?.time === 'discrete' ? decl.timeBase : undefined;
  state.duration =
    number('duration', `a duration in ms above 0 and at most ${LAB_LIMITS.maxDuration}`, (x) => {
      return x > 0 && x <= LAB_LIMITS.maxDuration;
    }) ?? state.duration;
  state.dt =
    (discreteStep !== undefined
      ? number('dt', `${discreteStep} ms (${model} is defined in discrete time with that step)`, (x) => {
          return Math.abs(x - discreteStep) <= 1e-9 * discreteStep;
        })
      : number(
          'dt',
          `a step in ms above 0 and at most ${LAB_LIMITS.maxDt}`,
          (x) => x > 0 && x <= LAB_LIMITS.maxDt,
        )) ?? state.dt;
  state.neurons =
    number('neurons', `an integer from 1 to ${LAB_LIMITS.maxNeurons}`, (x) => {
      return Number.isInteger(x) && x >= 1 && x <= LAB_LIMITS.maxNeurons;
    }) ?? state.neurons;
  for (const key of STIMULUS_OPTIONS_OF[state.stimulus]) {
    const rule = OPTION_RULES[key];
    const x = number(optionParam(key), `${rule.text} of magnitude at most ${LAB_LIMITS.maxOption}`, (v) => {
      return rule.ok(v) && Math.abs(v) <= LAB_LIMITS.maxOption;
    });
    if (x !== undefined) state.options[key] = x;
  }
  parseParams(query, model, state, problems);
  const fi = query.get('fi');
  if (fi !== null) {
    state.fi = parseFiSweep(fi);
    if (!state.fi)
      bad(
        'fi',
        fi,
        `FROM:TO:POINTS (finite currents, FROM < TO, an integer from 2 to ${LAB_LIMITS.maxFiPoints} points)`,
      );
  }
  const overlay = query.get('overlay');
  if (overlay !== null) {
    if (overlay === '1' || overlay === '0') state.overlay = overlay === '1';
    else bad('overlay', overlay, '1 or 0');
  }
  const steps = Math.round(state.duration / state.dt);
  if (steps > LAB_LIMITS.maxSteps) {
    problems.push(
      `duration ${state.duration} ms at dt ${state.dt} ms is ${steps} steps, more than a page runs ` +
        `(${LAB_LIMITS.maxSteps}); using the default duration and dt instead`,
    );
    state.duration = 100;
    state.dt = defaultDt(model);
  }
  return { state, problems };
}

/** `param.NAME=VALUE` entries: each checked against the model's declaration (name, number, range). */
function parseParams(query: URLSearchParams, model: string, state: NeuronLabState, problems: string[]): void {
  const decl = declaredModel(model);
  for (const [key, raw] of query) {
    if (!key.startsWith(PARAM_PREFIX)) continue;
    const name = key.slice(PARAM_PREFIX.length);
    const fallback = '; using the default instead';
    if (!decl || !decl.params.includes(name)) {
      const listing = decl ? describeParams(decl) : '(none)';
      problems.push(`URL ${key}: ${model} has no parameter "${name}" (its parameters: ${listing})`);
      continue;
    }
    const x = numberOf(raw);
    try {
      resolveParams(decl, { [name]: x });
      state.params[name] = x;
    } catch (err) {
      if (!(err instanceof DeclarationError)) throw err;
      problems.push(`URL ${key}=${raw}: ${err.message}${fallback}`);
    }
  }
}

function parseFiSweep(text: string): FiSweep | null {
  const parts = text.split(':').map(numberOf);
  if (parts.length !== 3 || !parts.every(Number.isFinite)) return null;
  const [from, to, points] = parts;
  if (!(from < to) || !Number.isInteger(points) || points < 2 || points > LAB_LIMITS.maxFiPoints) return null;
  if (Math.max(Math.abs(from), Math.abs(to)) > LAB_LIMITS.maxOption) return null;
  return { from, to, points };
}

/** The query that stands for a state (page first; only the options the stimulus reads). */
export function neuronQuery(state: NeuronLabState): URLSearchParams {
  const q = new URLSearchParams({ page: 'neuron', model: state.model, stimulus: state.stimulus });
  for (const key of STIMULUS_OPTIONS_OF[state.stimulus]) {
    const x = state.options[key];
    if (x !== undefined) q.set(optionParam(key), String(x));
  }
  q.set('duration', String(state.duration));
  q.set('dt', String(state.dt));
  q.set('integrator', state.integrator);
  if (state.neurons !== 1) q.set('neurons', String(state.neurons));
  for (const [name, x] of Object.entries(state.params)) q.set(PARAM_PREFIX + name, String(x));
  if (state.overlay) q.set('overlay', '1');
  if (state.fi) q.set('fi', `${state.fi.from}:${state.fi.to}:${state.fi.points}`);
  return q;
}

/**
 * The `hhnet simulate` run a state stands for (same defaults as the command line); `model` another
 * continuous model run alongside (the overlay).
 */
export function labRequest(state: NeuronLabState, model = state.model): SimulationRequest {
  const options: SimulationRequest['stimulusOptions'] = {};
  for (const key of STIMULUS_OPTIONS_OF[state.stimulus])
    if (state.options[key] !== undefined) options[key] = state.options[key];
  return {
    model,
    stimulus: state.stimulus,
    stimulusOptions: options,
    neurons: state.neurons,
    duration: state.duration,
    dt: state.dt,
    integrator: state.integrator,
    params: { ...state.params },
  };
}

/** The `hhnet simulate` command line of a state, shown on the page. */
export function labCommand(state: NeuronLabState): string {
  const parts = ['hhnet simulate', `--model ${state.model}`, `--stimulus ${state.stimulus}`];
  for (const key of STIMULUS_OPTIONS_OF[state.stimulus]) {
    const x = state.options[key];
    if (x !== undefined) parts.push(`--${optionParam(key)} ${x}`);
  }
  parts.push(`--duration ${state.duration}`, `--dt ${state.dt}`, `--integrator ${state.integrator}`);
  if (state.neurons !== 1) parts.push(`--neurons ${state.neurons}`);
  const params = Object.entries(state.params);
  if (params.length) parts.push(`--param ${params.map(([k, x]) => `${k}=${x}`).join(',')}`);
  return parts.join(' ');
}

/**
 * A slider's range for a parameter: its declared bounds where it has them, else from zero to three
 * times its default (on the default's side of zero), so the default sits inside.
 */
export function paramRange(model: string, name: string): { lo: number; hi: number; step: number } {
  const decl = declaredModel(model);
  if (!decl) throw new Error(`no declared model ${model}`);
  const d = decl.defaults[name];
  const { min, max } = decl.declaration.params[name];
  let lo = min ?? (d > 0 ? 0 : d < 0 ? 3 * d : -1);
  let hi = max ?? (d > 0 ? 3 * d : d < 0 ? 0 : 1);
  if (!Number.isFinite(lo)) lo = Math.min(d, hi) - Math.abs(d || 1) * 3;
  if (!Number.isFinite(hi)) hi = Math.max(d, lo) + Math.abs(d || 1) * 3;
  return { lo, hi, step: (hi - lo) / 200 };
}
