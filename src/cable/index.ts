/** The cable equation on branched morphologies: Hines solver, channels, simulation. */
export * from './hines.js';
export * from './channels.js';
export * from './simulate.js';
export * from './rallpack.js';
export * from './velocity.js';
export * from './rallpack3.js';
export * from './cells-wasm.js';
export * from './cell-wasm.js';
export * from './population.js';
