/**
 * Weight snapshots: named tensors copied out of a model (start-of-task anchors, teachers,
 * ensembles), put back into it, averaged, and stored as a safetensors file (float32 only).
 */
import * as fs from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import type { DualEncoderLike } from '../model/types';
import { writeFileAtomic } from '../util/fs';

/** Named tensors owned by whoever made the snapshot (dispose with {@link disposeWeights}). */
export type WeightSnapshot = Map<string, tf.Tensor>;

/** Copies every named variable of `model` (or only `names`) into kept tensors. */
export function snapshotWeights(model: DualEncoderLike, names?: Iterable<string>): WeightSnapshot {
  const vars = model.namedVariables();
  const out: WeightSnapshot = new Map();
  for (const name of names ?? vars.keys()) {
    const v = vars.get(name);
    if (!v) throw new Error(`snapshotWeights: model has no parameter ${name}`);
    out.set(name, tf.keep(v.clone()));
  }
  return out;
}

/** Assigns the snapshot's tensors to the model's variables of the same names. */
export function restoreWeights(model: DualEncoderLike, snapshot: WeightSnapshot): void {
  const vars = model.namedVariables();
  for (const [name, t] of snapshot) {
    const v = vars.get(name);
    if (!v) throw new Error(`restoreWeights: model has no parameter ${name}`);
    if (!tf.util.arraysEqual(v.shape, t.shape)) throw new Error(`restoreWeights: ${name} has shape [${t.shape}], model wants [${v.shape}]`);
    v.assign(t);
  }
}

/** Frees every tensor of a snapshot. */
export function disposeWeights(snapshot: WeightSnapshot | undefined): void {
  if (snapshot) for (const t of snapshot.values()) t.dispose();
}

/** `(1 − alpha)·a + alpha·b` for every name of `a` (WiSE-FT, `wise:0.5` teachers). */
export function interpolateWeights(a: WeightSnapshot, b: WeightSnapshot, alpha: number): WeightSnapshot {
  const out: WeightSnapshot = new Map();
  for (const [name, ta] of a) {
    const tb = b.get(name);
    if (!tb) throw new Error(`interpolateWeights: second snapshot lacks ${name}`);
    out.set(name, tf.tidy(() => tf.add(tf.mul(ta, 1 - alpha), tf.mul(tb, alpha))));
  }
  return out;
}

/** A copy of `model` with the snapshot's weights (a frozen teacher or reference model). */
export function modelWithWeights(model: DualEncoderLike, snapshot: WeightSnapshot): DualEncoderLike {
  const copy = model.clone();
  restoreWeights(copy, snapshot);
  return copy;
}

/** Writes a snapshot as a safetensors file (F32), atomically. */
export function writeWeightsFile(file: string, snapshot: WeightSnapshot): void {
  const names = [...snapshot.keys()].sort();
  const header: Record<string, unknown> = {};
  const parts: Float32Array[] = [];
  let offset = 0;
  for (const name of names) {
    const t = snapshot.get(name)!;
    if (t.dtype !== 'float32') throw new Error(`writeWeightsFile ${file}: ${name} is ${t.dtype}, only float32 is stored`);
    const data = t.dataSync() as Float32Array;
    header[name] = { dtype: 'F32', shape: t.shape, data_offsets: [offset, offset + data.byteLength] };
    parts.push(data);
    offset += data.byteLength;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (json.length % 8)) % 8); // align the data to 8 bytes
  const headerBytes = Buffer.from(json, 'utf8');
  const out = Buffer.alloc(8 + headerBytes.length + offset);
  out.writeBigUInt64LE(BigInt(headerBytes.length), 0);
  headerBytes.copy(out, 8);
  let pos = 8 + headerBytes.length;
  for (const p of parts) {
    Buffer.from(p.buffer, p.byteOffset, p.byteLength).copy(out, pos);
    pos += p.byteLength;
  }
  writeFileAtomic(file, out);
}

/** Reads a safetensors file written by {@link writeWeightsFile} into kept tensors. */
export function readWeightsFile(file: string): WeightSnapshot {
  let buf: Buffer;
  try {
    buf = fs.readFileSync(file);
  } catch (err) {
    throw new Error(`${file}: cannot read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  if (buf.length < 8) throw new Error(`${file}: not a safetensors file (too short)`);
  const headerLength = Number(buf.readBigUInt64LE(0));
  if (8 + headerLength > buf.length) throw new Error(`${file}: header length ${headerLength} exceeds the file`);
  const header = JSON.parse(buf.subarray(8, 8 + headerLength).toString('utf8')) as Record<
    string,
    { dtype: string; shape: number[]; data_offsets: [number, number] }
  >;
  const base = 8 + headerLength;
  const out: WeightSnapshot = new Map();
  for (const [name, info] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    if (info.dtype !== 'F32') throw new Error(`${file}: tensor ${name} has dtype ${info.dtype}; only F32 is supported`);
    const [start, end] = info.data_offsets;
    const bytes = buf.subarray(base + start, base + end);
    const values = new Float32Array(bytes.byteLength / 4);
    Buffer.from(values.buffer).set(bytes);
    out.set(name, tf.keep(tf.tensor(values, info.shape, 'float32')));
  }
  return out;
}
