/**
 * **Methods**: the continual-learning methods (fine-tuning, l2, EWC, LwF, iCaRL, WiSE-FT, ZSCL,
 * PRIMED), one file each, and the registry that finds them by name.
 *
 * @module Methods
 */
export * from '../methods';
