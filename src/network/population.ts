/**
 * The neuron groups of a network: populations of a declared model (with synaptic receptors,
 * drawn initial states and constant external currents) and Poisson spike sources; and views of a
 * contiguous range of either (Brian2's subgroups), which projections and monitors take.
 */
import { declaredModel } from '../neurons/catalog.js';
import type { NeuronModel } from '../neurons/model.js';
import { expandLets, initialState, resolveParams } from '../neurons/model.js';
import { jsFunction, num, parseExpr, renderJs } from '../symbolic/expr.js';
import type { Rng } from '../util/rng.js';
import type { GeneratedStep, NetworkIntegrator } from './kernel.js';
import { generateStep } from './kernel.js';
import type { AugmentedModel, ReceptorSpec } from './receptors.js';
import { withReceptors } from './receptors.js';
import type { ValueSpec } from './values.js';
import { checkValueSpec, draw } from './values.js';
import type { NetworkBackend, RateTableOptions, WasmStepProgram } from './wasm-step.js';
import {
  WasmPopulationKernel,
  compileWasmStepSync,
  prepareWasmStep,
  renderWasmStep,
  wasmStepUnsupported,
} from './wasm-step.js';
import type { WasmModule } from '../kernels/wasm/wasm-api.js';

export interface PopulationSpec {
  /** A declared model, or the name of one (`hhnet models`). */
  model: NeuronModel | string;
  n: number;
  /** Parameter overrides of the model (and of the receptors: tau_<r>, E_<r>). */
  params?: Record<string, number>;
  receptors?: Record<string, ReceptorSpec>;
  /**
   * Initial values of some states, drawn per neuron. The other states start at their declared
   * initial values computed from these (e.g. HH gates at their steady state at the drawn v).
   */
  init?: Record<string, ValueSpec>;
  /** Refractory period in ms (default: the model's, or none). */
  refractory?: number;
  /** Constant external current per neuron, in the model's input unit (default 0). */
  current?: ValueSpec;
}

/** How a population steps its neurons (NetworkOptions.backend, .threads). */
export interface PopulationBackendOptions {
  backend?: NetworkBackend;
  threads?: number;
  /** Rate tables of the wasm step (null: exact expressions). */
  rateTable?: RateTableOptions | null;
}

/** Where state k of neuron i is while the network runs: data[offset + i·stride]. */
export interface StateLayout {
  data: Float64Array | Float32Array;
  offset: number;
  stride: number;
}

/** A contiguous range [start, start + n) of a population or Poisson group. */
export interface GroupView {
  readonly group: NeuronPopulation | PoissonGroup | SpikeGenerator;
  readonly start: number;
  readonly n: number;
  readonly label: string;
}

abstract class Group {
  /** Indices of the neurons that spiked in the last step, and how many. */
  readonly fired: Int32Array;
  firedCount = 0;
  constructor(
    readonly name: string,
    readonly n: number,
  ) {
    this.fired = new Int32Array(n);
  }

  /** Neurons [start, end) (negative counts from the end, as Array.slice), for projections and monitors. */
  slice(start: number, end = this.n): GroupView {
    const s = start < 0 ? this.n + start : start;
    const e = end < 0 ? this.n + end : end;
    if (!Number.isInteger(s) || !Number.isInteger(e) || s < 0 || e > this.n || s >= e)
      throw new RangeError(`${this.name}.slice(${start}, ${end}): expected 0 ≤ start < end ≤ ${this.n}`);
    return {
      group: this as unknown as NeuronPopulation | PoissonGroup | SpikeGenerator,
      start: s,
      n: e - s,
      label: `${this.name}[${s}:${e}]`,
    };
  }

  /** All neurons. */
  get all(): GroupView {
    return {
      group: this as unknown as NeuronPopulation | PoissonGroup | SpikeGenerator,
      start: 0,
      n: this.n,
      label: this.name,
    };
  }
}

/** Models whose fallback to the JS step was already noted (once per process and model). */
const noted = new Set<string>();

