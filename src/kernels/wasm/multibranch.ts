/**
 * The multi-branch neuron's kernels on the wasm backend (assembly/multibranch.ts): the reference's
 * argument checks, then the operands, one argument record and the kernel's per-branch scratch are
 * placed in the module's memory (resident operands used in place), the kernel runs on this thread
 * and the outputs, saved states and accumulated gradients are copied back. Calls too large for
 * the memory run the reference.
 */
import type { Backend } from '../backend.js';
import {
  MultiBranchBackwardArgs,
  MultiBranchBase,
  MultiBranchForwardArgs,
  checkMultiBranch,
} from '../js/multibranch.js';
import { spikeCut } from '../js/spiking.js';
import { checkLen, ioLengths } from '../spiking-checks.js';
import type { Arena } from './arena.js';
import type { WasmGlobal } from './module.js';
import { F_SAVE, SLACK, baseFlags } from './spiking.js';

export interface MultiBranchExports {
  /** Units [u0, u1) of the call recorded at rec (the layout of MB_* below). */
  multiBranchForward(rec: number, u0: number, u1: number): void;
  multiBranchBackward(rec: number, u0: number, u1: number): void;
  MB_INTS: WasmGlobal;
  MB_FLOATS: WasmGlobal;
  MB_FLOAT_AT: WasmGlobal;
  MB_RECORD_BYTES: WasmGlobal;
  MB_SCRATCH_PER_BRANCH: WasmGlobal;
}

type MultiBranchKernels = Pick<Backend, 'multiBranchForward' | 'multiBranchBackward'>;

/** The record's i32 slots, in assembly/multibranch.ts's order (I_BN … I_SCRATCH). */
interface RecordPointers {
  input: number;
  out: number;
  state: number;
  coupling: number;
  leak: number;
  gradOut: number;
  gradInput: number;
  gradCoupling: number;
  gradLeak: number;
  scratch: number;
}

