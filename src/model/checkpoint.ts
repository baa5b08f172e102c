/**
 * Checkpoints. `loadCheckpoint` imports OpenAI CLIP ViT-B/16 or BiomedCLIP weights from a local
 * safetensors file (OpenCLIP / Hugging Face naming); `saveModel` / `loadModel` write and read
 * primed's own format: a directory with `model.safetensors` and `config.json` (model config,
 * tokenizer spec, preprocessing, provenance), replaced atomically. Parameter names are the
 * checkpoint names, so the import table is the identity; what needs care is reporting missing,
 * mis-shaped and unexpected tensors clearly.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { Tokenizer } from './types';
import { DualEncoder, paramSpecs, type ModelProvenance } from './dual-encoder';
import { numel, type ParamSpec, sameShape } from './params';
import { type ModelPreset, type ModelSpecInput, presetTokenizerSpec, type ResolvedPreset, resolvePreset } from './presets';
import { SafetensorsReader, writeSafetensors } from './safetensors';
import { tokenizerFromSpec } from './tokenizer-from-spec';
import { readJson, recoverDirSwap, replaceDirAtomic, writeJsonAtomic } from '../util/fs';
import { type ProgressSink, silentProgress } from '../util/progress';

/**
 * Checkpoint entries that are not weights and are skipped: BERT's `position_ids` buffer (saved by
 * transformers < 4.31, present in BiomedCLIP's release) and the three scalars of OpenAI's
 * TorchScript archive.
 */
export const IGNORED_CHECKPOINT_KEYS: readonly string[] = [
  'text.transformer.embeddings.position_ids',
  'input_resolution',
  'context_length',
  'vocab_size',
];

/** File names looked for, in order, when a checkpoint path is a directory. */
export const CHECKPOINT_FILE_NAMES: readonly string[] = ['model.safetensors', 'open_clip_model.safetensors', 'open_clip_pytorch_model.safetensors'];

/** Options of {@link loadCheckpoint}. */
export interface LoadCheckpointOptions {
  /** Architecture: `clip-vit-b16`, `biomedclip`, another preset, or an explicit config. */
  preset: ModelSpecInput;
  /** The tokenizer; default: built from the preset's tokenizer spec. */
  tokenizer?: Tokenizer;
  /** Accept (and skip) tensors the model does not use. Default false: they are an error listing them. */
  allowExtra?: boolean;
  /** More entry names to skip, besides {@link IGNORED_CHECKPOINT_KEYS}. */
  ignore?: string[];
  /** Progress, one unit per parameter. */
  progress?: ProgressSink;
}

const PICKLE_EXTENSIONS = ['.bin', '.pt', '.pth', '.ckpt', '.pkl'];

function pickleRefusal(file: string): Error {
  const out = file.replace(/\.[^./]+$/, '') + '.safetensors';
  return new Error(
    `${file}: PyTorch pickle checkpoints are not read (unpickling runs arbitrary code); convert it to safetensors once, e.g.\n` +
      `  python -c "import torch,sys; from safetensors.torch import save_file; p=sys.argv[1]; ` +
      `m=torch.jit.load(p,map_location='cpu') if p.endswith('.pt') else torch.load(p,map_location='cpu'); ` +
      `sd=m.state_dict() if hasattr(m,'state_dict') else m.get('state_dict',m); ` +
      `save_file({k:v.float().contiguous() for k,v in sd.items() if torch.is_tensor(v)}, sys.argv[2])" "${file}" "${out}"\n` +
      `(the .pt branch is for OpenAI's TorchScript ViT-B-16.pt; open_clip .bin files take torch.load)`,
  );
}