export class NeuronPopulation extends Group {
  readonly kind = 'neurons';
  readonly model: NeuronModel;
  readonly augmented: AugmentedModel;
  readonly params: Readonly<Record<string, number>>;
  readonly S: number;
  /** State, neuron-major: neuron i's state k at y[i·S + k]. */
  readonly y: Float64Array;
  /** External current per neuron. */
  readonly current: Float64Array;
  readonly refractoryLeft: Int32Array;
  readonly kernel: GeneratedStep;
  /** The step in use: 'wasm' when asked for and the model has one, else 'js'. */
  readonly backend: NetworkBackend;
  /** Why the population runs the JS step although wasm was asked for (null otherwise). */
  readonly backendNote: string | null = null;
  private readonly y0: Float64Array;
  private readonly threads: number;
  private readonly wasmProgram: WasmStepProgram | null = null;
  private wasmModule: WasmModule | null = null;
  private wasm: WasmPopulationKernel | null = null;
  /** Whether the wasm kernel holds the state (inside a network run). */
  private resident = false;
  private layouts: StateLayout[] = [];

  constructor(
    name: string,
    spec: PopulationSpec,
    integrator: NetworkIntegrator,
    rng: Rng,
    opts: PopulationBackendOptions = {},
  ) {
    const where = `population "${name}"`;
    if (!Number.isInteger(spec?.n) || spec.n < 1)
      throw new RangeError(`${where}: n must be a positive integer, got ${spec?.n}`);
    super(name, spec.n);
    const base = typeof spec.model === 'string' ? declaredModel(spec.model) : spec.model;
    if (!base)
      throw new RangeError(
        `${where}: unknown model "${String(spec.model)}" (see hhnet models for the declared ones)`,
      );
    this.augmented = withReceptors(base, spec.receptors ?? {});
    this.model = this.augmented.model;
    this.params = resolveParams(this.model, spec.params ?? {});
    if (spec.refractory !== undefined && !(spec.refractory >= 0 && Number.isFinite(spec.refractory)))
      throw new RangeError(`${where}: refractory must be ≥ 0 ms, got ${spec.refractory}`);
    this.kernel = generateStep(this.model, this.params, integrator, spec.refractory);
    this.threads = opts.threads ?? 1;
    this.backend = 'js';
    if (opts.backend === 'wasm') {
      const why = wasmStepUnsupported(this.kernel.plan);
      if (why) {
        this.backendNote = `${where} (${this.model.name}): ${why}; it runs the JS step`;
        if (!noted.has(this.model.name)) {
          noted.add(this.model.name);
          process.emitWarning(this.backendNote, { code: 'HHNET_NETWORK_JS_STEP' });
        }
      } else {
        this.wasmProgram = renderWasmStep(this.kernel.plan, { rateTable: opts.rateTable ?? null });
        this.backend = 'wasm';
      }
    }
    this.S = this.model.states.length;
    this.y = new Float64Array(this.n * this.S);
    this.placeState();
    this.current = new Float64Array(this.n);
    this.refractoryLeft = new Int32Array(this.n);
    const init = spec.init ?? {};
    for (const [s, v] of Object.entries(init)) {
      if (!this.model.states.includes(s))
        throw new RangeError(
          `${where}: init.${s}: ${this.model.name} has no state "${s}" (states: ${this.model.states.join(', ')})`,
        );
      checkValueSpec(v, `${where}: init.${s}`);
    }
    if (spec.current !== undefined) checkValueSpec(spec.current, `${where}: current`);
    this.fillInitial(init, rng);
    this.y0 = this.y.slice();
    if (spec.current !== undefined)
      for (let i = 0; i < this.n; i++) this.current[i] = draw(spec.current, rng);
  }

  /** Index of a state (a receptor's name is a state too). */
  stateIndex(name: string): number {
    const k = this.model.states.indexOf(name);
    if (k < 0)
      throw new RangeError(
        `population "${this.name}" has no state "${name}" (states: ${this.model.states.join(', ')})`,
      );
    return k;
  }

  /**
   * Compiles the wasm step now, asynchronously (a run compiles it otherwise, blocking), and
   * starts its worker threads, resolving once they are up.
   */
  async prepare(): Promise<void> {
    if (!this.wasmProgram) return;
    this.wasmModule ??= await prepareWasmStep(this.wasmProgram);
    await this.wasmKernel().whenReady();
  }

  /** The wasm kernel (made on first use), or null for the JS step. */
  get wasmStep(): WasmPopulationKernel | null {
    return this.wasm;
  }

  private wasmKernel(): WasmPopulationKernel {
    if (!this.wasm) {
      const program = this.wasmProgram as WasmStepProgram;
      this.wasmModule ??= compileWasmStepSync(program);
      this.wasm = new WasmPopulationKernel(program, this.wasmModule, this.n, { threads: this.threads });
    }
    return this.wasm;
  }

