/**
 * Seeded pseudo-random numbers. One seed drives sampling, initialisation and retrieval
 * sampling, so the same seed gives the same run (primed-decisions.md §2).
 */

/** A small, fast, seedable generator (SplitMix32 seeding + Mulberry32 stream). */
export class Rng {
  private state: number;

  /** Creates a generator from any integer seed (or a string, hashed). */
  constructor(seed: number | string) {
    this.state = typeof seed === 'string' ? hashString(seed) : seed >>> 0;
    // Decorrelate nearby seeds (1, 2, 3 ...) before the first draw.
    this.state = splitmix32(this.state);
  }

  /** A uint32. */
  nextUint32(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    return this.nextUint32() / 4294967296;
  }

  /** An integer in [0, n). */
  int(n: number): number {
    if (!(n > 0)) throw new Error(`Rng.int: n must be positive, got ${n}`);
    return Math.floor(this.next() * n);
  }

  /** A standard normal draw (Box-Muller). */
  normal(): number {
    let u = 0;
    while (u === 0) u = this.next();
    const v = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** Shuffles `items` in place (Fisher-Yates) and returns it. */
  shuffle<T>(items: T[]): T[];
  /** Shuffles a typed array in place and returns it. */
  shuffle<A extends Int32Array | Uint32Array | Float32Array>(items: A): A;
  shuffle(items: { length: number; [i: number]: unknown }): unknown {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const tmp = items[i];
      items[i] = items[j];
      items[j] = tmp;
    }
    return items;
  }

  /** `k` distinct indices from [0, n), in random order. */
  sampleIndices(n: number, k: number): number[] {
    if (k > n) throw new Error(`Rng.sampleIndices: cannot take ${k} of ${n}`);
    const idx = Array.from({ length: n }, (_, i) => i);
    for (let i = 0; i < k; i++) {
      const j = i + this.int(n - i);
      const tmp = idx[i];
      idx[i] = idx[j];
      idx[j] = tmp;
    }
    return idx.slice(0, k);
  }

  /** A child generator whose stream depends on this seed and `label` only (not on draws made so far). */
  static derive(seed: number, label: string): Rng {
    return new Rng((hashString(label) ^ splitmix32(seed >>> 0)) >>> 0);
  }
}

function splitmix32(x: number): number {
  x = (x + 0x9e3779b9) >>> 0;
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b) >>> 0;
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35) >>> 0;
  return (x ^ (x >>> 16)) >>> 0;
}

/** FNV-1a 32-bit hash of a string. */
export function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
