import { genericBackwardJs, genericForwardJs } from '../spiking/reference.js';
import { Backend } from '../backend.js';
import { adamJs } from './adam.js';
import { avgPool2dBackwardJs, avgPool2dJs, col2imJs, im2colJs } from './conv.js';
import { gemmJs } from './gemm.js';
import { multiBranchBackwardJs, multiBranchForwardJs } from './multibranch.js';
import {
  learningHhBackwardJs,
  learningHhForwardJs,
  lifBackwardJs,
  lifForwardJs,
  slif2hhBackwardJs,
  slif2hhForwardJs,
} from './spiking.js';

/** The plain-TypeScript reference backend: every fast backend is tested against this one. */
export function createJsBackend(): Backend {
  return {
    name: 'js',
    gemm: gemmJs,
    adam: adamJs,
    im2col: im2colJs,
    col2im: col2imJs,
    avgPool2d: avgPool2dJs,
    avgPool2dBackward: avgPool2dBackwardJs,
    lifForward: lifForwardJs,
    lifBackward: lifBackwardJs,
    learningHhForward: learningHhForwardJs,
    learningHhBackward: learningHhBackwardJs,
    slif2hhForward: slif2hhForwardJs,
    slif2hhBackward: slif2hhBackwardJs,
    multiBranchForward: multiBranchForwardJs,
    multiBranchBackward: multiBranchBackwardJs,
    spikingForward: genericForwardJs,
    spikingBackward: genericBackwardJs,
    spikingKernelPath: () => 'reference',
    prepareSpikingKernel: async () => 'reference',
    allocate: (n) => new Float32Array(n),
    release: () => undefined,
  };
}