  /**
   * A network run starts (Network.run): the wasm step, if any, takes the state, the currents and
   * the refractory counters; until endRun, read and add to states through stateLayout/readState.
   */
  beginRun(): void {
    if (!this.wasmProgram) return;
    this.wasmKernel().load(this.y, this.current, this.refractoryLeft);
    this.resident = true;
    this.placeState();
  }

  /** The run stops: y and refractoryLeft are up to date again. */
  endRun(): void {
    if (this.resident && this.wasm) this.wasm.store(this.y, this.refractoryLeft);
    this.resident = false;
    this.placeState();
  }

  /**
   * One step of all neurons (the network's): their spikes in fired, and how many, or −1 − i when
   * neuron i diverged.
   */
  advance(dt: number): number {
    const refractorySteps = Math.round(this.kernel.refractoryMs / dt);
    if (this.resident && this.wasm) {
      const r = this.wasm.step(dt, refractorySteps);
      if (r > 0) this.fired.set(this.wasm.fired.subarray(0, r));
      return r;
    }
    return this.kernel.step(
      this.y,
      this.n,
      this.current,
      dt,
      this.refractoryLeft,
      refractorySteps,
      this.fired,
    );
  }

  /** Where state k of neuron i is now: data[offset + i·stride] (y, or the wasm kernel's, in a run). */
  stateLayout(k: number): StateLayout {
    return this.layouts[k];
  }

  /** The layouts of every state for where the state lives now (rebuilt when that changes). */
  private placeState(): void {
    const w = this.resident ? this.wasm : null;
    this.layouts = this.model.states.map((_, k) =>
      w ? { data: w.state, offset: k * w.nPad, stride: 1 } : { data: this.y, offset: k, stride: this.S },
    );
  }

  /** State k of neuron i now. */
  readState(i: number, k: number): number {
    if (this.resident && this.wasm) return this.wasm.state[k * this.wasm.nPad + i];
    return this.y[i * this.S + k];
  }

  /** Threads used by the wasm step (1 until the first run, and for the JS step). */
  get threadsInUse(): number {
    return this.wasm?.threads ?? 1;
  }

  /** Stops the wasm step's worker threads, if any. */
  close(): void {
    this.wasm?.close();
  }

  /** Back to the initial state drawn at construction. */
  reset(): void {
    this.y.set(this.y0);
    this.refractoryLeft.fill(0);
    this.firedCount = 0;
  }

  private fillInitial(init: Record<string, ValueSpec>, rng: Rng): void {
    const m = this.model;
    const d = m.declaration;
    // Declared initial values read parameters and the states before them (input 0).
    // A state set by the declaration's initFrom starts at that model's value (a constant here).
    const fromOther = d.initFrom ? initialState(m, this.params) : null;
    const inits = m.states.map((s, k) =>
      m.initFromState[k] >= 0
        ? num((fromOther as Float64Array)[k])
        : expandLets(m, parseExpr(String(d.states[s].init), `population "${this.name}": states.${s}.init`)),
    );
    // Compiled once (a tree walk per neuron and state costs more than the rest of the build).
    const names = [...Object.keys(this.params), m.input, ...m.states];
    const slot = new Map(names.map((s, i) => [s, i] as [string, number]));
    const base = Object.keys(this.params).length + 1;
    const env = new Float64Array(names.length);
    Object.values(this.params).forEach((v, i) => (env[i] = v));
    const drawn = m.states.map((s) => init[s]);
    if (drawn.every((x) => x === undefined)) {
      // The declared initial state (with a model's Newton refinement to rest, where it has one).
      const y0 = initialState(m, this.params);
      for (let i = 0; i < this.n; i++) this.y.set(y0, i * this.S);
      return;
    }
    const computed = inits.map((e, k) =>
      drawn[k] !== undefined
        ? null
        : jsFunction<(v: Float64Array) => number>(
            'v',
            renderJs(
              [e],
              (s) => (slot.has(s) ? `v[${slot.get(s)}]` : 'NaN'),
              (_, code) => `return ${code};`,
            ),
          ),
    );
    const row = new Float64Array(this.S);
    for (let i = 0; i < this.n; i++) {
      {
        env.fill(NaN, base); // a state not yet set reads NaN, as before its init
        for (let k = 0; k < this.S; k++) {
          const spec = drawn[k];
          const value = spec !== undefined ? draw(spec, rng) : computed[k]!(env);
          if (!Number.isFinite(value))
            throw new RangeError(
              `population "${this.name}": the initial ${m.states[k]} of neuron ${i} is ${value}; check init and params`,
            );
          row[k] = value;
          env[base + k] = value;
        }
      }
      this.y.set(row, i * this.S);
    }
  }
}

