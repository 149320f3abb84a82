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
  gemmInnerBlock,
} from './gemm';
export {
  runJob,
  JOB_GEMM,
  JOB_HH,
  JOB_SPIKING,
  JOB_ADAM,
  JOB_PACK,
  JOB_DECLARED,
  JOB_TICKET,
  JOB_WAKE,
  JOB_COMPLETED,
  JOB_INFLIGHT,
  JOB_ERRORS,
  JOB_CHUNKS,
  JOB_KIND,
  JOB_ARGS,
  JOB_MAX_ARGS,
  JOB_DONE,
  JOB_MAX_CHUNKS,
  JOB_BYTES,
} from './jobs';
export { vectorExp, expConstants } from './vmath';
export {
  hhAdvance,
  hhSetArgs,
  hhSetBytes,
  hhSetTable,
  HH_EULER,
  HH_EXPEULER,
  HH_RK4,
  HH_SLOTS,
  HH_ARG_BYTES,
  HH_TABLE_ROW,
} from './hh-sim';
export { adam } from './adam';
export { im2col, col2im, avgPool2d, avgPool2dBackward } from './conv';
export {
  lifForward,
  lifBackward,
  learningHhForward,
  learningHhBackward,
  slif2hhForward,
  slif2hhBackward,
  PHASE_PREPARE,
  PHASE_ROWS,
  PHASE_FINISH,
  PHASE_PREPARE_NEURONS,
  SUM_BLOCK,
} from './spiking';
export {
  multiBranchForward,
  multiBranchBackward,
  MB_INTS,
  MB_FLOATS,
  MB_FLOAT_AT,
  MB_RECORD_BYTES,
  MB_SCRATCH_PER_BRANCH,
} from './multibranch';
export { affineScratchBytes, lhhFactorBackward } from './lhh-affine';
export {
  spikingCall,
  SP_LHH_FORWARD,
  SP_LHH_BACKWARD,
  SP_LHH_AFFINE_FORWARD,
  SP_LHH_AFFINE_BACKWARD,
  SP_LIF_FORWARD,
  SP_LIF_BACKWARD,
  SP_SLIF2HH_FORWARD,
  SP_SLIF2HH_BACKWARD,
  SP_INTS,
  SP_FLOATS,
  SP_FLOAT_AT,
  SP_RECORD_BYTES,
} from './spiking-jobs';

/** First byte the kernels' host may use (past this module's static data). */
export function heapBase(): usize {
  return __heap_base;
}
