/**
 * Surrogate gradients for the spike nonlinearity (spec 2.6). The forward pass is the Heaviside
 * step s = H(x), x = u − θ; backward replaces dH/dx with a surrogate. Every surrogate also has a
 * primitive P with P' = grad exactly (a smooth or piecewise-linear stand-in for H, rising from 0
 * to the surrogate's total mass), used by the "smooth" forward that gradient checks differentiate.
 *
 * Kernels receive a surrogate as a numeric id plus one parameter (see spiking-types.ts), never a
 * closure; the formulas live once, in the reference kernels, and are re-exported here.
 *
 * | name         | parameter (default) | grad(x)                        | primitive(x)                     |
 * |--------------|---------------------|--------------------------------|----------------------------------|
 * | rectangular  | width a (0.5)       | 1{|x| < a} (height 1, STBP)    | clamp(x + a, 0, 2a)              |
 * | sigmoid      | α (4)               | α·σ(αx)(1 − σ(αx))             | σ(αx)                            |
 * | arctan       | α (2)               | (α/2)/(1 + (παx/2)²)           | 1/2 + atan(παx/2)/π              |
 * | fast-sigmoid | slope k (25)        | (k/2)/(1 + k|x|)²              | 1/2 + (kx/2)/(1 + k|x|)          |
 *
 * Sigmoid, arctan and fast-sigmoid are normalised to unit area (their primitives go from 0 to 1,
 * like H); the rectangular window keeps the reference's height 1, so its area is 2a.
 */
import {
  SURROGATE_ARCTAN,
  SURROGATE_FAST_SIGMOID,
  SURROGATE_RECTANGULAR,
  SURROGATE_SIGMOID,
} from '../kernels/spiking-types.js';
import { surrogateGradAt, surrogatePrimitiveAt } from '../kernels/spiking/surrogates.js';

export type SurrogateName = 'rectangular' | 'sigmoid' | 'arctan' | 'fast-sigmoid';

export interface Surrogate {
  readonly name: SurrogateName;
  /** Kernel id (SURROGATE_* in spiking-types.ts). */
  readonly id: number;
  /** The one shape parameter (width, α or slope). */
  readonly param: number;
  /** What the parameter is called ('width', 'alpha', 'slope'). */
  readonly paramName: string;
  /** Surrogate derivative dS/dx at x = u − θ. */
  grad(x: number): number;
  /** Primitive of grad (smooth-mode forward), P' = grad. */
  primitive(x: number): number;
}

interface SurrogateInfo {
  id: number;
  paramName: string;
  defaultParam: number;
}

const REGISTRY: Readonly<Record<SurrogateName, SurrogateInfo>> = Object.freeze({
  rectangular: { id: SURROGATE_RECTANGULAR, paramName: 'width', defaultParam: 0.5 },
  sigmoid: { id: SURROGATE_SIGMOID, paramName: 'alpha', defaultParam: 4 },
  arctan: { id: SURROGATE_ARCTAN, paramName: 'alpha', defaultParam: 2 },
  'fast-sigmoid': { id: SURROGATE_FAST_SIGMOID, paramName: 'slope', defaultParam: 25 },
});

/** The registered surrogate names. */
export function surrogateNames(): SurrogateName[] {
  return Object.keys(REGISTRY) as SurrogateName[];
}

export function isSurrogateName(name: string): name is SurrogateName {
  return Object.prototype.hasOwnProperty.call(REGISTRY, name);
}

/** The default parameter of a surrogate (rectangular 0.5, sigmoid 4, arctan 2, fast-sigmoid 25). */
export function defaultSurrogateParam(name: SurrogateName): number {
  return REGISTRY[name].defaultParam;
}

/** A surrogate by name, with its default parameter unless one is given (must be finite, > 0). */
export function makeSurrogate(name: string, param?: number): Surrogate {
  if (!isSurrogateName(name)) {
    throw new Error(`unknown surrogate '${name}' (valid: ${surrogateNames().join(', ')})`);
  }
  const info = REGISTRY[name];
  const p = param ?? info.defaultParam;
  if (typeof p !== 'number' || !Number.isFinite(p) || p <= 0) {
    throw new RangeError(`surrogate '${name}': ${info.paramName} must be a finite number > 0, got ${p}`);
  }
  const id = info.id;
  return Object.freeze({
    name,
    id,
    param: p,
    paramName: info.paramName,
    grad: (x: number) => surrogateGradAt(id, p, x),
    primitive: (x: number) => surrogatePrimitiveAt(id, p, x),
  });
}

/** Rectangular window 1{|x| < width} (the STBP reference surrogate). */
export const rectangular = (width = REGISTRY.rectangular.defaultParam): Surrogate =>
  makeSurrogate('rectangular', width);
export const sigmoidSurrogate = (alpha = REGISTRY.sigmoid.defaultParam): Surrogate =>
  makeSurrogate('sigmoid', alpha);
export const arctanSurrogate = (alpha = REGISTRY.arctan.defaultParam): Surrogate =>
  makeSurrogate('arctan', alpha);
export const fastSigmoidSurrogate = (slope = REGISTRY['fast-sigmoid'].defaultParam): Surrogate =>
  makeSurrogate('fast-sigmoid', slope);

/** The default surrogate: rectangular, width 0.5. */
export const DEFAULT_SURROGATE: Surrogate = rectangular();

/**
 * Parses 'name' or 'name:param' (e.g. 'arctan', 'rectangular:0.3', 'sigmoid:5'); throws with the
 * list of valid names for an unknown name.
 */
export function parseSurrogate(spec: string): Surrogate {
  const text = spec.trim();
  const colon = text.indexOf(':');
  const name = (colon < 0 ? text : text.slice(0, colon)).trim().toLowerCase();
  if (!isSurrogateName(name)) {
    throw new Error(
      `unknown surrogate '${spec}' (valid: ${surrogateNames().join(', ')}; optionally name:param)`,
    );
  }
  if (colon < 0) return makeSurrogate(name);
  const raw = text.slice(colon + 1).trim();
  const p = Number(raw);
  if (raw === '' || !Number.isFinite(p)) {
    throw new RangeError(`surrogate '${spec}': ${REGISTRY[name].paramName} '${raw}' is not a number`);
  }
  return makeSurrogate(name, p);
}

/** A Surrogate object as is, a string parsed, undefined → the fallback. */
export function resolveSurrogate(s: Surrogate | string | undefined, fallback: Surrogate): Surrogate {
  if (s === undefined) return fallback;
  if (typeof s === 'string') return parseSurrogate(s);
  // Rebuilt from name and parameter so the kernel id always matches the name.
  return makeSurrogate(s.name, s.param);
}