/** The safetensors file a checkpoint path designates (the file itself, or a known name inside a directory). */
export function resolveCheckpointFile(p: string): string {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(p);
  } catch {
    throw new Error(`${p}: checkpoint not found`);
  }
  if (stat.isFile()) {
    if (PICKLE_EXTENSIONS.includes(path.extname(p).toLowerCase())) throw pickleRefusal(p);
    return p;
  }
  for (const name of CHECKPOINT_FILE_NAMES) {
    const f = path.join(p, name);
    if (fs.existsSync(f)) return f;
  }
  const files = fs.readdirSync(p);
  const safetensors = files.filter((f) => f.endsWith('.safetensors'));
  if (safetensors.length === 1) return path.join(p, safetensors[0]);
  if (safetensors.length > 1) throw new Error(`${p}: several .safetensors files (${safetensors.join(', ')}); give the file path`);
  const pickle = files.find((f) => PICKLE_EXTENSIONS.includes(path.extname(f).toLowerCase()));
  if (pickle) throw pickleRefusal(path.join(p, pickle));
  throw new Error(`${p}: no .safetensors checkpoint in this directory (looked for ${CHECKPOINT_FILE_NAMES.join(', ')})`);
}

/** Which layout a file's names follow, judging by a few telltale tensors. */
export function detectLayout(names: Iterable<string>): 'openai' | 'biomedclip' | undefined {
  const set = new Set(names);
  if (set.has('visual.trunk.cls_token') || set.has('text.transformer.embeddings.word_embeddings.weight')) return 'biomedclip';
  if (set.has('visual.class_embedding') || set.has('token_embedding.weight')) return 'openai';
  return undefined;
}

function fmtList(items: string[], max = 12): string {
  return items.length <= max ? items.join(', ') : `${items.slice(0, max).join(', ')} ... (${items.length - max} more)`;
}

interface ImportRules {
  allowExtra: boolean;
  ignore: Set<string>;
  /** Prefix every file name carries (`module.` from DataParallel), removed before matching. */
  prefix: string;
}

/** Checks names and shapes of every parameter before anything is allocated; one error lists every problem. */
function checkAgainstFile(reader: SafetensorsReader, specs: ParamSpec[], preset: ResolvedPreset, rules: ImportRules): void {
  const fileNames = new Set(reader.names());
  const missing: string[] = [];
  const wrongShape: string[] = [];
  for (const s of specs) {
    const e = reader.entries.get(rules.prefix + s.name);
    if (!e) {
      missing.push(`${s.name} [${s.shape}]`);
    } else if (!sameShape(e.shape, s.shape) && !(numel(e.shape) === 1 && numel(s.shape) === 1)) {
      wrongShape.push(`parameter "${s.name}" has shape [${e.shape}] in the file, the model expects [${s.shape}]`);
    } else if (!['F32', 'F16', 'BF16'].includes(e.dtype)) {
      wrongShape.push(`parameter "${s.name}" is stored as ${e.dtype}, expected a float type`);
    }
  }
  const problems: string[] = [];
  if (missing.length) {
    const found = detectLayout([...fileNames].map((n) => n.slice(rules.prefix.length)));
    const hint = found && found !== preset.model.layout ? ` (the file looks like the ${found} layout, preset "${preset.name}" is ${preset.model.layout})` : '';
    problems.push(`${missing.length} missing tensor(s)${hint}: ${fmtList(missing)}`);
  }
  problems.push(...wrongShape.slice(0, 12));
  if (wrongShape.length > 12) problems.push(`... ${wrongShape.length - 12} more shape mismatches`);
  if (!rules.allowExtra) {
    const used = new Set(specs.map((s) => rules.prefix + s.name));
    const extra = [...fileNames].filter((n) => !used.has(n) && !rules.ignore.has(n.slice(rules.prefix.length)));
    if (extra.length) problems.push(`${extra.length} unexpected tensor(s) (pass allowExtra to skip them): ${fmtList(extra)}`);
  }
  if (problems.length) throw new Error(`${reader.file} does not fit preset "${preset.name}":\n  ${problems.join('\n  ')}`);
}

