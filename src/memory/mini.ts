/**
 * The mini question pool and the mini memory for mini-MGTIL. The pool is questions
 * "a {modality} photo of {finding}" over the five mini domains and others; it is committed as
 * `data/mini-question-pool.jsonl` (regenerate with {@link miniQuestionPool}). The memory is
 * built from the mini corpus (`buildMiniCorpus` in `src/data/mini-corpus.ts`) with the
 * model's text tower: a stand-in for a literature corpus, not one.
 */
import { PNG } from 'pngjs';
import type { RawImage } from '../data/image';
import type { DualEncoderLike } from '../model/types';
import type { ProgressSink } from '../util/progress';
import { buildMemory, type MemoryInput } from './build';
import { modelTextEmbedder } from './embedders/model';
import type { Question } from './pool';
import type { Memory } from './store';

/** Findings per modality (domain name as used by the mini benchmark first). */
export const MINI_POOL_FINDINGS: Record<
  string,
  {
    /** The body part the modality's questions are about (e.g. `chest` for chest X-ray); the pool's `anatomy` field. */
    anatomy: string;
    /** Findings seen in this modality; each becomes one pool question `a <domain> photo of <finding>` with this `finding`. */
    findings: string[];
  }
> = {
  'chest X-ray': { anatomy: 'chest', findings: ['pneumonia', 'normal lungs', 'pleural effusion', 'cardiomegaly', 'pneumothorax', 'lung nodule', 'atelectasis', 'consolidation', 'tuberculosis', 'pulmonary edema', 'emphysema', 'rib fracture', 'lung mass', 'interstitial lung disease', 'hilar enlargement', 'viral pneumonia', 'bacterial pneumonia', 'pediatric pneumonia', 'infiltration', 'fibrosis', 'hernia', 'pleural thickening', 'covid-19 pneumonia', 'a central venous catheter', 'an endotracheal tube'] },
  ultrasound: { anatomy: 'breast', findings: ['benign breast lesion', 'malignant breast tumor', 'normal breast tissue', 'breast cyst', 'fibroadenoma', 'thyroid nodule', 'gallstones', 'fatty liver', 'kidney stone', 'ovarian cyst', 'fetal head', 'deep vein thrombosis', 'ascites', 'appendicitis', 'liver lesion', 'carotid plaque', 'hydronephrosis', 'lymph node', 'breast calcification', 'irregular breast mass'] },
  fundus: { anatomy: 'retina', findings: ['diabetic retinopathy', 'no diabetic retinopathy', 'mild diabetic retinopathy', 'moderate diabetic retinopathy', 'severe diabetic retinopathy', 'proliferative diabetic retinopathy', 'glaucoma', 'age-related macular degeneration', 'wet age-related macular degeneration', 'retinal detachment', 'hypertensive retinopathy', 'drusen', 'optic disc edema', 'retinal vein occlusion', 'plus retinopathy of prematurity', 'macular hole', 'myopic retina', 'cotton wool spots', 'retinal hemorrhage', 'healthy retina'] },
  pathology: { anatomy: 'colon', findings: ['adipose tissue', 'background', 'debris', 'lymphocytes', 'mucus', 'smooth muscle', 'normal colon mucosa', 'cancer-associated stroma', 'colorectal adenocarcinoma epithelium', 'serrated lesion in the colon', 'tubular adenoma', 'lymph node metastasis', 'breast carcinoma', 'gastric intestinal metaplasia', 'necrosis', 'mitotic figures', 'tumor-infiltrating lymphocytes', 'prostate adenocarcinoma', 'liver cirrhosis', 'squamous cell carcinoma'] },
  'blood cell microscopy': { anatomy: 'peripheral blood', findings: ['basophil', 'eosinophil', 'erythroblast', 'immature granulocytes', 'lymphocyte', 'monocyte', 'neutrophil', 'platelet', 'sickle cells', 'malaria parasites', 'blast cells', 'band neutrophil', 'target cells', 'schistocytes', 'reactive lymphocyte', 'hypersegmented neutrophil', 'acute myeloid leukemia', 'acute lymphoblastic leukemia', 'iron deficiency anemia', 'normal red blood cells'] },
  CT: { anatomy: 'abdomen', findings: ['kidney tumor', 'liver tumor', 'lung cancer', 'intracranial hemorrhage', 'pulmonary embolism', 'pancreatic cancer', 'kidney stone', 'appendicitis', 'covid-19 ground-glass opacity', 'aortic aneurysm', 'bone metastasis', 'bowel obstruction', 'adrenal mass', 'spleen laceration', 'colon cancer'] },
  MRI: { anatomy: 'brain', findings: ['glioma', 'meningioma', 'pituitary tumor', 'no brain tumor', 'multiple sclerosis lesions', 'stroke', 'alzheimer atrophy', 'knee meniscus tear', 'anterior cruciate ligament tear', 'prostate cancer', 'spinal disc herniation', 'cardiac infarct', 'liver lesion', 'breast cancer', 'hydrocephalus'] },
  dermoscopy: { anatomy: 'skin', findings: ['melanoma', 'melanocytic nevus', 'basal cell carcinoma', 'actinic keratosis', 'benign keratosis', 'dermatofibroma', 'vascular lesion', 'squamous cell carcinoma', 'seborrheic keratosis', 'psoriasis', 'eczema', 'acne'] },
  endoscopy: { anatomy: 'gastrointestinal tract', findings: ['polyp', 'ulcerative colitis', 'esophagitis', 'normal cecum', 'normal pylorus', 'barrett esophagus', 'gastric ulcer', 'bleeding', 'hemorrhoids', 'dyed lifted polyp'] },
  OCT: { anatomy: 'retina', findings: ['choroidal neovascularization', 'diabetic macular edema', 'drusen', 'normal retina', 'epiretinal membrane', 'macular hole', 'central serous chorioretinopathy', 'retinal fluid'] },
  'dental radiograph': { anatomy: 'teeth', findings: ['dental implant', 'caries', 'periapical lesion', 'impacted wisdom tooth', 'root canal filling', 'bone loss'] },
  mammography: { anatomy: 'breast', findings: ['mass', 'calcification', 'architectural distortion', 'benign finding', 'malignant finding', 'normal breast'] },
  'musculoskeletal X-ray': { anatomy: 'bone', findings: ['wrist fracture', 'knee osteoarthritis', 'hip fracture', 'elbow abnormality', 'shoulder dislocation', 'normal hand'] },
};

