/**
 * PyTorch-style modules: a module owns named parameters and child modules, so parameters get
 * dotted names ("fc1.weight") that match a PyTorch state_dict and the safetensors checkpoint.
 */
import { Tensor } from '../tensor/tensor.js';

export abstract class Module {
  training = true;
  private readonly ownParams = new Map<string, Tensor>();
  private readonly children = new Map<string, Module>();

  protected registerParameter(name: string, t: Tensor, trainable = true): Tensor {
    t.requiresGrad = trainable;
    this.ownParams.set(name, t);
    return t;
  }

  protected registerModule<M extends Module>(name: string, m: M): M {
    this.children.set(name, m);
    return m;
  }

  /** All parameters (trainable or constant buffers) with dotted names, in registration order. */
  namedParameters(prefix = ''): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    for (const [n, t] of this.ownParams) out.push([prefix + n, t]);
    for (const [n, m] of this.children) out.push(...m.namedParameters(`${prefix}${n}.`));
    return out;
  }

  /** Trainable parameters only (what the optimiser updates). */
  parameters(): Tensor[] {
    return this.namedParameters()
      .filter(([, t]) => t.requiresGrad)
      .map(([, t]) => t);
  }

  parameterCount(): number {
    return this.namedParameters().reduce((s, [, t]) => s + t.size, 0);
  }

  train(on = true): this {
    this.training = on;
    for (const m of this.children.values()) m.train(on);
    return this;
  }

  eval(): this {
    return this.train(false);
  }

  zeroGrad(): void {
    for (const [, t] of this.namedParameters()) t.grad = null;
  }

  /**
   * The parameters by dotted name (PyTorch's state_dict): shape and a copy of the values, in
   * registration order. loadStateDict takes it back.
   */
  stateDict(): Map<string, { shape: readonly number[]; data: Float32Array }> {
    return new Map(
      this.namedParameters().map(([n, t]) => [n, { shape: [...t.shape], data: t.data.slice() }]),
    );
  }

  /**
   * Copies values in from a name → tensor map. Everything is checked before anything is copied,
   * so a mismatch leaves the module as it was; the error lists every missing and every unexpected
   * name, or the first shape that differs, prefixed with `source` (the file).
   */
  loadStateDict(state: Map<string, { shape: readonly number[]; data: Float32Array }>, source: string): void {
    const own = this.namedParameters();
    const ownNames = new Set(own.map(([n]) => n));
    const missing = own.filter(([n]) => !state.has(n)).map(([n]) => n);
    const extra = [...state.keys()].filter((n) => !ownNames.has(n));
    if (missing.length || extra.length) {
      const parts = [];
      if (missing.length) parts.push(`missing tensors ${missing.join(', ')}`);
      if (extra.length) parts.push(`unexpected tensors ${extra.join(', ')}`);
      throw new RangeError(`${source}: ${parts.join('; ')} (a checkpoint of another model?)`);
    }
    for (const [n, t] of own) {
      const s = state.get(n)!;
      if (s.shape.length !== t.shape.length || s.shape.some((d, i) => d !== t.shape[i]))
        throw new RangeError(
          `${source}: tensor '${n}' has shape [${s.shape.join(', ')}], model expects [${t.shape.join(', ')}]`,
        );
      if (s.data.length !== t.data.length)
        throw new RangeError(
          `${source}: tensor '${n}' holds ${s.data.length} values, its shape needs ${t.data.length}`,
        );
    }
    for (const [n, t] of own) t.data.set(state.get(n)!.data);
  }
}
