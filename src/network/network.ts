/**
 * A recurrent spiking network: populations of declared neuron models with synaptic receptors,
 * Poisson sources, sparse projections with delays and plasticity, and monitors.
 *
 * ```ts
 * const net = new Network({ dt: 0.1, seed: 1 });
 * const P = net.population('P', { model: traubMiles, n: 4000, receptors: { ge: conductance(5, 0) } });
 * net.connect(P.slice(0, 3200), P, { receptor: 'ge', connectivity: fixedProbability(0.02), weight: 6 });
 * const spikes = net.spikeMonitor(P);
 * net.run(1000);
 * ```
 *
 * One step of length dt: every population advances (its generated kernel: kernel.ts in JS, or
 * wasm-step.ts in WebAssembly SIMD with backend 'wasm') and reports the neurons whose spike ended
 * in the step; Poisson sources draw theirs; each spike adds its synapses' weights to a ring
 * buffer slot `delay` steps ahead (per target population and receptor);
 * then the slot of this step is added to the receptor states, so a spike at t acts on its targets'
 * states at t + delay (delay 0: at t itself, before the next step). Plasticity and monitors follow.
 * Every random draw comes from generators forked from the seed in the order the network is built.
 */
import { Rng } from '../util/rng.js';
import type { NetworkIntegrator } from './kernel.js';
import { NETWORK_INTEGRATORS } from './kernel.js';
import { RateMonitor, SpikeMonitor, StateMonitor } from './monitors.js';
import type { GroupView, PoissonSpec, PopulationSpec, SpikeGeneratorSpec } from './population.js';
import { NeuronPopulation, PoissonGroup, SpikeGenerator } from './population.js';
import type { ProjectionSpec } from './projection.js';
import { Projection } from './projection.js';
import type { NetworkBackend, RateTableOptions } from './wasm-step.js';
import { NETWORK_BACKENDS } from './wasm-step.js';

export interface NetworkOptions {
  /** Time step, ms (default 0.1). */
  dt?: number;
  /** Seed of every random draw (connectivity, weights, initial states, Poisson spikes). Default 1. */
  seed?: number;
  /** Integrator of every population (default exponential Euler). */
  integrator?: NetworkIntegrator;
  /**
   * How populations step their neurons: 'js' (default), a JavaScript function generated from the
   * model (float64), or 'wasm', a WebAssembly SIMD kernel generated from it (float32; compiled at
   * the first run or by prepare(), cached on disk). Models without a wasm step run the JS one.
   */
  backend?: NetworkBackend;
  /** Threads each wasm population is stepped on (default 1); results do not depend on it. */
  threads?: number;
  /**
   * Rate tables of the wasm step (RateTableOptions; true: the defaults): the gates' updates
   * interpolated from a table over v instead of computed (see docs/networks.md for the accuracy).
   * Default: exact expressions. The JS backend always computes them.
   */
  rateTable?: RateTableOptions | boolean;
}

export class NetworkDivergedError extends Error {
  override name = 'NetworkDivergedError';
}

type Group = NeuronPopulation | PoissonGroup | SpikeGenerator;
type ViewLike = GroupView | Group;

/** Incoming synaptic input of one receptor of one population, `slots` steps ahead. */
interface Inbox {
  pop: NeuronPopulation;
  stateIndex: number;
  slots: number;
  ring: Float64Array;
  /** Per slot: the neurons it holds input for (touchedCount of them; n + 1 entries a slot). */
  touched: Int32Array;
  touchedCount: Int32Array;
  /** Per slot and neuron: 1 when listed in touched. */
  marked: Uint8Array;
}

export class Network {
  readonly dt: number;
  readonly seed: number;
  readonly integrator: NetworkIntegrator;
  readonly backend: NetworkBackend;
  readonly threads: number;
  readonly rateTable: RateTableOptions | null;
  readonly populations: NeuronPopulation[] = [];
  readonly sources: (PoissonGroup | SpikeGenerator)[] = [];
  readonly projections: Projection[] = [];
  private readonly monitors: (SpikeMonitor | RateMonitor | StateMonitor)[] = [];
  private readonly rng: Rng;
  private inboxes: Inbox[] | null = null;
  private uniqueInboxes: Inbox[] = [];
  /** Steps run so far. */
  stepCount = 0;