function buildFromFile(reader: SafetensorsReader, preset: ResolvedPreset, tokenizer: Tokenizer, rules: ImportRules, provenance: ModelProvenance, progress: ProgressSink): DualEncoder {
  const specs = paramSpecs(preset.model);
  checkAgainstFile(reader, specs, preset, rules);
  let done = 0;
  const label = `load ${path.basename(reader.file)}`;
  return new DualEncoder(preset, tokenizer, (spec) => {
    const values = reader.readFloat32(rules.prefix + spec.name);
    for (let i = 0; i < values.length; i++) {
      if (!Number.isFinite(values[i])) {
        throw new Error(`${reader.file}: tensor ${rules.prefix + spec.name} holds ${values[i]} at index ${i}: a weight that is not a finite number (a corrupt file, or weights saved after training diverged)`);
      }
    }
    progress({ label, done: ++done, total: specs.length });
    return tf.tensor(values, spec.shape, 'float32');
  }, provenance);
}

/**
 * Imports an OpenAI CLIP ViT-B/16 or BiomedCLIP checkpoint (safetensors with OpenCLIP / Hugging
 * Face naming) from a file or a directory. Every parameter must be present with its exact shape;
 * `position_ids` and OpenAI's three extra scalars are skipped; other extra tensors are an error
 * unless `allowExtra`. A `.bin`/`.pt` pickle is refused with the command that converts it.
 */
export async function loadCheckpoint(checkpointPath: string, options: LoadCheckpointOptions): Promise<DualEncoder> {
  if (!options || options.preset === undefined) throw new Error(`loadCheckpoint(${checkpointPath}): options.preset is required (e.g. "biomedclip" or "clip-vit-b16")`);
  const file = resolveCheckpointFile(checkpointPath);
  const tokenizer = options.tokenizer ?? tokenizerFromSpec(presetTokenizerSpec(options.preset), `loadCheckpoint(${checkpointPath})`);
  const preset = resolvePreset(options.preset, tokenizer.vocabSize);
  const reader = SafetensorsReader.open(file);
  try {
    const names = reader.names();
    const prefix = names.length > 0 && names.every((n) => n.startsWith('module.')) ? 'module.' : '';
    const rules: ImportRules = { allowExtra: options.allowExtra ?? false, ignore: new Set([...IGNORED_CHECKPOINT_KEYS, ...(options.ignore ?? [])]), prefix };
    const provenance: ModelProvenance = { from: 'checkpoint', path: path.resolve(file), layout: preset.model.layout, preset: preset.name };
    return buildFromFile(reader, preset, tokenizer, rules, provenance, options.progress ?? silentProgress);
  } finally {
    reader.close();
  }
}

/** `format` field of primed's `config.json`. */
export const MODEL_FORMAT = 'primed-model';
/** Current version of the format. */
export const MODEL_FORMAT_VERSION = 1;

/** Contents of `config.json` in a saved model directory. */
export interface SavedModelConfig {
  /** Always {@link MODEL_FORMAT}. */
  format: typeof MODEL_FORMAT;
  /** {@link MODEL_FORMAT_VERSION} when written. */
  formatVersion: number;
  /** Preset name, architecture, tokenizer spec and preprocessing. */
  preset: ModelPreset;
  /** Where the weights came from, plus `savedAt`. */
  provenance: ModelProvenance;
}

/** Options of {@link saveModel}. */
export interface SaveModelOptions {
  /** Stored precision. Default `F32` (exact); `F16` halves the size. */
  dtype?: 'F32' | 'F16';
  /** Extra provenance fields (e.g. the task the weights were trained on). */
  provenance?: ModelProvenance;
  /** Extra JSON files written into the folder in the same atomic swap (file name → value), e.g. `pretrain.json`. Names must be plain file names. */
  extraJson?: Record<string, unknown>;
}

