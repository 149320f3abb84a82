/**
 * A synthetic layer-5-like pyramidal cell written as SWC text, seeded: a one-point soma, basal
 * dendrites that bifurcate, an apical trunk with oblique branches and a terminal tuft, and an
 * axon with a thicker initial segment. Branch diameters follow Rall's 3/2 rule
 * (d_parent^{3/2} = Σ d_child^{3/2}); points lie every `stepUm` along gently wandering paths in
 * 3D. Dimensions are typical of the cell type (soma Ø 20 µm, apical trunk ~600 µm, basal
 * dendrites ~200 µm from the soma, axon 1 mm), not a reconstruction of any one neuron: a realistic
 * shape for tests, examples and benchmarks that needs no download.
 */
import { Rng } from '../util/rng.js';

export interface PyramidalOptions {
  /** Seed of the branching angles, lengths and path wander (default 1). */
  seed?: number;
  /** Distance between successive points, µm (default 10). */
  stepUm?: number;
  /** Basal dendrites leaving the soma (default 5). */
  basal?: number;
}

type Vec = [number, number, number];

const SOMA_RADIUS = 10;

/** The SWC text of a synthetic pyramidal cell (see the file comment). */
export function pyramidalSwc(opts: PyramidalOptions = {}): string {
  const rng = new Rng(opts.seed ?? 1);
  const step = opts.stepUm ?? 10;
  const basal = opts.basal ?? 5;
  if (!(step > 0 && step <= 50)) throw new RangeError(`stepUm must be in (0, 50] µm, got ${opts.stepUm}`);
  if (!Number.isInteger(basal) || basal < 0 || basal > 12)
    throw new RangeError(`basal must be an integer in [0, 12], got ${opts.basal}`);
  const lines: string[] = [];
  let nextId = 1;
  const point = (type: number, p: Vec, diameter: number, parent: number): number => {
    const id = nextId++;
    const f = (x: number) => (Math.round(x * 1000) / 1000).toString();
    lines.push(`${id} ${type} ${f(p[0])} ${f(p[1])} ${f(p[2])} ${f(diameter / 2)} ${parent}`);
    return id;
  };
  const unit = (v: Vec): Vec => {
    const n = Math.hypot(...v);
    return [v[0] / n, v[1] / n, v[2] / n];
  };
  /** A direction within `spread` radians of d (uniform azimuth). */
  const deviate = (d: Vec, spread: number): Vec => {
    const a: Vec = Math.abs(d[0]) < 0.9 ? [1, 0, 0] : [0, 1, 0];
    const u = unit([d[1] * a[2] - d[2] * a[1], d[2] * a[0] - d[0] * a[2], d[0] * a[1] - d[1] * a[0]]);
    const w: Vec = [d[1] * u[2] - d[2] * u[1], d[2] * u[0] - d[0] * u[2], d[0] * u[1] - d[1] * u[0]];
    const phi = 2 * Math.PI * rng.uniform();
    const theta = spread * rng.uniform();
    const [c, s] = [Math.cos(theta), Math.sin(theta)];
    return unit([
      c * d[0] + s * (Math.cos(phi) * u[0] + Math.sin(phi) * w[0]),
      c * d[1] + s * (Math.cos(phi) * u[1] + Math.sin(phi) * w[1]),
      c * d[2] + s * (Math.cos(phi) * u[2] + Math.sin(phi) * w[2]),
    ]);
  };
  /**
   * A path of `length` µm from point `parent` at position p, heading d, diameter
   * tapering from d0 to d1, wandering a little at each point; returns its last id, position and
   * heading.
   */
  const path = (
    type: number,
    parent: number,
    p: Vec,
    d: Vec,
    length: number,
    d0: number,
    d1: number,
  ): { id: number; p: Vec; d: Vec } => {
    const n = Math.max(1, Math.round(length / step));
    let id = parent;
    let at = p;
    let dir = d;
    for (let k = 1; k <= n; k++) {
      dir = deviate(dir, 0.15);
      at = [at[0] + (dir[0] * length) / n, at[1] + (dir[1] * length) / n, at[2] + (dir[2] * length) / n];
      id = point(type, at, d0 + ((d1 - d0) * k) / n, id);
    }
    return { id, p: at, d: dir };
  };
  /** Daughters' diameter under Rall's 3/2 rule for two equal daughters. */
  const rall = (d: number): number => d * 2 ** (-2 / 3);
  /** A dendritic tree: a path, then two daughters, `levels` times. */
  const tree = (
    type: number,
    parent: number,
    p: Vec,
    d: Vec,
    diam: number,
    levels: number,
    len: number,
  ): void => {
    const end = path(type, parent, p, d, len * (0.7 + 0.6 * rng.uniform()), diam, diam * 0.9);
    if (levels === 0) return;
    const child = rall(diam * 0.9);
    for (let b = 0; b < 2; b++)
      tree(type, end.id, end.p, deviate(end.d, 0.6), Math.max(0.4, child), levels - 1, len * 0.8);
  };
  const surface = (d: Vec): Vec => [d[0] * SOMA_RADIUS, d[1] * SOMA_RADIUS, d[2] * SOMA_RADIUS];

  const soma = point(1, [0, 0, 0], 2 * SOMA_RADIUS, -1);
  // Apical trunk up the y axis: obliques along it, then a tuft.
  const up: Vec = [0, 1, 0];
  let trunk = { id: soma, p: surface(up), d: up };
  const obliques = 6;
  let diam = 4;
  for (let k = 0; k < obliques; k++) {
    const next = diam - 0.35;
    trunk = path(4, trunk.id, trunk.p, trunk.d, 70, diam, next);
    diam = next;
    const side = deviate(unit([rng.uniform() - 0.5, 0.3, rng.uniform() - 0.5]), 0.3);
    tree(4, trunk.id, trunk.p, side, 1, 1, 80);
  }
  for (let b = 0; b < 4; b++) tree(4, trunk.id, trunk.p, deviate(up, 0.8), 1.4, 2, 90);
  // Basal dendrites around the lower half.
  for (let b = 0; b < basal; b++) {
    const a = (2 * Math.PI * (b + rng.uniform() * 0.5)) / Math.max(1, basal);
    const d = unit([Math.cos(a), -0.4 - 0.4 * rng.uniform(), Math.sin(a)]);
    tree(3, soma, surface(d), d, 1.6, 2, 60);
  }
  // Axon downwards: initial segment (Ø 1.5 µm, 30 µm), then Ø 1 µm to 1 mm.
  const down: Vec = [0, -1, 0];
  const ais = path(2, soma, surface(down), down, 30, 1.5, 1.2);
  path(2, ais.id, ais.p, ais.d, 970, 1, 1);

  const header = [
    `# synthetic layer-5-like pyramidal cell (hhnet morphology.pyramidalSwc, seed ${opts.seed ?? 1}, step ${step} µm)`,
    '# id type x y z radius parent; µm; types: 1 soma, 2 axon, 3 basal dendrite, 4 apical dendrite',
  ];
  return [...header, ...lines].join('\n') + '\n';
}