  constructor(opts: NetworkOptions = {}) {
    this.dt = opts.dt ?? 0.1;
    this.seed = opts.seed ?? 1;
    this.integrator = opts.integrator ?? 'expeuler';
    this.backend = opts.backend ?? 'js';
    this.threads = opts.threads ?? 1;
    this.rateTable = opts.rateTable === true ? {} : opts.rateTable ? opts.rateTable : null;
    if (this.rateTable && this.backend !== 'wasm')
      throw new RangeError(
        'network: rate tables are an option of the wasm backend (the JS step is the exact reference)',
      );
    if (!(this.dt > 0) || !Number.isFinite(this.dt))
      throw new RangeError(`network: dt must be > 0 ms, got ${opts.dt}`);
    if (!Number.isInteger(this.seed))
      throw new RangeError(`network: seed must be an integer, got ${opts.seed}`);
    if (!NETWORK_INTEGRATORS.includes(this.integrator))
      throw new RangeError(
        `network: integrator must be ${NETWORK_INTEGRATORS.join(' or ')}, got ${opts.integrator}`,
      );
    if (!NETWORK_BACKENDS.includes(this.backend))
      throw new RangeError(`network: backend must be ${NETWORK_BACKENDS.join(' or ')}, got ${opts.backend}`);
    if (!Number.isInteger(this.threads) || this.threads < 1)
      throw new RangeError(`network: threads must be a positive integer, got ${opts.threads}`);
    this.rng = new Rng(this.seed);
  }

  /** Network time, ms. */
  get time(): number {
    return this.stepCount * this.dt;
  }

  population(name: string, spec: PopulationSpec): NeuronPopulation {
    this.beforeRun('add a population');
    this.checkName(name);
    const p = new NeuronPopulation(name, spec, this.integrator, this.rng.fork(), {
      backend: this.backend,
      threads: this.threads,
      rateTable: this.rateTable,
    });
    this.populations.push(p);
    return p;
  }

  poisson(name: string, spec: PoissonSpec): PoissonGroup {
    this.beforeRun('add a Poisson group');
    this.checkName(name);
    const g = new PoissonGroup(name, spec, this.rng.fork());
    this.sources.push(g);
    return g;
  }

  spikeGenerator(name: string, spec: SpikeGeneratorSpec): SpikeGenerator {
    this.beforeRun('add a spike generator');
    this.checkName(name);
    const g = new SpikeGenerator(name, spec, this.dt);
    this.sources.push(g);
    return g;
  }

  /** Synapses from source onto target (both a group or a slice of one). */
  connect(source: ViewLike, target: ViewLike, spec: ProjectionSpec): Projection {
    this.beforeRun('connect');
    const s = this.view(source, 'source');
    const t = this.view(target, 'target');
    if (t.group.kind !== 'neurons')
      throw new RangeError(
        `projection ${s.label}→${t.label}: the target must be a neuron population, not a spike source`,
      );
    const label = `${s.label}→${t.label}:${spec?.receptor}`;
    const pr = new Projection(
      label,
      s,
      t as GroupView & { group: NeuronPopulation },
      spec,
      this.dt,
      this.rng.fork(),
    );
    this.projections.push(pr);
    return pr;
  }

  spikeMonitor(of: ViewLike): SpikeMonitor {
    const m = new SpikeMonitor(this.view(of, 'monitor'));
    this.monitors.push(m);
    return m;
  }

  rateMonitor(of: ViewLike, bin = 1): RateMonitor {
    const m = new RateMonitor(this.view(of, 'monitor'), bin, this.dt);
    this.monitors.push(m);
    return m;
  }

  stateMonitor(
    of: ViewLike,
    variables: readonly string[],
    indices: readonly number[],
    interval = this.dt,
  ): StateMonitor {
    const v = this.view(of, 'monitor');
    if (v.group.kind !== 'neurons')
      throw new RangeError(`state monitor: ${v.label} is a spike source and has no states`);
    const m = new StateMonitor(
      v as GroupView & { group: NeuronPopulation },
      variables,
      indices,
      interval,
      this.dt,
    );
    m.sample(this.time);
    this.monitors.push(m);
    return m;
  }

  /** Synapses in all projections. */
  get synapses(): number {
    return this.projections.reduce((s, p) => s + p.synapses, 0);
  }

  /** Bytes of synapse storage per synapse (all projections; ring buffers not included). */
  get bytesPerSynapse(): number {
    const m = this.synapses;
    return m > 0 ? this.projections.reduce((s, p) => s + p.bytes, 0) / m : 0;
  }