/** The mini question pool: one question per (modality, finding), with domain, anatomy and finding. */
export function miniQuestionPool(): Question[] {
  return Object.entries(MINI_POOL_FINDINGS).flatMap(([domain, { anatomy, findings }]) =>
    findings.map((finding) => ({ text: `a ${domain} photo of ${finding}`, domain, anatomy, finding })),
  );
}

/** One mini-corpus entry as `buildMiniCorpus` (src/data/mini-corpus.ts) gives it. */
export interface MiniCorpusEntryLike {
  /** Unique id. */
  id: string;
  /** Caption. */
  caption: string;
  /** Raw pixels (uint8, HWC), stored in the memory as PNG; absent for text-only entries, which get no image embedding. */
  image?: RawImage;
  /** Domain. */
  domain: string;
  /** Source dataset. */
  source: string;
  /** Class label, when known. */
  label?: number | string;
}

/** PNG bytes of raw uint8 pixels (1 or 3 channels, or 4). */
export function encodePng(img: RawImage): Uint8Array {
  const png = new PNG({ width: img.width, height: img.height });
  const c = img.channels;
  if (![1, 3, 4].includes(c)) throw new Error(`encodePng: ${c} channels; expected 1, 3 or 4`);
  for (let i = 0; i < img.width * img.height; i++) {
    const g = img.pixels[i * c];
    png.data[i * 4] = g;
    png.data[i * 4 + 1] = c >= 3 ? img.pixels[i * c + 1] : g;
    png.data[i * 4 + 2] = c >= 3 ? img.pixels[i * c + 2] : g;
    png.data[i * 4 + 3] = c === 4 ? img.pixels[i * c + 3] : 255;
  }
  return PNG.sync.write(png);
}

/** Options of {@link buildMiniMemory}. */
export interface MiniMemoryOptions {
  /** The mini corpus entries (from `buildMiniCorpus`). */
  corpus: MiniCorpusEntryLike[];
  /** The model whose text tower embeds captions (the initial `mini` model). */
  model: DualEncoderLike;
  /** Embedder identity, e.g. `model:mini@<checkpoint hash>`. */
  embedderId: string;
  /** Progress. */
  progress?: ProgressSink;
}

/** Builds the mini memory in `dir`: images stored as PNG inside it, exact index. */
export function buildMiniMemory(dir: string, options: MiniMemoryOptions): Promise<Memory> {
  const entries: MemoryInput[] = options.corpus.map((e) => ({
    id: e.id,
    caption: e.caption,
    domain: e.domain,
    meta: { source: e.source, ...(e.label !== undefined ? { label: e.label } : {}) },
    ...(e.image ? { imageData: { bytes: encodePng(e.image), ext: 'png' as const } } : {}),
  }));
  return buildMemory(dir, entries, {
    embedder: modelTextEmbedder(options.model, { id: options.embedderId }),
    index: { kind: 'exact' },
    progress: options.progress,
    replace: true,
  });
}