export interface PoissonSpec {
  n: number;
  /** Rate of every source, Hz. */
  rate: number;
}

/** Independent Poisson spike trains: each source fires in a step with probability rate·dt. */
export class PoissonGroup extends Group {
  readonly kind = 'poisson';
  readonly rate: number;
  constructor(
    name: string,
    spec: PoissonSpec,
    private readonly rng: Rng,
  ) {
    if (!Number.isInteger(spec?.n) || spec.n < 1)
      throw new RangeError(`Poisson group "${name}": n must be a positive integer, got ${spec?.n}`);
    if (!(spec.rate >= 0) || !Number.isFinite(spec.rate))
      throw new RangeError(`Poisson group "${name}": rate must be ≥ 0 Hz, got ${spec.rate}`);
    super(name, spec.n);
    this.rate = spec.rate;
  }

  /** The generator's state (checkpoints). */
  saveState(): Float64Array {
    return Float64Array.from(this.rng.state(), (x) => (x === null ? NaN : x));
  }
  loadState(a: Float64Array): void {
    this.rng.setState(Array.from(a, (x) => (Number.isNaN(x) ? null : x)));
  }

  /** Draws this step's spikes (one draw per spike, geometric gaps between them). */
  step(dt: number): void {
    const p = Math.min(1, (this.rate * dt) / 1000);
    let count = 0;
    if (p >= 1) for (let i = 0; i < this.n; i++) this.fired[count++] = i;
    else if (p > 0) {
      const logq = Math.log1p(-p);
      for (let i = Math.floor(Math.log1p(-this.rng.uniform()) / logq); i < this.n;) {
        this.fired[count++] = i;
        i += 1 + Math.floor(Math.log1p(-this.rng.uniform()) / logq);
      }
    }
    this.firedCount = count;
  }
}

export interface SpikeGeneratorSpec {
  n: number;
  /** Spike k is neuron indices[k] at times[k] ms (rounded to the end of a step). */
  indices: readonly number[];
  times: readonly number[];
}

/** Neurons that spike at given times (stimulation protocols, tests, replayed recordings). */
export class SpikeGenerator extends Group {
  readonly kind = 'generator';
  /** Spikes sorted by step: neuron of spike k, and the step it ends. */
  private readonly neuron: Int32Array;
  private readonly stepOf: Float64Array;
  private next = 0;
  constructor(name: string, spec: SpikeGeneratorSpec, dt: number) {
    const where = `spike generator "${name}"`;
    if (!Number.isInteger(spec?.n) || spec.n < 1)
      throw new RangeError(`${where}: n must be a positive integer, got ${spec?.n}`);
    super(name, spec.n);
    const { indices, times } = spec;
    if (!Array.isArray(indices) || !Array.isArray(times) || indices.length !== times.length)
      throw new RangeError(`${where}: "indices" and "times" must be lists of one length`);
    const order = indices.map((_, k) => k);
    const steps = times.map((t, k) => {
      if (!Number.isInteger(indices[k]) || indices[k] < 0 || indices[k] >= spec.n)
        throw new RangeError(`${where}: indices[${k}] = ${indices[k]} is not in 0 … ${spec.n - 1}`);
      if (!(t > 0) || !Number.isFinite(t))
        throw new RangeError(`${where}: times[${k}] = ${t} must be > 0 ms`);
      return Math.max(1, Math.round(t / dt));
    });
    order.sort((a, b) => steps[a] - steps[b] || indices[a] - indices[b]);
    for (let k = 1; k < order.length; k++)
      if (steps[order[k]] === steps[order[k - 1]] && indices[order[k]] === indices[order[k - 1]])
        throw new RangeError(
          `${where}: neuron ${indices[order[k]]} has two spikes in the step ending at ${steps[order[k]] * dt} ms`,
        );
    this.neuron = Int32Array.from(order, (k) => indices[k]);
    this.stepOf = Float64Array.from(order, (k) => steps[k]);
  }

  /** How far through its list the generator is (checkpoints). */
  saveState(): Float64Array {
    return Float64Array.of(this.next);
  }
  loadState(a: Float64Array): void {
    this.next = a[0];
  }

  /** The spikes of the step that ends at step number `end` (1-based). */
  step(end: number): void {
    let count = 0;
    while (this.next < this.neuron.length && this.stepOf[this.next] < end) this.next++;
    while (this.next < this.neuron.length && this.stepOf[this.next] === end)
      this.fired[count++] = this.neuron[this.next++];
    this.firedCount = count;
  }
}
