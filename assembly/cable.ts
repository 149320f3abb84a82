// Entry point of hhnet-cable.wasm: the single-cell cable kernel (cable-cell.ts) on its own, a
// module small enough for its host (src/cable/cell-wasm.ts) to compile eagerly with V8's optimising
// compiler. The memory is imported; the host lays out its regions from heapBase() upwards.
export {
  cableCellRun,
  CABLE_PARTITIONED,
  CABLE_TREE,
  CABLE_ARG_FIELDS,
  CABLE_ARRAYS,
  CABLE_BLOCKS,
  CABLE_RED_BYTES,
} from './cable-cell';

/** First byte the host may use (past this module's static data). */
export function heapBase(): usize {
  return __heap_base;
}
