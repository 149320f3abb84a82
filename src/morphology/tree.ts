/**
 * A neuron's morphology as a tree of sections, and its division into compartments.
 *
 * Units: lengths and diameters in µm. A section is an unbranched cable from its start (x = 0)
 * to its end (x = its length); its diameter is piecewise linear along it (a profile of
 * (position, diameter) points: two points make a cylinder or a truncated cone). A section other
 * than the root hangs from a point of its parent (`parentX`, a fraction 0…1 of the parent's
 * length; 1, the parent's end, by default). Sections are listed so that every parent comes
 * before its children.
 */

export type SectionType = 'soma' | 'axon' | 'dendrite' | 'apical' | 'custom';

export interface ProfilePoint {
  /** Distance from the start of the section, µm. */
  x: number;
  /** Diameter there, µm. */
  d: number;
}

export interface Section {
  name: string;
  type: SectionType;
  /** Index of the parent section, −1 for the root. */
  parent: number;
  /** Where on the parent it attaches, as a fraction of the parent's length (default 1: its end). */
  parentX: number;
  /** Length, µm. */
  length: number;
  /** Diameter profile: x from 0 to length, increasing; at least two points. */
  profile: readonly ProfilePoint[];
}

export interface Morphology {
  readonly sections: readonly Section[];
}

export class MorphologyError extends Error {
  override name = 'MorphologyError';
}

/** What a section is built from: a uniform diameter, or diameters at both ends (a cone). */
export interface SectionSpec {
  name?: string;
  type?: SectionType;
  parent?: number;
  parentX?: number;
  /** µm. */
  lengthUm: number;
  /** Uniform diameter, µm. */
  diameterUm?: number;
  /** Diameters at the start and the end, µm (instead of diameterUm). */
  diametersUm?: readonly [number, number];
  /** A full profile (instead of the two above). */
  profile?: readonly ProfilePoint[];
}

/** Builds and checks a morphology from section specs (parents before children). */
export function morphology(specs: readonly SectionSpec[]): Morphology {
  const sections = specs.map((s, i): Section => {
    const where = `section ${i}${s.name ? ` (${s.name})` : ''}`;
    const length = s.lengthUm;
    if (!(length > 0) || !Number.isFinite(length))
      throw new MorphologyError(`${where}: length must be a positive number of µm, got ${length}`);
    let profile: ProfilePoint[];
    if (s.profile) profile = s.profile.map((p) => ({ x: p.x, d: p.d }));
    else if (s.diametersUm)
      profile = [
        { x: 0, d: s.diametersUm[0] },
        { x: length, d: s.diametersUm[1] },
      ];
    else if (s.diameterUm !== undefined)
      profile = [
        { x: 0, d: s.diameterUm },
        { x: length, d: s.diameterUm },
      ];
    else throw new MorphologyError(`${where}: give diameterUm, diametersUm or profile`);
    if (profile.length < 2) throw new MorphologyError(`${where}: a profile needs at least two points`);
    if (profile[0].x !== 0 || Math.abs(profile[profile.length - 1].x - length) > 1e-9 * length)
      throw new MorphologyError(`${where}: the profile must run from x = 0 to x = length (${length} µm)`);
    for (let k = 0; k < profile.length; k++) {
      if (!(profile[k].d > 0) || !Number.isFinite(profile[k].d))
        throw new MorphologyError(`${where}: diameters must be positive, got ${profile[k].d}`);
      if (k > 0 && !(profile[k].x >= profile[k - 1].x))
        throw new MorphologyError(`${where}: profile positions must not decrease`);
    }
    profile[profile.length - 1].x = length;
    const parent = s.parent ?? (i === 0 ? -1 : 0);
    if (i === 0 && parent !== -1) throw new MorphologyError(`${where}: the first section is the root`);
    if (i > 0 && !(Number.isInteger(parent) && parent >= 0 && parent < i))
      throw new MorphologyError(`${where}: parent must be an earlier section, got ${parent}`);
    const parentX = s.parentX ?? 1;
    if (!(parentX >= 0 && parentX <= 1)) throw new MorphologyError(`${where}: parentX must lie in [0, 1]`);
    return { name: s.name ?? `sec${i}`, type: s.type ?? 'dendrite', parent, parentX, length, profile };
  });
  if (sections.length === 0) throw new MorphologyError('a morphology needs at least one section');
  return { sections };
}