export function createMultiBranchKernels(
  ex: MultiBranchExports,
  arena: Arena,
  settle: () => void,
  js: MultiBranchKernels,
): MultiBranchKernels {
  const ints = ex.MB_INTS.value;
  const floats = ex.MB_FLOATS.value;
  const floatAt = ex.MB_FLOAT_AT.value;
  const recordBytes = ex.MB_RECORD_BYTES.value;
  const scratchPerBranch = ex.MB_SCRATCH_PER_BRANCH.value;

  /**
   * Byte offsets for the operands (array or null, and its float count; resident arrays in
   * place), then the record and the scratch; null when they cannot fit.
   */
  function place(regions: readonly (readonly [Float32Array | null, number])[], K: number): number[] | null {
    settle();
    const resident = regions.map(([arr, n]) => (n > 0 ? arena.residentPtr(arr) : -1));
    const sizes = regions.map(([, n], i) => (resident[i] < 0 ? n * 4 + SLACK : 0));
    const ptrs = arena.place([...sizes, recordBytes, K * scratchPerBranch + SLACK]);
    return ptrs && ptrs.map((ptr, i) => (i < regions.length && resident[i] >= 0 ? resident[i] : ptr));
  }

  function writeRecord(rec: number, a: MultiBranchBase, flags: number, p: RecordPointers): void {
    const buf = arena.memory.buffer;
    const { C, gNa, gK, gL, ENa, EK, EL } = a.constants;
    const { initial, threshold: th } = a;
    new Int32Array(buf, rec, ints).set([
      a.batch * a.neurons,
      a.neurons,
      a.branches,
      a.steps,
      flags,
      a.surrogate,
      a.somaInput ? 1 : 0,
      a.activeBranches ? 1 : 0,
      p.input,
      p.out,
      p.state,
      p.coupling,
      p.leak,
      p.gradOut,
      p.gradInput,
      p.gradCoupling,
      p.gradLeak,
      p.scratch,
    ]);
    new Float64Array(buf, rec + floatAt, floats).set([
      C,
      gNa,
      gK,
      gL,
      ENa,
      EK,
      EL,
      a.dt,
      a.inputScale,
      initial.v,
      initial.m,
      initial.h,
      initial.n,
      th,
      spikeCut(th),
      a.surrogateParam,
    ]);
  }

  const none = { gradOut: 0, gradInput: 0, gradCoupling: 0, gradLeak: 0 };

  function multiBranchForward(a: MultiBranchForwardArgs): void {
    const where = 'multiBranchForward';
    const { inW, S } = checkMultiBranch(a, where);
    const { input, out, state, coupling, branchLeak } = a;
    const BN = a.batch * a.neurons;
    const NK = a.neurons * a.branches;
    const { inLen, outLen } = ioLengths(a, inW, a.neurons);
    checkLen(where, 'input', input, inLen);
    checkLen(where, 'out', out, outLen);
    checkLen(where, 'state', state, S * a.steps * BN);
    if (BN === 0 || a.steps === 0) return js.multiBranchForward(a);
    const stateLen = state ? S * a.steps * BN : 0;
    const ptrs = place(
      [
        [input, inLen],
        [out, outLen],
        [state, stateLen],
        [coupling, NK],
        [branchLeak, NK],
      ],
      a.branches,
    );
    if (!ptrs) return js.multiBranchForward(a);
    const [pIn, pOut, pState, pC, pL, rec, scratch] = ptrs;
    arena.write(pIn, input, inLen);
    arena.write(pC, coupling, NK);
    arena.write(pL, branchLeak, NK);
    const flags = baseFlags(a) | (state ? F_SAVE : 0);
    writeRecord(rec, a, flags, {
      ...none,
      input: pIn,
      out: pOut,
      state: state ? pState : 0,
      coupling: pC,
      leak: pL,
      scratch,
    });
    ex.multiBranchForward(rec, 0, BN);
    arena.read(pOut, out, outLen);
    if (state) arena.read(pState, state, stateLen);
  }

  function multiBranchBackward(a: MultiBranchBackwardArgs): void {
    const where = 'multiBranchBackward';
    const { inW, S } = checkMultiBranch(a, where);
    const { state, gradOut, gradInput, gradCoupling, gradBranchLeak, coupling, branchLeak } = a;
    const BN = a.batch * a.neurons;
    const NK = a.neurons * a.branches;
    const { inLen, outLen } = ioLengths(a, inW, a.neurons);
    const stateLen = S * a.steps * BN;
    checkLen(where, 'state', state, stateLen);
    checkLen(where, 'gradOut', gradOut, outLen);
    checkLen(where, 'gradInput', gradInput, inLen);
    checkLen(where, 'gradCoupling', gradCoupling, NK);
    checkLen(where, 'gradBranchLeak', gradBranchLeak, NK);
    if (BN === 0 || a.steps === 0) return js.multiBranchBackward(a);
    const ptrs = place(
      [
        [state, stateLen],
        [gradOut, outLen],
        [gradInput, gradInput ? inLen : 0],
        [coupling, NK],
        [branchLeak, NK],
        [gradCoupling, gradCoupling ? NK : 0],
        [gradBranchLeak, gradBranchLeak ? NK : 0],
      ],
      a.branches,
    );
    if (!ptrs) return js.multiBranchBackward(a);
    const [pState, pOut, pIn, pC, pL, pGc, pGl, rec, scratch] = ptrs;
    arena.write(pState, state, stateLen);
    arena.write(pOut, gradOut, outLen);
    arena.write(pC, coupling, NK);
    arena.write(pL, branchLeak, NK);
    // The gradients accumulate: their current values go in.
    if (gradInput) arena.write(pIn, gradInput, inLen);
    if (gradCoupling) arena.write(pGc, gradCoupling, NK);
    if (gradBranchLeak) arena.write(pGl, gradBranchLeak, NK);
    writeRecord(rec, a, baseFlags(a), {
      input: 0,
      out: 0,
      state: pState,
      coupling: pC,
      leak: pL,
      gradOut: pOut,
      gradInput: gradInput ? pIn : 0,
      gradCoupling: gradCoupling ? pGc : 0,
      gradLeak: gradBranchLeak ? pGl : 0,
      scratch,
    });
    ex.multiBranchBackward(rec, 0, BN);
    if (gradInput) arena.read(pIn, gradInput, inLen);
    if (gradCoupling) arena.read(pGc, gradCoupling, NK);
    if (gradBranchLeak) arena.read(pGl, gradBranchLeak, NK);
  }

  return { multiBranchForward, multiBranchBackward };
}