  /**
   * Advances the network by `duration` ms (a whole number of steps). onStep(done, total) is called
   * every `every` steps (progress, interrupts); it may throw to stop between steps.
   */
  run(duration: number, opts: { onStep?: (done: number, total: number) => void; every?: number } = {}): void {
    const steps = Math.round(duration / this.dt);
    if (
      !(duration >= 0) ||
      !Number.isFinite(duration) ||
      Math.abs(steps * this.dt - duration) > 1e-9 * Math.max(1, duration)
    )
      throw new RangeError(
        `network run: duration must be a whole number of steps of ${this.dt} ms, got ${duration}`,
      );
    if (!this.inboxes) {
      this.inboxes = this.planInboxes();
      this.uniqueInboxes = [...new Set(this.inboxes)];
    }
    const inboxes = this.inboxes;
    const every = opts.every ?? 1000;
    // Wasm populations hold their state while the network runs; y is up to date in onStep.
    try {
      for (const p of this.populations) p.beginRun();
      for (let s = 0; s < steps; s++) {
        this.step(inboxes);
        if (opts.onStep && ((s + 1) % every === 0 || s + 1 === steps)) {
          for (const p of this.populations) p.endRun();
          opts.onStep(s + 1, steps);
          for (const p of this.populations) p.beginRun();
        }
      }
    } finally {
      for (const p of this.populations) p.endRun();
    }
  }

  /**
   * Compiles the populations' wasm steps now, asynchronously (run() compiles them otherwise), and
   * waits for their worker threads to start (until then the caller steps every neuron).
   */
  async prepare(): Promise<void> {
    for (const p of this.populations) await p.prepare();
  }

  /** Stops the worker threads of wasm populations (the network stays usable, on one thread). */
  close(): void {
    for (const p of this.populations) p.close();
  }

  private step(inboxes: Inbox[]): void {
    const dt = this.dt;
    const now = this.stepCount;
    for (const p of this.populations) {
      const r = p.advance(dt);
      if (r < 0) {
        const i = -1 - r;
        const v = p.readState(i, p.stateIndex(p.model.voltage));
        throw new NetworkDivergedError(
          `population "${p.name}" (${p.model.name}) diverged at t = ${((now + 1) * dt).toFixed(3)} ms: neuron ${i} has ${p.model.voltage} = ${v}; reduce dt (now ${dt} ms) or the synaptic weights`,
        );
      }
      p.firedCount = r;
    }
    for (const g of this.sources) g.step(g instanceof PoissonGroup ? dt : now + 1);
    this.propagate(inboxes, now);
    this.stepCount = now + 1;
    for (const pr of this.projections) if (pr.plastic) this.plasticity(pr);
    const t = this.stepCount * dt;
    for (const m of this.monitors) m.record(t);
  }

  /** Spikes of this step into the ring buffers, then this step's slot into the receptor states. */
  private propagate(inboxes: Inbox[], now: number): void {
    for (let k = 0; k < this.projections.length; k++) {
      const pr = this.projections[k];
      const src = pr.source;
      const g = src.group;
      if (g.firedCount === 0) continue;
      const { ring, slots, touched, touchedCount, marked } = inboxes[k];
      const n = pr.target.group.n;
      const { offsets, targets, weights, delays } = pr;
      const scale = pr.scale;
      const end = src.start + src.n;
      if (delays === null && pr.delay === 0) {
        // No delay: the input goes straight into the receptor state (no ring buffer, no lists).
        const { data, offset, stride } = pr.target.group.stateLayout(pr.stateIndex);
        const w = pr.weight * scale;
        for (let q = 0; q < g.firedCount; q++) {
          const f = g.fired[q];
          if (f < src.start || f >= end) continue;
          const j = f - src.start;
          const b = offsets[j + 1];
          if (weights === null) for (let s = offsets[j]; s < b; s++) data[offset + targets[s] * stride] += w;
          else for (let s = offsets[j]; s < b; s++) data[offset + targets[s] * stride] += weights[s] * scale;
        }
        continue;
      }
      for (let q = 0; q < g.firedCount; q++) {
        const f = g.fired[q];
        if (f < src.start || f >= end) continue;
        const j = f - src.start;
        const a = offsets[j];
        const b = offsets[j + 1];
        if (delays === null && weights === null) {
          const slot = (now + pr.delay) % slots;
          const base = slot * n;
          const list = slot * (n + 1);
          const w = pr.weight * scale;
          // Without branches (whether a neuron is new to the slot is unpredictable): written at
          // the end of the list, which grows only when the neuron was not marked yet.
          let c = touchedCount[slot];
          for (let s = a; s < b; s++) {
            const i = targets[s];
            touched[list + c] = i;
            c += 1 - marked[base + i];
            marked[base + i] = 1;
            ring[base + i] += w;
          }
          touchedCount[slot] = c;
        } else
          for (let s = a; s < b; s++) {
            const d = delays === null ? pr.delay : delays[s];
            const w = (weights === null ? pr.weight : weights[s]) * scale;
            const slot = (now + d) % slots;
            const i = targets[s];
            const c = touchedCount[slot];
            touched[slot * (n + 1) + c] = i;
            touchedCount[slot] = c + 1 - marked[slot * n + i];
            marked[slot * n + i] = 1;
            ring[slot * n + i] += w;
          }
      }
    }
    for (const box of this.uniqueInboxes) {
      const { pop, stateIndex, ring, slots, touched, touchedCount, marked } = box;
      const slot = now % slots;
      const c = touchedCount[slot];
      if (c === 0) continue;
      const base = slot * pop.n;
      const list = slot * (pop.n + 1);
      const { data, offset, stride } = pop.stateLayout(stateIndex);
      for (let q = 0; q < c; q++) {
        const i = touched[list + q];
        data[offset + i * stride] += ring[base + i];
        ring[base + i] = 0;
        marked[base + i] = 0;
      }
      touchedCount[slot] = 0;
    }
  }

