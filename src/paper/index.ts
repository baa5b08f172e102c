/**
 * The paper's published numbers (arXiv 2512.13072v1), so notebooks and reports can print them
 * beside ours. Parsed from `docs/primed-paper.md` by `scripts/extract_paper_tables.py`.
 */
import tables from './paper-tables.json';

/** Three numbers: Transfer/Avg/Last (HieraMedTransfer) or ACC/AUC/BWT (MedXtreme); null where the paper prints none. */
export type Triple = [number | null, number | null, number | null];

/** Per-order triples of one method. */
export interface OrderedTriples {
  /** Order I. */
  I: Triple;
  /** Order II. */
  II: Triple;
}

/** The four sequences the ablation tables report. */
export interface FourSequences {
  /** HieraMedTransfer Order I: Transfer/Avg/Last. */
  'HMT-I': Triple;
  /** HieraMedTransfer Order II. */
  'HMT-II': Triple;
  /** MedXtreme Order I: ACC/AUC/BWT. */
  'MX-I': Triple;
  /** MedXtreme Order II. */
  'MX-II': Triple;
}

/** Per-dataset Transfer/Avg/Last of Tables 7 and 8. */
export interface PerDatasetTable {
  /** Dataset names in training order. */
  columns: string[];
  /** Zero-shot accuracy per dataset. */
  zeroShot: number[];
  /** Each dataset fine-tuned alone (upper bound). */
  fineTune: number[];
  /** Transfer per method, datasets 2..T. */
  transfer: Record<string, number[]>;
  /** Avg per method and dataset. */
  avg: Record<string, number[]>;
  /** Last per method and dataset. */
  last: Record<string, number[]>;
}

/** All tables of the paper that hold numbers. */
export interface PaperTables {
  /** Where the numbers come from. */
  source: string;
  /** Table 1: HieraMedTransfer, methods × (Transfer, Avg, Last) per order. */
  table1: Record<string, OrderedTriples>;
  /** Table 2: MedXtreme, methods × (ACC, AUC, BWT) per order. */
  table2: Record<string, OrderedTriples>;
  /** Tables 3/9: module ablation. */
  table9: Array<
    {
      /** Whether Contrastive Knowledge Transfer (the `α·L_CKT` distillation from the previous-task teacher, §4.1) is on in this row. */
      ckt: boolean;
      /** Whether Cross-Modality Consistency (the `β·L_CMC` alignment of the reference set's image and text embeddings, §4.2) is on. */
      cmc: boolean;
      /** Whether the Dynamic Fisher Weight Guard (the per-step Fisher-weighted pull towards the previous task's weights, §4.4) is on. */
      dfg: boolean;
    } & FourSequences
  >;
  /** Tables 4/10: component and hyper-parameter ablations (default rows omitted: they equal the full model). */
  table10: Array<
    {
      /** The component varied, as the paper names it: `Teacher`, `KD loss`, `CKT α`, `CMC β`, `Reg.` or `RAG`. */
      aspect: string;
      /**
       * The choice tried for that aspect, e.g. `Initial CLIP` (teacher), `Text-only` (KD loss), `0.5` (α or β), `EWC` (Reg.)
       * or `BM25` (RAG); every other component stays at the full model's default.
       */
      setting: string;
    } & FourSequences
  >;
  /** Table 11: HieraMedTransfer siphon b:c grid. */
  table11: Record<string, OrderedTriples>;
  /** Table 12: MedXtreme siphon b:c grid. */
  table12: Record<string, OrderedTriples>;
  /** Table 13: other backbones. */
  table13: Record<string, Record<string, FourSequences>>;
  /** Table 7: HieraMedTransfer Order I per dataset. */
  table7: PerDatasetTable;
  /** Table 8: HieraMedTransfer Order II per dataset. */
  table8: PerDatasetTable;
}

/** The paper's tables as typed data. */
export const paperTables: PaperTables = tables as unknown as PaperTables;
