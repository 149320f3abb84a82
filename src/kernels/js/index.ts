import { Backend } from '../backend.js';
import { adamJs } from './adam.js';
import { gemmJs } from './gemm.js';

/** The plain-TypeScript reference backend: every fast backend is tested against this one. */
export function createJsBackend(): Backend {
  return { name: 'js', gemm: gemmJs, adam: adamJs };
}
