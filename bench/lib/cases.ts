/**
 * The benchmarked architectures and workloads, as data. Both sides (tfjs and the PyTorch peer)
 * receive the same resolved model config, batch and class-prompt token ids.
 */
import type { ModelConfigInput } from '../../src/model/config';

/** One architecture to benchmark. */
export interface BenchModel {
  /** Short name used in result file names, e.g. `mini`. */
  name: string;
  /** What it is, for the README. */
  description: string;
  /** The model config (biomedclip layout: the PyTorch peer re-states exactly that layout). */
  model: ModelConfigInput | 'mini';
  /** Vocabulary size of the bench tokenizer (the mini vocabulary is padded to it). */
  vocabSize: number;
  /** Training batch sizes measured. */
  trainBatches: number[];
  /** Evaluation batch size. */
  evalBatch: number;
  /** Reference-batch size of the PRIMED step. */
  refBatch: number;
  /** Backends on which this model is too slow to measure (skipped with the reason). */
  skipBackends?: Partial<Record<string, string>>;
  /** Workloads measured (default all three). */
  kinds?: Array<'train' | 'primed' | 'eval'>;
  /** Thread counts of both sides (default 1 and all cores). */
  threads?: 'all-cores';
  /** Timing budget (default the run's). */
  timing?: 'quick';
}

/** The class prompts of the classification loss: 5 classes, "a {modality} photo of {class}". */
export const BENCH_PROMPTS = [
  'a microscopy photo of basophil',
  'a microscopy photo of eosinophil',
  'a microscopy photo of erythroblast',
  'a microscopy photo of lymphocyte',
  'a microscopy photo of neutrophil',
];

/** Captions of the reference batch (PRIMED step), cycled to the reference batch size. */
export const BENCH_CAPTIONS = [
  'chest x-ray showing right lower lobe consolidation',
  'breast ultrasound with a hypoechoic mass',
  'fundus photograph with microaneurysms',
  'histology of colorectal adenocarcinoma epithelium',
  'peripheral blood smear with a neutrophil',
  'chest x-ray with no acute findings',
];

/** Label smoothing of the task loss (decisions §2). */
export const LABEL_SMOOTHING = 0.2;
/** Learning rate of the benchmarked step (its value does not change the cost). */
export const BENCH_LR = 1e-5;

/** `mini` preset at batch 32 and 64. */
export const MINI: BenchModel = {
  name: 'mini',
  description: '`mini` preset: biomedclip layout, 28 px, patch 4, width 64, 2+2 layers, 4 heads, context 32',
  model: 'mini',
  vocabSize: 4096,
  trainBatches: [32, 64],
  evalBatch: 256,
  refBatch: 32,
};

/**
 * ViT-B/16 shape cut to 2 of its 12 layers per tower (a full 12-layer step takes minutes on
 * wasm and hours on cpu): BiomedCLIP's image tower at 224 px (patch 16, width 768, 12 heads,
 * MLP 3072) and a PubMedBERT-base-wide text tower at context 64 (class prompts are short).
 */
export const VITB16_2L: BenchModel = {
  name: 'vitb16-2l',
  description: 'ViT-B/16 shape, 2 of 12 layers per tower: 224 px, patch 16, width 768, 12 heads, MLP 3072; BERT-base text width 768 at context 64',
  model: {
    layout: 'biomedclip',
    embedDim: 512,
    vision: { imageSize: 224, patchSize: 16, width: 768, layers: 2, heads: 12, mlpDim: 3072 },
    text: { vocabSize: 30522, contextLength: 64, maxPositions: 512, typeVocabSize: 2, width: 768, layers: 2, heads: 12, mlpDim: 3072, projHidden: 640 },
  },
  vocabSize: 30522,
  trainBatches: [4],
  evalBatch: 16,
  refBatch: 4,
  skipBackends: { cpu: 'the pure-JS cpu backend needs minutes per step at this size (about 1.5 GFLOP/s)' },
};

/**
 * The full BiomedCLIP shape (ViT-B/16 at 224 px + PubMedBERT-base, 12 layers each) at a small
 * batch: the paper-scale step. Only the torch backend runs it (wasm aborts in its 4 GiB heap; cpu
 * would take hours).
 */
export const BIOMEDCLIP_12L: BenchModel = {
  name: 'biomedclip-12l',
  description: 'BiomedCLIP shape, all 12 layers per tower: ViT-B/16 at 224 px, PubMedBERT-base text at context 64, batch 4',
  model: { ...VITB16_2L.model as ModelConfigInput, vision: { imageSize: 224, patchSize: 16, width: 768, layers: 12, heads: 12, mlpDim: 3072 }, text: { vocabSize: 30522, contextLength: 64, maxPositions: 512, typeVocabSize: 2, width: 768, layers: 12, heads: 12, mlpDim: 3072, projHidden: 640 } },
  vocabSize: 30522,
  trainBatches: [4],
  evalBatch: 16,
  refBatch: 4,
  // Minutes per step at one thread on a small CPU: the PRIMED step only, at all cores, short timing.
  kinds: ['primed'],
  threads: 'all-cores',
  timing: 'quick',
  skipBackends: {
    wasm: 'the PRIMED step of this model aborts in the wasm heap allocator (the 4 GiB wasm32 limit); training steps take minutes',
    cpu: 'the pure-JS cpu backend would need hours per step at this size',
  },
};

/** Every benchmarked model. */
export const BENCH_MODELS: BenchModel[] = [MINI, VITB16_2L, BIOMEDCLIP_12L];
