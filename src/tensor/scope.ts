/**
 * Step scopes: a training step's large buffers go back to the backend when the step ends, instead
 * of when the garbage collector gets to them.
 *
 * Why: a step's activations and gradients are garbage once the optimiser has stepped, but V8 frees
 * an array's memory only after a collection that finds it dead, and a training step allocates too
 * few JavaScript objects to trigger one often: for tens of steps every activation lands on fresh
 * memory, and each fresh page costs a page fault (hh-fc on the 2-core machine: ~285 faults and
 * ~3 ms of a 12 ms step, until a collection lets the memory be reused). Inside `tidy(fn)` the large
 * arrays that ops and gradients allocate (≥ RESIDENT_MIN_FLOATS floats) come from the backend
 * (on wasm: its module's memory, which its kernels also read and write in place, without copies)
 * and are released when fn returns or throws, so the next step reuses the same memory.
 *
 * The price is TensorFlow.js's: tensors made inside a scope are dead after it. Reading `data` of
 * one throws (it says which tensor and why); a tensor fn returns (or an array of them) is kept.
 * Raw arrays taken from `data` inside the scope must not be kept past it: copy them (`slice()`).
 * Leaves' grads (parameters, inputs) never come from a scope.
 */
import { RESIDENT_MIN_FLOATS, getBackend } from '../kernels/backend.js';
import type { Backend } from '../kernels/backend.js';
import type { Tensor } from './tensor.js';

interface Scope {
  backend: Backend;
  buffers: Float32Array[];
  tensors: Tensor[];
}

const scopes: Scope[] = [];

/**
 * Runs fn (one training step: forward, backward, optimiser step) and releases the large buffers
 * its tensors and gradients allocated; tensors fn returns stay valid (and belong to an enclosing
 * scope, if any).
 */
export function tidy<T>(fn: () => T): T {
  const scope: Scope = { backend: getBackend(), buffers: [], tensors: [] };
  scopes.push(scope);
  let result: T | undefined;
  try {
    result = fn();
    return result;
  } finally {
    scopes.pop();
    close(scope, keptTensors(result));
  }
}

/** Whether a tidy() scope is open (so large allocations are scoped). */
export function inScope(): boolean {
  return scopes.length > 0;
}

/**
 * A float array for an op's output or a non-leaf gradient: inside a scope and large, from the
 * backend and released with the scope; otherwise a plain array. Zeroed unless `zero` is false.
 */
export function scopedArray(n: number, zero = true): Float32Array {
  const scope = scopes[scopes.length - 1];
  if (!scope || n < RESIDENT_MIN_FLOATS) return new Float32Array(n);
  const buf = scope.backend.allocate(n, zero);
  scope.buffers.push(buf);
  return buf;
}

/** Registers a tensor made inside the scope, so it is marked released if its data is. */
export function noteTensor(t: Tensor, data: Float32Array): void {
  const scope = scopes[scopes.length - 1];
  if (scope && scope.buffers.length > 0 && overlapsAny(data, scope.buffers)) scope.tensors.push(t);
}

/** Whether arr shares memory with a buffer an open scope will release. */
export function isScoped(arr: Float32Array): boolean {
  return scopes.some((s) => overlapsAny(arr, s.buffers));
}

function close(scope: Scope, kept: readonly Tensor[]): void {
  const keptData = kept.map((t) => t.data);
  const parent = scopes[scopes.length - 1];
  for (const buf of scope.buffers) {
    if (keptData.some((d) => overlaps(d, buf))) parent?.buffers.push(buf);
    else scope.backend.release(buf);
  }
  for (const t of scope.tensors) {
    if (kept.includes(t)) parent?.tensors.push(t);
    else if (!keptData.some((d) => overlaps(d, t.data))) t.markReleased();
  }
}

function keptTensors(result: unknown): Tensor[] {
  const isTensor = (x: unknown): x is Tensor =>
    typeof x === 'object' && x !== null && typeof (x as Tensor).markReleased === 'function';
  if (isTensor(result)) return [result];
  if (Array.isArray(result)) return result.filter(isTensor);
  return [];
}

function overlapsAny(arr: Float32Array, bufs: readonly Float32Array[]): boolean {
  for (const b of bufs) if (overlaps(arr, b)) return true;
  return false;
}

/** Same memory: resident arrays all view one module memory, so compare byte ranges too. */
function overlaps(a: Float32Array, b: Float32Array): boolean {
  return (
    a.buffer === b.buffer &&
    a.byteOffset < b.byteOffset + b.byteLength &&
    b.byteOffset < a.byteOffset + a.byteLength
  );
}
