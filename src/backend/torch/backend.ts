/**
 * The `torch` tfjs backend: tensor data lives in libtorch (an `at::Tensor` per tfjs data id, on
 * the chosen device) and kernels are ATen calls through the addon. tfjs-core keeps doing what it
 * does on every backend: the tape, gradients (from forward kernels), scopes and reference counts.
 */
import * as tf from '@tensorflow/tfjs';
import type { TorchAddon } from './addon';

/** dtype codes shared with the addon. */
export const DTYPE_CODE: Record<string, number> = { float32: 0, int32: 1, bool: 2 };
const CODE_DTYPE: tf.DataType[] = ['float32', 'int32', 'bool'];

/** The addon's code of a tfjs dtype, or an error naming the unsupported dtype. */
export function dtypeCode(dtype: tf.DataType): number {
  const code = DTYPE_CODE[dtype];
  if (code === undefined) throw new Error(`torch backend: dtype ${dtype} is not supported (float32, int32, bool)`);
  return code;
}

/** What the backend keeps per tfjs data id. */
interface Slot {
  /** Slot id in the addon's table. */
  id: number;
  dtype: tf.DataType;
  refCount: number;
}

/** Bytes and tensors held by libtorch for this backend. */
export interface TorchMemory {
  /** Live addon tensors (one per tfjs data id). */
  tensors: number;
  /** Bytes of the distinct storages they hold (views share storage). */
  bytes: number;
}

/** A tfjs `KernelBackend` whose tensors are libtorch tensors. */
export class TorchBackend extends tf.KernelBackend {
  /** Per data id: the addon slot. */
  readonly data: tf.DataStorage<Slot>;
  /** Output descriptions written by the addon after every kernel (see torch_addon.cc). */
  private readonly scratch = new Int32Array(1024);

  /** Wraps an initialised addon. */
  constructor(readonly addon: TorchAddon) {
    super();
    this.data = new tf.DataStorage(this, tf.engine());
    addon.setScratch(this.scratch);
  }

  private upload(values: tf.BackendValues | null | undefined, shape: number[], dtype: tf.DataType): number {
    const code = dtypeCode(dtype);
    const size = shape.reduce((a, b) => a * b, 1);
    if (values == null) return this.addon.fill(shape, 0, code);
    if (!ArrayBuffer.isView(values)) throw new Error(`torch backend: cannot store ${dtype} values of this kind (string tensors are not supported)`);
    let typed = values as Float32Array | Int32Array | Uint8Array;
    if (typed.length !== size) throw new Error(`torch backend: ${typed.length} values for a tensor of shape [${shape}]`);
    if (!(typed instanceof Float32Array || typed instanceof Int32Array || typed instanceof Uint8Array)) {
      typed = dtype === 'float32' ? Float32Array.from(typed as ArrayLike<number>) : Int32Array.from(typed as ArrayLike<number>);
    }
    return this.addon.fromArray(typed, shape, code);
  }

  /** Stores host values as a new libtorch tensor. */
  override write(values: tf.BackendValues, shape: number[], dtype: tf.DataType): tf.DataId {
    const dataId = {};
    this.data.set(dataId, { id: this.upload(values, shape, dtype), dtype, refCount: 1 });
    return dataId;
  }

  /** Moves data from another backend into this one under the same data id. */
  override move(dataId: tf.DataId, values: tf.BackendValues, shape: number[], dtype: tf.DataType, refCount: number): void {
    this.data.set(dataId, { id: this.upload(values, shape, dtype), dtype, refCount });
  }

  /** Registers an addon tensor (already described in the scratch buffer) as tfjs tensor info. */
  private adopt(offset: number): { info: tf.TensorInfo; next: number } {
    const s = this.scratch;
    const id = s[offset], dtype = CODE_DTYPE[s[offset + 1]], rank = s[offset + 2];
    const shape = Array.from(s.subarray(offset + 3, offset + 3 + rank));
    const dataId = {};
    this.data.set(dataId, { id, dtype, refCount: 1 });
    return { info: { dataId, shape, dtype }, next: offset + 3 + rank };
  }

  /** The tensor the last kernel produced. */
  output(): tf.TensorInfo {
    return this.adopt(1).info;
  }

  /** Every tensor the last kernel produced, in order. */
  outputs(): tf.TensorInfo[] {
    const count = this.scratch[0];
    const out: tf.TensorInfo[] = [];
    let offset = 1;
    for (let i = 0; i < count; i++) {
      const r = this.adopt(offset);
      out.push(r.info);
      offset = r.next;
    }
    return out;
  }

