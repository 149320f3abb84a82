/**
 * assembly/vmath.ts's EXP_CONSTANTS in its order (the offsets vexp.ts reads): what a run-time
 * generated SIMD kernel writes at the address it passes to setExpConstants (network/wasm-step.ts,
 * cable/cells-wasm.ts).
 */
export const EXP_CONSTANTS = [
  1.4426950408889634,
  0.693145751953125,
  1.4286068203094173e-6,
  -87,
  88,
  12582912 + 127,
  0.5,
  1.0 / 6,
  1.0 / 24,
  1.0 / 120,
  1.0 / 720,
  1.0 / 5040,
  1,
];
