/**
 * The kernel backend: the few hot loops that decide training speed. Every backend implements the
 * same contract on plain Float32Arrays (row-major), so ops stay backend-agnostic and the fast
 * backends are tested element by element against the plain-TypeScript reference ('js').
 */
export interface Backend {
  readonly name: string;
  /**
   * C[m×n] = op(A)·op(B) (+ C when accumulate). op(A) is m×k: A is stored m×k, or k×m when
   * transA. op(B) is k×n: B is stored k×n, or n×k when transB.
   */
  gemm(
    transA: boolean,
    transB: boolean,
    m: number,
    n: number,
    k: number,
    a: Float32Array,
    b: Float32Array,
    c: Float32Array,
    accumulate: boolean,
  ): void;
  /**
   * One Adam(W=false) step with PyTorch semantics: g += wd·p (L2 weight decay), m, v moments,
   * bias corrections for step t (1-based), p -= lr·m̂/(√v̂ + eps).
   */
  adam(
    p: Float32Array,
    g: Float32Array,
    m: Float32Array,
    v: Float32Array,
    lr: number,
    beta1: number,
    beta2: number,
    eps: number,
    weightDecay: number,
    step: number,
  ): void;
}

const registry = new Map<string, () => Backend>();
let active: Backend | null = null;

export function registerBackend(name: string, factory: () => Backend): void {
  registry.set(name, factory);
}

export function backendNames(): string[] {
  return [...registry.keys()];
}

/** Selects the backend by name ('js' reference, 'wasm' SIMD). */
export function setBackend(name: string): Backend {
  const factory = registry.get(name);
  if (!factory) throw new Error(`unknown backend '${name}' (available: ${backendNames().join(', ')})`);
  active = factory();
  return active;
}

/** The active backend; defaults to HHNET_BACKEND, else the first registered ('js'). */
export function getBackend(): Backend {
  if (!active) {
    const wanted = process.env.HHNET_BACKEND;
    active = setBackend(wanted && registry.has(wanted) ? wanted : (backendNames()[0] ?? 'js'));
  }
  return active;
}