  /** The addon slot of a tensor of this backend. */
  slot(t: tf.TensorInfo): number {
    const s = this.data.get(t.dataId);
    if (!s) throw new Error('torch backend: tensor data not found (disposed, or made on another backend)');
    return s.id;
  }

  /** Shares the data of `x` under the tensor info's shape and dtype (no copy). */
  alias(x: tf.TensorInfo): tf.TensorInfo {
    this.incRef(x.dataId);
    return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
  }

  /** Makes tensor info from host values (used by kernels that compute small things in JS). */
  makeTensorInfo(shape: number[], dtype: tf.DataType, values?: tf.BackendValues): tf.TensorInfo {
    return { dataId: this.write(values as tf.BackendValues, shape, dtype), shape, dtype };
  }

  /** Reference count of a data id. */
  override refCount(dataId: tf.DataId): number {
    return this.data.has(dataId) ? this.data.get(dataId).refCount : 0;
  }

  /** Adds a reference to a data id. */
  override incRef(dataId: tf.DataId): void {
    this.data.get(dataId).refCount++;
  }

  /** Drops a reference (no free). */
  decRef(dataId: tf.DataId): void {
    if (this.data.has(dataId)) this.data.get(dataId).refCount--;
  }

  /** Copies a tensor to the host. */
  override readSync(dataId: tf.DataId): tf.BackendValues {
    const s = this.data.get(dataId);
    if (!s) throw new Error('torch backend: reading a tensor whose data was disposed');
    return this.addon.toArray(s.id);
  }

  /** Copies a tensor to the host (synchronously underneath). */
  override async read(dataId: tf.DataId): Promise<tf.BackendValues> {
    return this.readSync(dataId);
  }

  /** Frees the libtorch tensor when the last reference goes (or when forced). */
  override disposeData(dataId: tf.DataId, force = false): boolean {
    if (this.data.has(dataId)) {
      const s = this.data.get(dataId);
      s.refCount--;
      if (!force && s.refCount > 0) return false;
      this.addon.free(s.id);
      this.data.delete(dataId);
    }
    return true;
  }

  /** Disposes an intermediate result a kernel made. */
  disposeIntermediateTensorInfo(info: tf.TensorInfo): void {
    this.disposeData(info.dataId);
  }

  /** Number of data ids held. */
  override numDataIds(): number {
    return this.data.numDataIds();
  }

  /** libtorch tensors and bytes held (for leak checks). */
  torchMemory(): TorchMemory {
    const [tensors, bytes] = this.addon.stats();
    return { tensors, bytes };
  }

  /** tfjs memory info, with what libtorch holds. */
  override memory(): { unreliable: boolean; reasons?: string[]; torchTensors: number; torchBytes: number } {
    const m = this.torchMemory();
    return { unreliable: false, torchTensors: m.tensors, torchBytes: m.bytes };
  }

  /**
   * One AdamW step written into the parameter and moment buffers themselves, when no other tensor
   * (tfjs alias or libtorch view) shares them; returns false, changing nothing, otherwise (the
   * caller then runs the functional kernel). Same arithmetic as the `_PrimedAdamW` kernel.
   */
  adamwInPlace(
    param: tf.TensorInfo, grad: tf.TensorInfo, m: tf.TensorInfo, v: tf.TensorInfo,
    o: { lr: number; beta1: number; beta2: number; epsilon: number; weightDecay: number; step: number },
  ): boolean {
    if ([param, m, v].some((t) => this.refCount(t.dataId) !== 1)) return false;
    return this.addon.adamwInPlace(this.slot(param), this.slot(grad), this.slot(m), this.slot(v), o.lr, o.beta1, o.beta2, o.epsilon, o.weightDecay, o.step);
  }

  /** Times `f`, waiting for the device before and after. */
  override async time(f: () => void): Promise<tf.BackendTimingInfo> {
    this.addon.sync();
    const start = performance.now();
    f();
    this.addon.sync();
    return { kernelMs: performance.now() - start };
  }

  /** Whether {@link time} measures kernels. */
  override timerAvailable(): boolean {
    return true;
  }

  /** float32 everywhere. */
  override floatPrecision(): 16 | 32 {
    return 32;
  }

  /** The float32 epsilon tfjs uses. */
  override epsilon(): number {
    return 1e-7;
  }

  /** Nothing beyond the tensors tfjs disposes. */
  override dispose(): void {}
}
