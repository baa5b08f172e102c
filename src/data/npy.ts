/**
 * NumPy array files: `.npy` (one array) and `.npz` (a ZIP of `.npy` files). The public face of
 * the codec: other layers (the memory store, checkpoints) import these names from here.
 */
export { readNpy, writeNpy, type NdArray, type NdDtype, type NdData } from './npy-codec';
export { readNpz, readNpzBytes, writeNpz, type WriteNpzOptions } from './npz';
