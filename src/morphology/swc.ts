/**
 * SWC reader (the NeuroMorpho.Org format): one point per line, `id type x y z radius parent`,
 * `#` starts a comment; µm throughout. Type codes: 0 undefined, 1 soma, 2 axon, 3 (basal)
 * dendrite, 4 apical dendrite, 5–7 custom; others are rejected.
 *
 * Checks (each error names the line): malformed lines, duplicate ids, non-positive radii,
 * unknown type codes, parents that are missing or appear later in the file, cycles, and more
 * than one root (parent −1).
 *
 * From points to sections: an unbranched run of points of one type forms a section; a section
 * ends at a branch point (two or more children), a leaf, or a change of type. A section starts
 * at its parent point (the branch point) and its first stretch, from there to its first own
 * point, takes that point's diameter at both ends (a thick parent does not widen a thin child).
 * The root:
 *  - a soma given as one point (a root of type soma whose children are not soma) becomes a
 *    sphere-equivalent cylinder, length = diameter = 2r (side area 4πr², the sphere's); the
 *    sections leaving it hang from its middle (parentX 0.5) and start at its surface (their
 *    first stretch is shortened by r when longer than r);
 *  - otherwise the root point only starts sections: the first section leaving it is the root
 *    section and the others hang from its start (parentX 0), e.g. the 3-point soma of
 *    NeuroMorpho (a centre and two points ±r) becomes two cylinders of length r and radius r,
 *    side area 4πr².
 */
import { MorphologyError, morphology } from './tree.js';
import type { Morphology, ProfilePoint, SectionSpec, SectionType } from './tree.js';

export class SwcError extends MorphologyError {
  override name = 'SwcError';
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(`SWC line ${line}: ${message}`);
  }
}

export interface SwcPoint {
  id: number;
  type: number;
  x: number;
  y: number;
  z: number;
  radius: number;
  parent: number;
  /** Line number in the text (1-based). */
  line: number;
}

const TYPES: Record<number, SectionType> = {
  0: 'custom',
  1: 'soma',
  2: 'axon',
  3: 'dendrite',
  4: 'apical',
  5: 'custom',
  6: 'custom',
  7: 'custom',
};