/** A single cylinder (one section). */
export function cylinder(o: { lengthUm: number; diameterUm: number; type?: SectionType }): Morphology {
  return morphology([
    { name: 'cable', type: o.type ?? 'axon', lengthUm: o.lengthUm, diameterUm: o.diameterUm },
  ]);
}

/**
 * A soma (a cylinder as long as it is wide, so its side area equals the sphere's, πd²) with one
 * cylindrical dendrite attached at the soma's end.
 */
export function ballAndStick(o: {
  somaDiameterUm: number;
  dendriteLengthUm: number;
  dendriteDiameterUm: number;
}): Morphology {
  return morphology([
    { name: 'soma', type: 'soma', lengthUm: o.somaDiameterUm, diameterUm: o.somaDiameterUm },
    {
      name: 'dend',
      type: 'dendrite',
      parent: 0,
      lengthUm: o.dendriteLengthUm,
      diameterUm: o.dendriteDiameterUm,
    },
  ]);
}

/** A trunk that splits at its end into two branches (a Y). */
export function yCell(o: {
  trunkLengthUm: number;
  trunkDiameterUm: number;
  branchLengthUm: number | readonly [number, number];
  branchDiameterUm: number | readonly [number, number];
}): Morphology {
  const len = typeof o.branchLengthUm === 'number' ? [o.branchLengthUm, o.branchLengthUm] : o.branchLengthUm;
  const dia =
    typeof o.branchDiameterUm === 'number' ? [o.branchDiameterUm, o.branchDiameterUm] : o.branchDiameterUm;
  return morphology([
    { name: 'trunk', type: 'dendrite', lengthUm: o.trunkLengthUm, diameterUm: o.trunkDiameterUm },
    { name: 'branch0', type: 'dendrite', parent: 0, lengthUm: len[0], diameterUm: dia[0] },
    { name: 'branch1', type: 'dendrite', parent: 0, lengthUm: len[1], diameterUm: dia[1] },
  ]);
}

/**
 * A binary tree of `depth` levels (depth 1: one section; 2: a root and two children; …);
 * at each level lengths and diameters are multiplied by the given ratios (by default the
 * diameter ratio 2^(−2/3) of Rall's 3/2 power rule).
 */
export function binaryTree(
  depth: number,
  o: { lengthUm: number; diameterUm: number; lengthRatio?: number; diameterRatio?: number },
): Morphology {
  if (!(Number.isInteger(depth) && depth >= 1 && depth <= 20))
    throw new MorphologyError(`binaryTree: depth must be an integer in 1…20, got ${depth}`);
  const lr = o.lengthRatio ?? 1;
  const dr = o.diameterRatio ?? 2 ** (-2 / 3);
  const specs: SectionSpec[] = [];
  for (let level = 0; level < depth; level++) {
    const first = specs.length;
    for (let k = 0; k < 2 ** level; k++)
      specs.push({
        name: `b${level}_${k}`,
        type: 'dendrite',
        parent: level === 0 ? -1 : first - 2 ** (level - 1) + (k >> 1),
        lengthUm: o.lengthUm * lr ** level,
        diameterUm: o.diameterUm * dr ** level,
      });
  }
  return morphology(specs);
}

/** Diameter (µm) of a section at position x (µm). */
export function diameterAt(s: Section, x: number): number {
  const p = s.profile;
  if (x <= p[0].x) return p[0].d;
  for (let k = 1; k < p.length; k++) {
    if (x <= p[k].x) {
      const span = p[k].x - p[k - 1].x;
      return span > 0 ? p[k - 1].d + ((p[k].d - p[k - 1].d) * (x - p[k - 1].x)) / span : p[k].d;
    }
  }
  return p[p.length - 1].d;
}

/**
 * Side area (µm², π·(d_a + d_b)/2 per length, the slope of cones ignored) and axial factor
 * ∫ dx / (π r²) (1/µm; × Ri gives the axial resistance) of a section between a and b (µm).
 * Exact for the piecewise-linear profile: over a cone from r_a to r_b of length ℓ,
 * ∫ dx/(π r²) = ℓ/(π r_a r_b).
 */
export function segmentIntegrals(s: Section, a: number, b: number): { area: number; axial: number } {
  const xs = [a, ...s.profile.map((p) => p.x).filter((x) => x > a && x < b), b];
  let area = 0;
  let axial = 0;
  for (let k = 1; k < xs.length; k++) {
    const l = xs[k] - xs[k - 1];
    if (l <= 0) continue;
    const ra = diameterAt(s, xs[k - 1]) / 2;
    const rb = diameterAt(s, xs[k]) / 2;
    area += Math.PI * (ra + rb) * l;
    axial += l / (Math.PI * ra * rb);
  }
  return { area, axial };
}

