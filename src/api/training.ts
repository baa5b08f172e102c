/**
 * **Training**: the trainer loop and its plugins, configs, losses, optimiser and schedule, and
 * the pretraining of the mini foundation model.
 *
 * @module Training
 */
export * from '../train/trainer';
export * from '../train/config';
export * from '../train/plugin';
export * from '../train/losses';
export * from '../train/optimizer';
export * from '../train/pretrain';