  private plasticity(pr: Projection): void {
    const st = pr.plastic!;
    const w = pr.weights as Float64Array;
    st.decay(this.dt);
    const src = pr.source;
    const g = src.group;
    for (let q = 0; q < g.firedCount; q++) {
      const f = g.fired[q];
      if (f >= src.start && f < src.start + src.n) st.onPre(f - src.start, pr.offsets, pr.targets, w);
    }
    const tgt = pr.target;
    const p = tgt.group;
    for (let q = 0; q < p.firedCount; q++) {
      const i = p.fired[q];
      if (i >= tgt.start && i < tgt.start + tgt.n) st.onPost(i, w);
    }
  }

  /** What identifies this network's structure (a checkpoint must come from the same one). */
  fingerprint(): string {
    return JSON.stringify({
      dt: this.dt,
      seed: this.seed,
      integrator: this.integrator,
      populations: this.populations.map((p) => [p.name, p.model.name, p.n]),
      sources: this.sources.map((g) => [g.name, g.kind, g.n]),
      projections: this.projections.map((p) => [p.label, p.synapses]),
      monitors: this.monitors.map((m) => [m.constructor.name, m.view.label]),
    });
  }

  /**
   * Everything a run has changed, as named arrays: time, neuron states, refractory counters,
   * pending synaptic input, source generators, plastic weights and traces, what monitors hold.
   * loadState of a freshly built identical network continues exactly where this one stopped.
   */
  saveState(): Map<string, Float64Array | Int32Array> {
    const out = new Map<string, Float64Array | Int32Array>();
    out.set('step', Float64Array.of(this.stepCount));
    for (const p of this.populations) {
      out.set(`population/${p.name}/y`, p.y.slice());
      out.set(`population/${p.name}/refractory`, p.refractoryLeft.slice());
    }
    for (const g of this.sources) out.set(`source/${g.name}`, g.saveState());
    [...new Set(this.inboxes ?? [])].forEach((box, k) => out.set(`inbox/${k}`, box.ring.slice()));
    this.projections.forEach((pr, k) => {
      if (!pr.plastic) return;
      out.set(`projection/${k}/weights`, (pr.weights as Float64Array).slice());
      out.set(`projection/${k}/xPre`, pr.plastic.xPre.slice());
      out.set(`projection/${k}/xPost`, pr.plastic.xPost.slice());
    });
    this.monitors.forEach((m, k) => {
      for (const [name, a] of Object.entries(m.saveState())) out.set(`monitor/${k}/${name}`, a);
    });
    return out;
  }

