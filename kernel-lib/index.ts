/**
 * What notebooks import (from the compiled `dist/kernel-lib`, see notebooks/README):
 * one-line set-up, inline figures and tables, live progress and curves, and the pool that runs
 * `evaluateMGTIL` jobs on every core (runs.ts).
 *
 * @module Notebook kit
 */
export * from './setup';
export { displayPath } from './paths';
export * from './display';
export * from './progress';
import { queueOutputSends } from './kernel';
// In a tslab kernel, heavy output must not fail cells (kernel-lib/send-queue.ts).
queueOutputSends();
export { inKernel, displayMode, sendBundle, queueOutputSends, setDisplayWriter, type MimeBundle, type DisplayContent, type DisplayWriter } from './kernel';
export * from '../src/report/figures';
export type { PlotlyFigure, PlotlyTrace } from '../src/report/plotly-types';
export { writeFigure, writeFigureHtml, writeFigureImage, renderFigure, figureHtml } from '../src/report/export';
export { runJobs, runJob, isComplete, defaultWorkers, type RunJob, type JobOptions, type JobModel, type PartialRun, type InProcessResources, type RunJobsOptions, type RunJobOptions, type JobOutcome } from './runs';
export * from './notebook';
export * from './protocol';
export * from './ablations';
export * from './siphon-grid';
export * from './backbones';
export * from './memory-view';
export { escapeHtml } from '../src/report/plotly-bundle';