/** Whether folder `dir` holds a model written by {@link saveModel} (its `config.json` has the primed model format). */
export function isSavedModelDir(dir: string): boolean {
  try {
    return (JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8')) as { format?: unknown }).format === MODEL_FORMAT;
  } catch {
    return false;
  }
}

/**
 * Writes `model` to `dir` as `model.safetensors` + `config.json`, replacing any previous contents
 * atomically (the directory is built under a temp name and renamed into place).
 */
export async function saveModel(model: DualEncoder, dir: string, options: SaveModelOptions = {}): Promise<void> {
  const dtype = options.dtype ?? 'F32';
  if (dtype !== 'F32' && dtype !== 'F16') throw new Error(`saveModel: options.dtype must be "F32" or "F16", got ${JSON.stringify(dtype)}`);
  const vars = model.namedVariables();
  const config: SavedModelConfig = {
    format: MODEL_FORMAT,
    formatVersion: MODEL_FORMAT_VERSION,
    preset: { name: model.preset.name, model: model.config, tokenizer: model.preset.tokenizer!, preprocess: model.preset.preprocess },
    provenance: { ...model.provenance, ...options.provenance, savedAt: new Date().toISOString() },
  };
  if (!model.preset.tokenizer) delete (config.preset as Partial<ModelPreset>).tokenizer;
  await replaceDirAtomic(dir, (tmp) => {
    writeSafetensors(
      path.join(tmp, 'model.safetensors'),
      [...vars].map(([name, v]) => ({ name, shape: v.shape, dtype, data: () => v.dataSync() as Float32Array })),
      { format: MODEL_FORMAT },
    );
    writeJsonAtomic(path.join(tmp, 'config.json'), config);
    for (const [name, value] of Object.entries(options.extraJson ?? {})) {
      if (name === 'config.json' || name === 'model.safetensors' || !/^[A-Za-z0-9._-]+$/.test(name) || name.startsWith('.')) {
        throw new Error(`saveModel: options.extraJson: ${JSON.stringify(name)} is not an allowed file name`);
      }
      writeJsonAtomic(path.join(tmp, name), value);
    }
  });
}

/** Options of {@link loadModel}. */
export interface LoadModelOptions {
  /** The tokenizer; default: built from the saved tokenizer spec. */
  tokenizer?: Tokenizer;
  /** Progress, one unit per parameter. */
  progress?: ProgressSink;
}

/** Reads a directory written by {@link saveModel}; every tensor must match the saved config exactly. */
export async function loadModel(dir: string, options: LoadModelOptions = {}): Promise<DualEncoder> {
  // A save killed between its swap's two renames left the previous model aside: put it back.
  recoverDirSwap(dir, isSavedModelDir);
  const configFile = path.join(dir, 'config.json');
  const saved = readJson<SavedModelConfig>(configFile);
  if (saved?.format !== MODEL_FORMAT) throw new Error(`${configFile}: format is ${JSON.stringify(saved?.format)}, expected "${MODEL_FORMAT}"`);
  if (saved.formatVersion !== MODEL_FORMAT_VERSION) throw new Error(`${configFile}: formatVersion ${saved.formatVersion} is not supported (expected ${MODEL_FORMAT_VERSION})`);
  if (!saved.preset || typeof saved.preset !== 'object') throw new Error(`${configFile}: field "preset" is missing`);
  const tokenizer = options.tokenizer ?? tokenizerFromSpec(saved.preset.tokenizer, `loadModel(${dir})`);
  let preset: ResolvedPreset;
  try {
    preset = resolvePreset(saved.preset, tokenizer.vocabSize);
  } catch (err) {
    throw new Error(`${configFile}: ${(err as Error).message}`);
  }
  const reader = SafetensorsReader.open(path.join(dir, 'model.safetensors'));
  try {
    const rules: ImportRules = { allowExtra: false, ignore: new Set(), prefix: '' };
    return buildFromFile(reader, preset, tokenizer, rules, { ...saved.provenance, loadedFrom: path.resolve(dir) }, options.progress ?? silentProgress);
  } finally {
    reader.close();
  }
}
