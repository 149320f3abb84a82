/**
 * The scalar float64 kernels of a program with batch-invariant states (spiking/invariant.ts):
 * the reference's hoisted algorithm (spiking/reference.ts) in AssemblyScript, same order of
 * operations, so results equal it bit for bit. Same exports and arguments as the plain kernels
 * (declared-source.ts); the scratch starts with a float64 table [T][Si][N] (forward: the invariant
 * trajectories; backward: their adjoints summed over the batch).
 *
 * Saved layout: [T][B·N][Sv] float32 for the varying states, then [T][Si][N] for the invariant
 * ones (savedLength in spiking/program.ts).
 */
import type { StepProgram } from '../spiking/program.js';
import { renderPart, scalarSnippets } from './declared-part.js';

export function renderHoisted(prog: StepProgram, suffix: string): string {
  const { S, P, invariant, varying } = prog;
  const Si = invariant.length;
  const Sv = varying.length;
  const V = prog.definition.voltage;
  const SS = S * S;
  const { fn, lq, spike, blend, loadParams, loadInit, spikeAdjoint } = scalarSnippets(prog, suffix);
  const parts = (
    [
      'threshold',
      'reset',
      'resetPartials',
      'thresholdPartials',
      'chargeInvariant',
      'chargeVarying',
      'chargePartialsInvariant',
      'chargePartialsVarying',
    ] as const
  )
    .map((p) => renderPart(prog, p, fn(p)))
    .join('\n\n');
  const at = (buf: string, k: number) => `load<f64>(${buf}, ${k * 8})`;
  // Cell c of neuron j at step t in a [T][Si][N] table of `bytes`-wide values.
  const cell = (base: string, t: string, c: number, bytes: number) =>
    `${base} + ((<usize>(${t}) * ${Si} + ${c}) * <usize>N + <usize>j) * ${bytes}`;
  const savedAt = (t: string, c: number) =>
    `SAVED + ((<usize>(${t}) * <usize>BN + <usize>i) * ${Sv} + ${c}) * 4`;
  // The charged state h[t] of flat neuron i (both parts of the saved layout) into `dst`.
  const loadH = (t: string, dst: string) =>
    [
      ...varying.map((k, c) => `store<f64>(${dst}, <f64>load<f32>(${savedAt(t, c)}), ${k * 8});`),
      ...invariant.map((k, c) => `store<f64>(${dst}, <f64>load<f32>(${cell('SAVT', t, c, 4)}), ${k * 8});`),
    ].join('\n');
  // Σ_k DH[k]·CP[slot(k)] over `rows`, in their order (the reference's).
  const dot = (g: string, rows: readonly number[], slot: (k: number) => number) =>
    [`let ${g}: f64 = 0.0;`, ...rows.map((k) => `${g} += ${at('DH', k)} * ${at('CP', slot(k))};`)].join('\n');
  const block = (lines: string) => `{\n${lines}\n}`;
  return `
${parts}

export function forward${suffix}(
  B: i32, N: i32, T: i32, tv: i32, Rr: i32, om: i32, smooth: i32, kind: i32, sp: f64,
  IN: usize, OUT: usize, SAVED: usize, PRM: usize, INIT: usize, SCR: usize, i0: i32, i1: i32,
): void {
  const rate = om & 1;
  const volt = om & 2;
  const TAB = SCR;
  const Y = TAB + <usize>T * <usize>N * ${Si * 8};
  const H = Y + ${S * 8};
  const RR = H + ${S * 8};
  const PP = RR + ${S * 8};
  const TH = PP + ${P * 8};
  const BN = B * N;
  const SAVT = SAVED + <usize>T * <usize>BN * ${Sv * 4};
  // The invariant states, once per neuron for the whole batch.
  for (let j = 0; j < N; j++) {
    ${loadParams}
    ${loadInit}
    for (let t = 0; t < T; t++) {
      ${fn('chargeInvariant')}(Y, 0.0, PP, H);
      ${invariant
        .map(
          (k, c) => `{
        const v = smooth ? ${at('H', k)} : <f64><f32>${at('H', k)};
        store<f64>(Y, v, ${k * 8});
        store<f64>(${cell('TAB', 't', c, 8)}, v);
        if (SAVED) store<f32>(${cell('SAVT', 't', c, 4)}, <f32>v);
      }`,
        )
        .join('\n      ')}
    }
  }
  for (let i = i0; i < i1; i++) {
    const j = i % N;
    ${loadParams}
    ${loadInit}
    ${fn('threshold')}(PP, 0.0, PP, TH);
    const th = load<f64>(TH);
    let acc: f64 = 0.0;
    let x: f64 = <f64>load<f32>(IN + (<usize>i << 2));
    let xo = i;
    let left = 0;
    for (let t = 0; t < T; t++) {
      if (tv && left-- == 0) {
        x = <f64>load<f32>(IN + (<usize>xo << 2));
        xo += BN;
        left = Rr - 1;
      }
      ${fn('chargeVarying')}(Y, x, PP, H);
      ${invariant.map((k, c) => `store<f64>(H, load<f64>(${cell('TAB', 't', c, 8)}), ${k * 8});`).join('\n      ')}
      if (!smooth) {
        ${varying.map((k) => `store<f64>(H, <f64><f32>${at('H', k)}, ${k * 8});`).join('\n        ')}
      }
      if (SAVED) {
        ${varying.map((k, c) => `store<f32>(${savedAt('t', c)}, <f32>${at('H', k)});`).join('\n        ')}
      }
      const hv = load<f64>(H, ${V * 8});
      const s: f64 = ${spike};
      const o: f64 = volt ? hv : s;
      if (rate) acc += o;
      else store<f32>(OUT + ((<usize>t * <usize>BN + <usize>i) << 2), <f32>o);
      ${blend('H', 's').split('\n').join('\n      ')}
    }
    if (rate) store<f32>(OUT + (<usize>i << 2), <f32>(acc / <f64>T));
  }
}

export function backward${suffix}(
  B: i32, N: i32, T: i32, tv: i32, Rr: i32, om: i32, smooth: i32, kind: i32, sp: f64, detachReset: i32,
  IN: usize, SAVED: usize, GOUT: usize, GIN: usize, PRM: usize, INIT: usize, GPRM: usize, SCR: usize, i0: i32, i1: i32,
): void {
  const rate = om & 1;
  const volt = om & 2;
  const G = SCR;
  const Y = G + <usize>T * <usize>N * ${Si * 8};
  const H = Y + ${S * 8};
  const HP = H + ${S * 8};
  const RR = HP + ${S * 8};
  const LAM = RR + ${S * 8};
  const DH = LAM + ${S * 8};
  const PP = DH + ${S * 8};
  const TH = PP + ${P * 8};
  const DTH = TH + 8;
  const CP = DTH + ${P * 8};
  const RP = CP + ${prog.chargePartialsLength * 8};
  const GP = RP + ${prog.resetPartialsLength * 8};
  const GX = GP + ${P * 8};
  const BN = B * N;
  const SAVT = SAVED + <usize>T * <usize>BN * ${Sv * 4};
  const frames = tv ? T / Rr : 1;
  const invT = 1.0 / <f64>T;
  memory.fill(G, 0, <usize>T * <usize>N * ${Si * 8});
  memory.fill(CP, 0, ${(prog.chargePartialsLength + prog.resetPartialsLength + P) * 8});
  memory.fill(DTH, 0, ${P * 8});
  for (let i = i0; i < i1; i++) {
    const j = i % N;
    ${loadParams}
    ${fn('threshold')}(PP, 0.0, PP, TH);
    ${fn('thresholdPartials')}(PP, 0.0, PP, DTH);
    const th = load<f64>(TH);
    memory.fill(LAM, 0, ${S * 8});
    memory.fill(GP, 0, ${P * 8});
    memory.fill(GX, 0, <usize>frames << 3);
    for (let t = T - 1; t >= 0; t--) {
      ${loadH('t', 'H').split('\n').join('\n      ')}
      if (t == 0) {
        ${loadInit}
      } else {
        ${loadH('t - 1', 'HP').split('\n').join('\n        ')}
        const hv = load<f64>(HP, ${V * 8});
        const sPrev: f64 = ${spike};
        ${blend('HP', 'sPrev').split('\n').join('\n        ')}
      }
      ${spikeAdjoint.split('\n').join('\n      ')}
      ${invariant.map((k, c) => `{ const o = ${cell('G', 't', c, 8)}; store<f64>(o, load<f64>(o) + ${at('DH', k)}); }`).join('\n      ')}
      const xi = tv ? (t / Rr) * BN + i : i;
      const x = <f64>load<f32>(IN + (<usize>xi << 2));
      ${fn('chargePartialsVarying')}(Y, x, PP, CP);
      ${dot('gxt', varying, (k) => SS + k)}
      const frame: i32 = tv ? t / Rr : 0;
      const gxAt = GX + (<usize>frame << 3);
      store<f64>(gxAt, load<f64>(gxAt) + gxt);
      ${lq((q) => block(`${dot('g', varying, (k) => SS + S + k * P + q)}\nstore<f64>(GP, load<f64>(GP, ${q * 8}) + g, ${q * 8});`))}
      ${Array.from({ length: S }, (_, m) => block(`${dot('g', varying, (k) => k * S + m)}\nstore<f64>(LAM, g, ${m * 8});`)).join('\n      ')}
      ${invariant
        .map(
          (k, c) =>
            `if (t > 0) { const o = ${cell('G', 't - 1', c, 8)}; store<f64>(o, load<f64>(o) + ${at('LAM', k)}); }\n      store<f64>(LAM, 0.0, ${k * 8});`,
        )
        .join('\n      ')}
    }
    if (GIN) for (let f = 0; f < frames; f++) {
      const o = GIN + ((<usize>f * <usize>BN + <usize>i) << 2);
      store<f32>(o, <f32>(<f64>load<f32>(o) + load<f64>(GX + (<usize>f << 3))));
    }
    ${lq((q) => `{ const o = GPRM + ((<usize>${q} * <usize>N + <usize>j) << 3); store<f64>(o, load<f64>(o) + load<f64>(GP, ${q * 8})); }`)}
  }
  // The invariant states' own BPTT, once per neuron (their adjoint in LAM).
  for (let j = 0; j < N; j++) {
    ${loadParams}
    memory.fill(LAM, 0, ${S * 8});
    memory.fill(GP, 0, ${P * 8});
    for (let t = T - 1; t >= 0; t--) {
      ${invariant.map((k, c) => `store<f64>(DH, ${at('LAM', k)} + load<f64>(${cell('G', 't', c, 8)}), ${k * 8});`).join('\n      ')}
      if (t == 0) {
        ${loadInit}
      } else {
        ${invariant.map((k, c) => `store<f64>(Y, <f64>load<f32>(${cell('SAVT', 't - 1', c, 4)}), ${k * 8});`).join('\n        ')}
      }
      ${fn('chargePartialsInvariant')}(Y, 0.0, PP, CP);
      ${lq((q) => block(`${dot('g', invariant, (k) => SS + S + k * P + q)}\nstore<f64>(GP, load<f64>(GP, ${q * 8}) + g, ${q * 8});`))}
      ${invariant.map((m) => block(`${dot('g', invariant, (k) => k * S + m)}\nstore<f64>(LAM, g, ${m * 8});`)).join('\n      ')}
    }
    ${lq((q) => `{ const o = GPRM + ((<usize>${q} * <usize>N + <usize>j) << 3); store<f64>(o, load<f64>(o) + load<f64>(GP, ${q * 8})); }`)}
  }
}
`;
}
