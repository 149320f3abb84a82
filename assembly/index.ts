// Entry point of hhnet.wasm: the SIMD kernels behind src/kernels/wasm. The memory is imported
// (shared, so worker threads can run the same kernels on the same operands); the JS side lays out
// its scratch and operand regions from heapBase() upwards.
export {
  gemm,
  gemmPacked,
  packAll,
  packedABytes,
  gemmScratchBytes,
  gemmColBlock,
  runJob,
  JOB_TICKET,
  JOB_WAKE,
  JOB_COMPLETED,
  JOB_INFLIGHT,
  JOB_ERRORS,
  JOB_CHUNKS,
  JOB_CHUNK_COLS,
  JOB_TRANS_B,
  JOB_M,
  JOB_N,
  JOB_K,
  JOB_PA,
  JOB_B,
  JOB_C,
  JOB_ACCUMULATE,
  JOB_DONE,
  JOB_MAX_CHUNKS,
  JOB_BYTES,
} from './gemm';
export { adam } from './adam';
export {
  lifForward,
  lifBackward,
  learningHhForward,
  learningHhBackward,
  fullHhForward,
  fullHhBackward,
  slif2hhForward,
  slif2hhBackward,
} from './spiking';

/** First byte the kernels' host may use (past this module's static data). */
export function heapBase(): usize {
  return __heap_base;
}