/** Parses and checks SWC text; points come back in file order. */
export function parseSwc(text: string): SwcPoint[] {
  const points: SwcPoint[] = [];
  const byId = new Map<number, SwcPoint>();
  text.split(/\r?\n/).forEach((raw, k) => {
    const line = k + 1;
    const body = raw.replace(/#.*$/, '').trim();
    if (body === '') return;
    const fields = body.split(/\s+/);
    if (fields.length !== 7)
      throw new SwcError(line, `expected 7 fields "id type x y z radius parent", got ${fields.length}`);
    const v = fields.map(Number);
    const bad = fields.findIndex((f, i) => f === '' || !Number.isFinite(v[i]));
    if (bad >= 0) throw new SwcError(line, `field ${bad + 1} "${fields[bad]}" is not a number`);
    const [id, type, x, y, z, radius, parent] = v;
    if (!Number.isInteger(id) || id < 0)
      throw new SwcError(line, `id must be a non-negative integer, got ${id}`);
    if (!Number.isInteger(parent) || parent < -1)
      throw new SwcError(line, `parent must be −1 or an id, got ${fields[6]}`);
    if (!Number.isInteger(type) || !(type in TYPES))
      throw new SwcError(line, `unknown type code ${fields[1]} (known: 0–7)`);
    if (!(radius > 0)) throw new SwcError(line, `radius must be positive, got ${fields[5]}`);
    const dup = byId.get(id);
    if (dup) throw new SwcError(line, `duplicate id ${id} (first on line ${dup.line})`);
    const p: SwcPoint = { id, type, x, y, z, radius, parent, line };
    byId.set(id, p);
    points.push(p);
  });
  if (points.length === 0) throw new SwcError(1, 'no points');
  const seen = new Set<number>();
  let root: SwcPoint | undefined;
  for (const p of points) {
    if (p.parent === -1) {
      if (root) throw new SwcError(p.line, `a second root (id ${p.id}; the first is on line ${root.line})`);
      root = p;
    } else if (p.parent === p.id) {
      throw new SwcError(p.line, `point ${p.id} is its own parent (a cycle)`);
    } else if (!seen.has(p.parent)) {
      const later = byId.get(p.parent);
      if (!later) throw new SwcError(p.line, `parent ${p.parent} of point ${p.id} does not exist`);
      // Walk up from the parent: coming back to p is a cycle.
      let q: SwcPoint | undefined = later;
      for (let steps = 0; q && steps <= points.length; steps++) {
        if (q.id === p.id) throw new SwcError(p.line, `point ${p.id} lies on a cycle of parents`);
        q = q.parent === -1 ? undefined : byId.get(q.parent);
      }
      throw new SwcError(p.line, `parent ${p.parent} of point ${p.id} appears later (line ${later.line})`);
    }
    seen.add(p.id);
  }
  if (!root) throw new SwcError(points[0].line, 'no root (a point with parent −1)');
  return points;
}

/** Reads SWC text into a morphology of sections (see the file's doc for the conversion). */
export function readSwc(text: string): Morphology {
  const points = parseSwc(text);
  const children = new Map<number, SwcPoint[]>();
  for (const p of points) {
    if (p.parent === -1) continue;
    const list = children.get(p.parent) ?? [];
    list.push(p);
    children.set(p.parent, list);
  }
  const root = points.find((p) => p.parent === -1) as SwcPoint;
  const kids = (p: SwcPoint): SwcPoint[] => children.get(p.id) ?? [];
  const dist = (a: SwcPoint, b: SwcPoint): number => Math.hypot(a.x - b.x, a.y - b.y, a.z - b.z);
  const specs: SectionSpec[] = [];
  /** Section index whose last point is the given point id. */
  const endsAt = new Map<number, number>();
  const sphere = root.type === 1 && !kids(root).some((c) => c.type === 1);
  if (sphere)
    specs.push({ name: 'soma', type: 'soma', lengthUm: 2 * root.radius, diameterUm: 2 * root.radius });

  // Sections in depth-first order from the root, so parents precede children.
  const stack: { start: SwcPoint; first: SwcPoint }[] = kids(root)
    .slice()
    .reverse()
    .map((c) => ({ start: root, first: c }));
  while (stack.length > 0) {
    const { start, first } = stack.pop() as { start: SwcPoint; first: SwcPoint };
    const run: SwcPoint[] = [first];
    for (;;) {
      const last = run[run.length - 1];
      const next = kids(last);
      if (next.length !== 1 || next[0].type !== last.type) break;
      run.push(next[0]);
    }
    let firstLen = dist(start, first);
    if (start === root && sphere && firstLen > root.radius) firstLen -= root.radius;
    const profile: ProfilePoint[] = [
      { x: 0, d: 2 * first.radius },
      { x: firstLen, d: 2 * first.radius },
    ];
    for (let k = 1; k < run.length; k++)
      profile.push({ x: profile[profile.length - 1].x + dist(run[k - 1], run[k]), d: 2 * run[k].radius });
    // Zero-length stretches (repeated coordinates) add nothing; a section must have some length.
    const length = profile[profile.length - 1].x;
    if (!(length > 0))
      throw new SwcError(first.line, `section starting at point ${first.id} has zero length`);
    let parent: number;
    let parentX: number;
    if (start === root) {
      if (sphere) [parent, parentX] = [0, 0.5];
      else [parent, parentX] = specs.length === 0 ? [-1, 1] : [0, 0];
    } else {
      parent = endsAt.get(start.id) as number;
      parentX = 1;
    }
    const idx = specs.length;
    specs.push({
      name: `${TYPES[first.type]}${idx}`,
      type: TYPES[first.type],
      parent,
      parentX,
      lengthUm: length,
      profile,
    });
    const last = run[run.length - 1];
    endsAt.set(last.id, idx);
    const next = kids(last);
    for (let k = next.length - 1; k >= 0; k--) stack.push({ start: last, first: next[k] });
  }
  if (specs.length === 0) {
    // A single point that is not a soma: treat it as a sphere too.
    specs.push({
      name: 'soma',
      type: TYPES[root.type],
      lengthUm: 2 * root.radius,
      diameterUm: 2 * root.radius,
    });
  }
  return morphology(specs);
}
