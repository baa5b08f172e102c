/**
 * Okapi BM25 over captions (primed-decisions.md §4: k1 = 1.2, b = 0.75, lower-cased word
 * tokens). IDF is the non-negative Lucene form ln(1 + (N − n + 0.5)/(n + 0.5)); each distinct
 * query term counts once.
 */

/** Lower-cased word tokens (runs of letters and digits). */
export function bm25Tokens(text: string): string[] {
  return text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
}

/** BM25 parameters. */
export interface Bm25Options {
  /** Term-frequency saturation. Default 1.2. */
  k1?: number;
  /** Length normalisation. Default 0.75. */
  b?: number;
}

/** A BM25 scorer over a fixed set of documents. */
export class Bm25 {
  private readonly tf: Map<string, number>[];
  private readonly df = new Map<string, number>();
  private readonly lengths: Int32Array;
  private readonly avgdl: number;
  private readonly k1: number;
  private readonly b: number;

  /** Indexes `docs`. */
  constructor(docs: string[], options: Bm25Options = {}) {
    this.k1 = options.k1 ?? 1.2;
    this.b = options.b ?? 0.75;
    if (!(this.k1 >= 0)) throw new Error(`bm25 option "k1" must be >= 0, got ${this.k1}`);
    if (!(this.b >= 0 && this.b <= 1)) throw new Error(`bm25 option "b" must be in [0, 1], got ${this.b}`);
    this.lengths = new Int32Array(docs.length);
    this.tf = docs.map((d, i) => {
      const counts = new Map<string, number>();
      const toks = bm25Tokens(d);
      this.lengths[i] = toks.length;
      for (const t of toks) counts.set(t, (counts.get(t) ?? 0) + 1);
      for (const t of counts.keys()) this.df.set(t, (this.df.get(t) ?? 0) + 1);
      return counts;
    });
    const total = this.lengths.reduce((a, b) => a + b, 0);
    this.avgdl = docs.length ? total / docs.length : 0;
  }

  /** IDF of `term`. */
  idf(term: string): number {
    const n = this.df.get(term) ?? 0;
    const N = this.tf.length;
    return Math.log(1 + (N - n + 0.5) / (n + 0.5));
  }

  /** BM25 score of every document for `query`. */
  scores(query: string): Float64Array {
    const out = new Float64Array(this.tf.length);
    const terms = [...new Set(bm25Tokens(query))].filter((t) => this.df.has(t));
    for (const t of terms) {
      const idf = this.idf(t);
      for (let i = 0; i < this.tf.length; i++) {
        const f = this.tf[i].get(t);
        if (!f) continue;
        const norm = this.avgdl > 0 ? 1 - this.b + (this.b * this.lengths[i]) / this.avgdl : 1;
        out[i] += (idf * f * (this.k1 + 1)) / (f + this.k1 * norm);
      }
    }
    return out;
  }
}
