/** Neuron morphologies: trees of sections, builders, the SWC reader, compartments. */
export * from './tree.js';
export * from './swc.js';
export * from './synthetic.js';
