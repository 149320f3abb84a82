/**
 * Connection rules, drawn from a seeded generator into compressed sparse rows grouped by the
 * presynaptic neuron (CSR): the targets of source neuron j are targets[offsets[j] … offsets[j+1]),
 * in increasing order. Sources and targets are counted within the two (sub)populations the rule
 * connects; `autapse` says whether source j and target i may be the same neuron.
 */
import { Growable } from '../util/growable.js';
import type { Rng } from '../util/rng.js';

export type ConnectionRule =
  | { rule: 'probability'; p: number }
  | { rule: 'in-degree'; k: number }
  | { rule: 'one-to-one' }
  | { rule: 'all-to-all' }
  | { rule: 'explicit'; pre: readonly number[]; post: readonly number[] };

export const fixedProbability = (p: number): ConnectionRule => ({ rule: 'probability', p });
export const fixedInDegree = (k: number): ConnectionRule => ({ rule: 'in-degree', k });
export const oneToOne = (): ConnectionRule => ({ rule: 'one-to-one' });
export const allToAll = (): ConnectionRule => ({ rule: 'all-to-all' });
export const explicit = (pre: readonly number[], post: readonly number[]): ConnectionRule => ({
  rule: 'explicit',
  pre,
  post,
});

export interface Csr {
  offsets: Uint32Array;
  targets: Uint32Array;
}

/** The most synapses one projection may hold (Uint32 indices; a typed array's length). */
export const MAX_SYNAPSES = 2 ** 31 - 1;

/**
 * Checks a rule for a source of nPre and a target of nPost neurons; `where` names the projection.
 * selfOffset: index of target neuron 0 among the source's neurons when both are views of one
 * population (for autapses), or null.
 */
export function checkRule(rule: ConnectionRule, nPre: number, nPost: number, where: string): void {
  if (rule === null || typeof rule !== 'object')
    throw new TypeError(`${where}: expected a connection rule such as { "rule": "probability", "p": 0.02 }`);
  switch (rule.rule) {
    case 'probability':
      if (!(rule.p >= 0 && rule.p <= 1))
        throw new RangeError(`${where}: connection probability p must be in [0, 1], got ${rule.p}`);
      return;
    case 'in-degree':
      if (!Number.isInteger(rule.k) || rule.k < 0 || rule.k > nPre)
        throw new RangeError(
          `${where}: in-degree k must be an integer in [0, ${nPre}] (the source's size), got ${rule.k}`,
        );
      return;
    case 'one-to-one':
      if (nPre !== nPost)
        throw new RangeError(
          `${where}: one-to-one needs source and target of one size, got ${nPre} and ${nPost}`,
        );
      return;
    case 'all-to-all':
      return;
    case 'explicit': {
      const { pre, post } = rule;
      if (!Array.isArray(pre) || !Array.isArray(post) || pre.length !== post.length)
        throw new RangeError(`${where}: explicit connections need "pre" and "post" lists of one length`);
      for (let s = 0; s < pre.length; s++) {
        if (!Number.isInteger(pre[s]) || pre[s] < 0 || pre[s] >= nPre)
          throw new RangeError(`${where}: pre[${s}] = ${pre[s]} is not a source neuron (0 … ${nPre - 1})`);
        if (!Number.isInteger(post[s]) || post[s] < 0 || post[s] >= nPost)
          throw new RangeError(`${where}: post[${s}] = ${post[s]} is not a target neuron (0 … ${nPost - 1})`);
      }
      return;
    }
    default:
      throw new RangeError(
        `${where}: unknown connection rule ${JSON.stringify((rule as { rule: unknown }).rule)}; expected probability, in-degree, one-to-one, all-to-all or explicit`,
      );
  }
}

/**
 * The synapses of a rule as CSR over sources. self(j): the target index that is source j itself
 * (−1 when none), for excluding autapses.
 */
export function connect(
  rule: ConnectionRule,
  nPre: number,
  nPost: number,
  rng: Rng,
  autapses: boolean,
  self: (j: number) => number,
): Csr {
  const skip = (j: number, i: number): boolean => !autapses && self(j) === i;
  switch (rule.rule) {
    case 'probability': {
      const offsets = new Uint32Array(nPre + 1);
      const out = new Growable(new Uint32Array(1024), MAX_SYNAPSES, 'synapses in a projection');
      const p = rule.p;
      // Geometric gaps between successive synapses of a row: one draw per synapse, not per pair.
      const logq = Math.log1p(-p);
      for (let j = 0; j < nPre; j++) {
        if (p >= 1) {
          for (let i = 0; i < nPost; i++) if (!skip(j, i)) out.push(i);
        } else if (p > 0) {
          let i = -1;
          for (;;) {
            i += 1 + Math.floor(Math.log1p(-rng.uniform()) / logq);
            if (i >= nPost) break;
            if (!skip(j, i)) out.push(i);
          }
        }
        offsets[j + 1] = out.length;
      }
      return { offsets, targets: out.view().slice() };
    }
    case 'all-to-all':
      return connect({ rule: 'probability', p: 1 }, nPre, nPost, rng, autapses, self);
    case 'one-to-one':
      return fromPairs(
        Array.from({ length: nPre }, (_, j) => j).filter((j) => !skip(j, j)),
        Array.from({ length: nPre }, (_, j) => j).filter((j) => !skip(j, j)),
        nPre,
      );
    case 'explicit': {
      const pre: number[] = [];
      const post: number[] = [];
      for (let s = 0; s < rule.pre.length; s++)
        if (!skip(rule.pre[s], rule.post[s])) {
          pre.push(rule.pre[s]);
          post.push(rule.post[s]);
        }
      return fromPairs(pre, post, nPre);
    }
    case 'in-degree': {
      // Each target draws k distinct sources (partial Fisher–Yates over the candidates).
      const k = rule.k;
      const pre = new Uint32Array(k * nPost);
      const post = new Uint32Array(k * nPost);
      const pool = new Uint32Array(nPre);
      let m = 0;
      for (let i = 0; i < nPost; i++) {
        let size = 0;
        for (let j = 0; j < nPre; j++) if (!skip(j, i)) pool[size++] = j;
        if (k > size)
          throw new RangeError(
            `in-degree ${k} is more than the ${size} sources target ${i} can have without autapses`,
          );
        for (let s = 0; s < k; s++) {
          const r = s + rng.int(size - s);
          const t = pool[r];
          pool[r] = pool[s];
          pool[s] = t;
          pre[m] = t;
          post[m++] = i;
        }
      }
      return fromPairs(pre, post, nPre);
    }
  }
}

/** CSR of (pre[s], post[s]) pairs: counting sort by source, targets in increasing order. */
function fromPairs(pre: ArrayLike<number>, post: ArrayLike<number>, nPre: number): Csr {
  const m = pre.length;
  const offsets = new Uint32Array(nPre + 1);
  for (let s = 0; s < m; s++) offsets[pre[s] + 1]++;
  for (let j = 0; j < nPre; j++) offsets[j + 1] += offsets[j];
  const fill = offsets.slice(0, nPre);
  const targets = new Uint32Array(m);
  for (let s = 0; s < m; s++) targets[fill[pre[s]]++] = post[s];
  for (let j = 0; j < nPre; j++) targets.subarray(offsets[j], offsets[j + 1]).sort();
  return { offsets, targets };
}
