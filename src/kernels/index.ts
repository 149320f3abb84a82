/** Registers the built-in backends; import this module before using getBackend(). */
import { registerBackend } from './backend.js';
import { createJsBackend } from './js/index.js';

registerBackend('js', createJsBackend);

export { getBackend, setBackend, backendNames, registerBackend } from './backend.js';
export type { Backend } from './backend.js';