  loadState(state: ReadonlyMap<string, Float64Array | Int32Array>, where = 'checkpoint'): void {
    const get = (name: string, length?: number): Float64Array | Int32Array => {
      const a = state.get(name);
      if (!a) throw new RangeError(`${where}: no "${name}" (a checkpoint of another network?)`);
      if (length !== undefined && a.length !== length)
        throw new RangeError(`${where}: "${name}" holds ${a.length} values, this network needs ${length}`);
      return a;
    };
    if (!this.inboxes && state.has('inbox/0')) {
      this.inboxes = this.planInboxes();
      this.uniqueInboxes = [...new Set(this.inboxes)];
    }
    this.stepCount = get('step', 1)[0];
    for (const p of this.populations) {
      p.y.set(get(`population/${p.name}/y`, p.y.length));
      p.refractoryLeft.set(get(`population/${p.name}/refractory`, p.n));
    }
    for (const g of this.sources) g.loadState(get(`source/${g.name}`) as Float64Array);
    [...new Set(this.inboxes ?? [])].forEach((box, k) => {
      box.ring.set(get(`inbox/${k}`, box.ring.length));
      // Each slot's list of the neurons it holds input for, rebuilt from the ring.
      const n = box.pop.n;
      box.marked.fill(0);
      for (let slot = 0; slot < box.slots; slot++) {
        let c = 0;
        for (let i = 0; i < n; i++)
          if (box.ring[slot * n + i] !== 0) {
            box.touched[slot * (n + 1) + c++] = i;
            box.marked[slot * n + i] = 1;
          }
        box.touchedCount[slot] = c;
      }
    });
    this.projections.forEach((pr, k) => {
      if (!pr.plastic) return;
      (pr.weights as Float64Array).set(get(`projection/${k}/weights`, pr.synapses));
      pr.plastic.xPre.set(get(`projection/${k}/xPre`, pr.plastic.xPre.length));
      pr.plastic.xPost.set(get(`projection/${k}/xPost`, pr.plastic.xPost.length));
    });
    this.monitors.forEach((m, k) => {
      const prefix = `monitor/${k}/`;
      const arrays: Record<string, Float64Array | Int32Array> = {};
      for (const [name, a] of state) if (name.startsWith(prefix)) arrays[name.slice(prefix.length)] = a;
      m.loadState(arrays);
    });
  }

  /** One ring buffer per (population, receptor state), as deep as the longest delay into it. */
  private planInboxes(): Inbox[] {
    const byKey = new Map<string, Inbox>();
    const depth = new Map<string, number>();
    const key = (pr: Projection): string => `${this.populations.indexOf(pr.target.group)}:${pr.stateIndex}`;
    for (const pr of this.projections) depth.set(key(pr), Math.max(depth.get(key(pr)) ?? 0, pr.maxDelay + 1));
    return this.projections.map((pr) => {
      const k = key(pr);
      let box = byKey.get(k);
      if (!box) {
        const slots = depth.get(k)!;
        const pop = pr.target.group;
        box = {
          pop,
          stateIndex: pr.stateIndex,
          slots,
          ring: new Float64Array(slots * pop.n),
          touched: new Int32Array(slots * (pop.n + 1)),
          touchedCount: new Int32Array(slots),
          marked: new Uint8Array(slots * pop.n),
        };
        byKey.set(k, box);
      }
      return box;
    });
  }

  private view(x: ViewLike, role: string): GroupView {
    if (x instanceof NeuronPopulation || x instanceof PoissonGroup || x instanceof SpikeGenerator) {
      if (!this.populations.includes(x as NeuronPopulation) && !this.sources.includes(x as PoissonGroup))
        throw new RangeError(`${role}: group "${x.name}" belongs to another network`);
      return x.all;
    }
    if (!x || typeof x !== 'object' || !('group' in x))
      throw new TypeError(`${role}: expected a population, a Poisson group or a slice of one`);
    if (
      !this.populations.includes(x.group as NeuronPopulation) &&
      !this.sources.includes(x.group as PoissonGroup)
    )
      throw new RangeError(`${role}: ${x.label} belongs to another network`);
    return x;
  }

  private checkName(name: string): void {
    if (typeof name !== 'string' || !/^[A-Za-z][A-Za-z0-9_-]*$/.test(name))
      throw new RangeError(
        `a group name is letters, digits, _ and -, starting with a letter; got ${JSON.stringify(name)}`,
      );
    if ([...this.populations, ...this.sources].some((g) => g.name === name))
      throw new RangeError(`a group named "${name}" already exists in this network`);
  }

  private beforeRun(what: string): void {
    if (this.inboxes)
      throw new Error(`cannot ${what} after the network has run; build the whole network first`);
  }
}