/** How sections are divided: a fixed count per section, or pieces no longer than maxLengthUm. */
export interface Discretization {
  /** Compartments per section (a number, or per section). */
  perSection?: number | ((s: Section, index: number) => number);
  /** Maximum compartment length, µm (each section gets ceil(length / max) compartments). */
  maxLengthUm?: number;
}

/**
 * Compartments of a morphology, ordered so that every parent precedes its children (index 0 is
 * the root's first compartment). Compartment i covers [x0, x1] of its section; its node sits
 * at the middle. The axial path to the parent's node runs through half of this compartment
 * and half of the parent (two half-compartment resistances in series); a section's first
 * compartment connects to the parent section's compartment that contains parentX.
 */
export interface Compartments {
  readonly morphology: Morphology;
  readonly count: number;
  /** Parent compartment, −1 for the root. */
  readonly parent: Int32Array;
  readonly section: Int32Array;
  /** Start and end along the section, µm. */
  readonly x0: Float64Array;
  readonly x1: Float64Array;
  /** Membrane area, µm². */
  readonly area: Float64Array;
  /** ∫ dx/(πr²) from this node to the parent's node, 1/µm (0 for the root). */
  readonly axialToParent: Float64Array;
  /** First compartment of each section, and its count. */
  readonly first: Int32Array;
  readonly perSection: Int32Array;
}

export function compartmentalize(m: Morphology, how: Discretization = {}): Compartments {
  const S = m.sections.length;
  const per = new Int32Array(S);
  m.sections.forEach((s, i) => {
    let n: number;
    if (how.maxLengthUm !== undefined) {
      if (!(how.maxLengthUm > 0)) throw new MorphologyError('maxLengthUm must be positive');
      n = Math.max(1, Math.ceil(s.length / how.maxLengthUm - 1e-9));
    } else if (typeof how.perSection === 'function') n = how.perSection(s, i);
    else n = how.perSection ?? 1;
    if (!(Number.isInteger(n) && n >= 1))
      throw new MorphologyError(`section ${i} (${s.name}): compartment count must be a positive integer`);
    per[i] = n;
  });
  const count = per.reduce((a, b) => a + b, 0);
  const first = new Int32Array(S);
  const parent = new Int32Array(count);
  const section = new Int32Array(count);
  const x0 = new Float64Array(count);
  const x1 = new Float64Array(count);
  const area = new Float64Array(count);
  const axialToParent = new Float64Array(count);
  let c = 0;
  for (let i = 0; i < S; i++) {
    const s = m.sections[i];
    first[i] = c;
    const h = s.length / per[i];
    for (let k = 0; k < per[i]; k++, c++) {
      section[c] = i;
      x0[c] = k * h;
      x1[c] = k === per[i] - 1 ? s.length : (k + 1) * h;
      area[c] = segmentIntegrals(s, x0[c], x1[c]).area;
      const mid = 0.5 * (x0[c] + x1[c]);
      if (k > 0) {
        parent[c] = c - 1;
        axialToParent[c] = segmentIntegrals(s, 0.5 * (x0[c - 1] + x1[c - 1]), mid).axial;
      } else if (s.parent < 0) {
        parent[c] = -1;
      } else {
        const p = compartmentAt({ first, perSection: per, morphology: m }, s.parent, s.parentX);
        parent[c] = p;
        const ps = m.sections[s.parent];
        const pMid = 0.5 * (x0[p] + x1[p]);
        const at = s.parentX * ps.length;
        // Half of this compartment, plus the parent's section from its node to the attachment.
        axialToParent[c] =
          segmentIntegrals(s, 0, mid).axial +
          segmentIntegrals(ps, Math.min(pMid, at), Math.max(pMid, at)).axial;
      }
    }
  }
  return { morphology: m, count, parent, section, x0, x1, area, axialToParent, first, perSection: per };
}

/** The compartment of a section containing position fraction x (0…1). */
export function compartmentAt(
  c: Pick<Compartments, 'first' | 'perSection' | 'morphology'>,
  section: number,
  x: number,
): number {
  if (!(section >= 0 && section < c.morphology.sections.length))
    throw new MorphologyError(`no section ${section}`);
  if (!(x >= 0 && x <= 1)) throw new MorphologyError(`position ${x} is not a fraction in [0, 1]`);
  return c.first[section] + Math.min(c.perSection[section] - 1, Math.floor(x * c.perSection[section]));
}
