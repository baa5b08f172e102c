/**
 * The question pool M: a JSONL file of `{ text, domain, anatomy?, finding? }`, grown before
 * each task by the earlier tasks' class prompts (paper Eq. 1), and the domain of each question.
 */
import * as fs from 'node:fs';
import { writeFileAtomic } from '../util/fs';
import type { Embedder } from './types';

/** One question of the pool. */
export interface Question {
  /** The query text, e.g. `a fundus photo of diabetic retinopathy`. */
  text: string;
  /** Domain / modality; when empty the domain classifier decides. */
  domain?: string;
  /** Anatomical site. */
  anatomy?: string;
  /** Finding or disease. */
  finding?: string;
  /** Where it came from: the base pool (`pool`) or an earlier task's label (`task`). */
  source?: 'pool' | 'task';
}

/** An earlier task as the siphon sees it. */
export interface EarlierTask {
  /** Dataset name. */
  name: string;
  /** Its domain. */
  domain: string;
  /** Class names. */
  classNames: string[];
  /** Prompt template with `{}` for the class (default `a {domain} photo of {}`). */
  template?: string;
}

/** Reads a pool file; errors name the file and line. */
export function readQuestionPool(file: string): Question[] {
  const out: Question[] = [];
  fs.readFileSync(file, 'utf8').split('\n').forEach((line, i) => {
    if (!line.trim()) return;
    let q: Question;
    try {
      q = JSON.parse(line);
    } catch (err) {
      throw new Error(`${file}:${i + 1}: invalid JSON (${(err as Error).message})`);
    }
    if (typeof q.text !== 'string' || !q.text.trim()) throw new Error(`${file}:${i + 1}: field "text" must be a non-empty string`);
    for (const f of ['domain', 'anatomy', 'finding'] as const) {
      if (q[f] !== undefined && typeof q[f] !== 'string') throw new Error(`${file}:${i + 1}: field "${f}" must be a string`);
    }
    out.push(q);
  });
  return out;
}

/** Writes a pool file atomically. */
export function writeQuestionPool(file: string, pool: Question[]): void {
  writeFileAtomic(file, pool.map((q) => JSON.stringify(q)).join('\n') + '\n');
}

/** The class prompts of one earlier task, as questions of its domain. */
export function taskQuestions(t: EarlierTask): Question[] {
  const tpl = t.template ?? `a ${t.domain} photo of {}`;
  return t.classNames.map((c) => ({ text: tpl.replace('{}', c), domain: t.domain, finding: c, source: 'task' as const }));
}

/** M^i = M^0 ∪ the class prompts of every earlier task (paper Eq. 1), without duplicate texts. */
export function growPool(pool0: Question[], earlier: EarlierTask[]): Question[] {
  const seen = new Set<string>();
  const out: Question[] = [];
  for (const q of [...pool0.map((q) => ({ source: 'pool' as const, ...q })), ...earlier.flatMap(taskQuestions)]) {
    const key = q.text.trim().toLowerCase();
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(q);
  }
  return out;
}

/** Canonical form of a domain name for comparisons. */
export function normalizeDomain(d: string): string {
  return d.trim().toLowerCase().replace(/[\s_-]+/g, ' ');
}

/** Assigns a domain to a question's text (used when its `domain` field is empty). */
export type DomainClassifier = (texts: string[]) => Promise<string[]>;

/**
 * Zero-shot domain classification with a text tower (the initial model's, per the paper):
 * each text goes to the domain name whose embedding is nearest.
 */
export function zeroShotDomainClassifier(textTower: Embedder, domainNames: string[], template = 'a {} photo'): DomainClassifier {
  if (domainNames.length === 0) throw new Error('zeroShotDomainClassifier: domainNames is empty');
  let protos: Float32Array[] | undefined;
  return async (texts) => {
    protos ??= await textTower.embed(domainNames.map((d) => template.replace('{}', d)));
    const vecs = await textTower.embed(texts);
    return vecs.map((v) => {
      let best = 0;
      let bestS = -Infinity;
      protos!.forEach((p, i) => {
        let s = 0;
        for (let j = 0; j < v.length; j++) s += v[j] * p[j];
        if (s > bestS) [best, bestS] = [i, s];
      });
      return domainNames[best];
    });
  };
}

/** The domain of every question: its own `domain` field, else `classify` on its text. */
export async function assignDomains(pool: Question[], classify?: DomainClassifier): Promise<string[]> {
  const missing = pool.map((q, i) => (q.domain && q.domain.trim() ? -1 : i)).filter((i) => i >= 0);
  const out = pool.map((q) => q.domain ?? '');
  if (missing.length) {
    if (!classify) throw new Error(`question pool: ${missing.length} questions have no domain (first: ${JSON.stringify(pool[missing[0]].text)}) and no domain classifier was given`);
    const got = await classify(missing.map((i) => pool[i].text));
    missing.forEach((i, j) => (out[i] = got[j]));
  }
  return out;
}
