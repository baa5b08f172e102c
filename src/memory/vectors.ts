/** Small helpers on float32 vectors shared by embedders, indexes and retrieval. */

/** Returns `v` scaled to unit length (a zero vector stays zero). Writes in place and returns it. */
export function l2NormalizeInPlace(v: Float32Array): Float32Array {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i] * v[i];
  const n = Math.sqrt(s);
  if (n > 0) for (let i = 0; i < v.length; i++) v[i] /= n;
  return v;
}

/** Dot product of `a` with the `dim` floats of `m` starting at `offset`. */
export function dotAt(a: Float32Array, m: Float32Array, offset: number): number {
  let s = 0;
  for (let j = 0; j < a.length; j++) s += a[j] * m[offset + j];
  return s;
}

/**
 * Checks that `v` is a usable embedding: `dim` finite numbers, not all zero (a zero vector has no
 * direction, so every cosine with it is 0 and it would be ranked among real matches). Errors
 * start with `where` (file and row, or embedder and text).
 */
export function checkVector(v: ArrayLike<number>, dim: number, where: string): void {
  if (v.length !== dim) throw new Error(`${where}: vector has dimension ${v.length}, expected ${dim}`);
  let nonZero = false;
  for (let j = 0; j < v.length; j++) {
    const x = v[j];
    if (typeof x !== 'number' || !Number.isFinite(x)) throw new Error(`${where}: component ${j} is ${typeof x === 'number' ? String(x) : JSON.stringify(x) ?? String(x)}, not a finite number`);
    if (x !== 0) nonZero = true;
  }
  if (!nonZero && dim > 0) throw new Error(`${where}: vector is all zeros`);
}

/** Concatenates equal-length vectors into one row-major matrix; each is checked ({@link checkVector}) and errors name `what` and the row. */
export function stackRows(rows: Float32Array[], dim: number, what: string): Float32Array {
  const out = new Float32Array(rows.length * dim);
  rows.forEach((r, i) => {
    checkVector(r, dim, `${what}: row ${i}`);
    out.set(r, i * dim);
  });
  return out;
}

/**
 * Indices of the `k` largest values of `scores`, best first (ties broken by lower index).
 * A bounded min-heap: O(n log k), no full sort.
 */
export function topKIndices(scores: ArrayLike<number>, k: number): Int32Array {
  const n = scores.length;
  k = Math.max(0, Math.min(k, n));
  const heap = new Int32Array(k); // min-heap of indices by (score, -index)
  let size = 0;
  const worse = (a: number, b: number) => scores[a] < scores[b] || (scores[a] === scores[b] && a > b);
  const siftDown = (i: number) => {
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < size && worse(heap[l], heap[m])) m = l;
      if (r < size && worse(heap[r], heap[m])) m = r;
      if (m === i) return;
      const t = heap[i];
      heap[i] = heap[m];
      heap[m] = t;
      i = m;
    }
  };
  for (let i = 0; i < n && k > 0; i++) {
    if (size < k) {
      heap[size] = i;
      let c = size++;
      while (c > 0) {
        const p = (c - 1) >> 1;
        if (!worse(heap[c], heap[p])) break;
        const t = heap[c];
        heap[c] = heap[p];
        heap[p] = t;
        c = p;
      }
    } else if (worse(heap[0], i)) {
      heap[0] = i;
      siftDown(0);
    }
  }
  return Int32Array.from(heap.subarray(0, size)).sort((a, b) => scores[b] - scores[a] || a - b);
}
