/**
 * Loss functions as pure tensor functions (no variables, no state). Each returns a scalar and
 * runs in `tf.tidy`, so only the result survives. Conventions follow primed-decisions.md §2–3
 * and the PyTorch code they were checked against (scripts/make_loss_fixtures.py).
 *
 * Teachers, soft targets, anchors and importances are constants by construction: the trainer
 * differentiates with respect to the student's trainable variables only (`tf.variableGrads`),
 * and none of those inputs depends on them.
 */
import * as tf from '@tensorflow/tfjs';

/** Labels as a typed array, a plain array or an int32 tensor `[N]`. */
export type Labels = Int32Array | number[] | tf.Tensor1D;

function labelTensor(labels: Labels): tf.Tensor1D {
  return labels instanceof tf.Tensor ? labels : tf.tensor1d(Array.from(labels), 'int32');
}

/**
 * Cross-entropy with label smoothing, PyTorch semantics:
 * `(1 − ε)·CE(logits, y) + ε·mean over classes of −log p`, averaged over the batch.
 * @param logits `[N, C]`.
 * @param labels class index per row.
 * @param epsilon label smoothing ε in [0, 1); 0 gives plain cross-entropy. The task loss uses 0.2.
 */
export function labelSmoothedCrossEntropy(logits: tf.Tensor2D, labels: Labels, epsilon = 0): tf.Scalar {
  if (!(epsilon >= 0 && epsilon < 1)) throw new Error(`labelSmoothedCrossEntropy: epsilon must be in [0, 1), got ${epsilon}`);
  const [n, c] = logits.shape;
  return tf.tidy(() => {
    const y = labelTensor(labels);
    if (y.shape[0] !== n) throw new Error(`labelSmoothedCrossEntropy: ${y.shape[0]} labels for ${n} rows of logits`);
    const logp = tf.logSoftmax(logits, 1);
    const nll = tf.neg(tf.sum(tf.mul(tf.oneHot(y, c), logp), 1));
    const uniform = tf.neg(tf.mean(logp, 1));
    return tf.mean(tf.add(tf.mul(nll, 1 - epsilon), tf.mul(uniform, epsilon))) as tf.Scalar;
  });
}

/**
 * Cross-entropy against soft targets, averaged over rows: `mean_i Σ_j −p_ij log softmax(logits)_ij`.
 * @param logits `[N, C]`.
 * @param targets probabilities `[N, C]` (rows sum to 1), treated as constants.
 */
export function softCrossEntropy(logits: tf.Tensor2D, targets: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => tf.mean(tf.neg(tf.sum(tf.mul(targets, tf.logSoftmax(logits, 1)), 1))) as tf.Scalar);
}

/** Mean over rows of KL(softmax(teacher) ‖ softmax(student)); the teacher is a constant. */
export function rowKlDivergence(teacherLogits: tf.Tensor2D, studentLogits: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => {
    const logPt = tf.logSoftmax(teacherLogits, 1);
    const logPs = tf.logSoftmax(studentLogits, 1);
    return tf.mean(tf.sum(tf.mul(tf.exp(logPt), tf.sub(logPt, logPs)), 1)) as tf.Scalar;
  });
}

/**
 * CLIP classification logits `logitScale · images @ textsᵀ` for L2-normalised embeddings.
 * @param imageEmbeddings `[N, D]`.
 * @param textEmbeddings `[C, D]` (one row per class).
 * @param logitScale `exp(logit_scale)`, a number or a scalar tensor.
 */
export function clipLogits(imageEmbeddings: tf.Tensor2D, textEmbeddings: tf.Tensor2D, logitScale: number | tf.Scalar): tf.Tensor2D {
  return tf.tidy(() => tf.mul(tf.matMul(imageEmbeddings, textEmbeddings, false, true), logitScale) as tf.Tensor2D);
}

/**
 * The B×B cosine matrix of matched pairs: rows are captions, columns are images
 * (`M[k, j] = ⟨text_k, image_j⟩`), as CKT and CMC use it.
 */
export function pairSimilarity(textEmbeddings: tf.Tensor2D, imageEmbeddings: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => tf.matMul(textEmbeddings, imageEmbeddings, false, true));
}

/**
 * Which distributions CKT distils. `both` (default, "contrastive" in Table 4b); `text`: each
 * caption's distribution over the images (rows of M); `image`: each image's distribution over
 * the captions (columns of M). The paper's index convention is garbled (primed-paper.md §4.1);
 * this mapping is the documented choice.
 */
export type CktDirection = 'both' | 'text' | 'image';

/** Options of {@link cktLoss}. */
export interface CktOptions {
  /** KD temperature T in `Z = logitScale · M / T`. Default 1. */
  temperature?: number;
  /** Which directions to sum. Default `both`. */
  direction?: CktDirection;
}

/**
 * Contrastive Knowledge Transfer (paper Eqs. 13–17, decisions §3): with `Z = logitScale·M/T`,
 * the mean over rows of KL(softmax(Z_teacher) ‖ softmax(Z_student)) plus the same over columns.
 * @param studentMatrix student's B×B cosine matrix (rows captions, columns images).
 * @param teacherMatrix teacher's matrix for the same pairs (a constant).
 */
export function cktLoss(
  studentMatrix: tf.Tensor2D,
  teacherMatrix: tf.Tensor2D,
  logitScale: number | tf.Scalar,
  options: CktOptions = {},
): tf.Scalar {
  const temperature = options.temperature ?? 1;
  const direction = options.direction ?? 'both';
  if (!(temperature > 0)) throw new Error(`cktLoss: option temperature must be > 0, got ${temperature}`);
  if (!['both', 'text', 'image'].includes(direction)) throw new Error(`cktLoss: option direction must be both|text|image, got ${direction}`);
  return tf.tidy(() => {
    const zs = tf.div(tf.mul(studentMatrix, logitScale), temperature) as tf.Tensor2D;
    const zt = tf.div(tf.mul(teacherMatrix, logitScale), temperature) as tf.Tensor2D;
    const terms: tf.Scalar[] = [];
    if (direction !== 'image') terms.push(rowKlDivergence(zt, zs));
    if (direction !== 'text') terms.push(rowKlDivergence(tf.transpose(zt), tf.transpose(zs)));
    return tf.addN(terms) as tf.Scalar;
  });
}

/**
 * Cross-Modality Consistency (Eq. 18): symmetric InfoNCE of the student's matrix against the
 * identity, `CE(Z, I) + CE(Zᵀ, I)`, each averaged over the batch, `Z = logitScale·M`.
 */
export function cmcLoss(studentMatrix: tf.Tensor2D, logitScale: number | tf.Scalar): tf.Scalar {
  const b = studentMatrix.shape[0];
  if (studentMatrix.shape[1] !== b) throw new Error(`cmcLoss: matrix must be square, got ${studentMatrix.shape}`);
  return tf.tidy(() => {
    const z = tf.mul(studentMatrix, logitScale) as tf.Tensor2D;
    const diag = tf.range(0, b, 1, 'int32') as tf.Tensor1D;
    return tf.add(labelSmoothedCrossEntropy(z, diag), labelSmoothedCrossEntropy(tf.transpose(z), diag)) as tf.Scalar;
  });
}

/**
 * ZSCL's distillation (`finetune.py`): `CE(s/T, softmax(t/T)) · T²`, averaged over rows.
 * @param temperature T, default 2.
 */
export function zsclDistillation(teacherLogits: tf.Tensor2D, studentLogits: tf.Tensor2D, temperature = 2): tf.Scalar {
  return tf.tidy(() => {
    const p = tf.softmax(tf.div(teacherLogits, temperature));
    return tf.mul(softCrossEntropy(tf.div(studentLogits, temperature) as tf.Tensor2D, p as tf.Tensor2D), temperature * temperature) as tf.Scalar;
  });
}

/**
 * LwF's distillation (Li & Hoiem, TPAMI 2017, Eq. 2): soft targets `softmax(t/T)` and
 * `−Σ y′ log softmax(s/T)`, averaged over rows, without the T² factor.
 * @param temperature T, default 2 (the paper's value).
 */
export function lwfDistillation(teacherLogits: tf.Tensor2D, studentLogits: tf.Tensor2D, temperature = 2): tf.Scalar {
  return tf.tidy(() =>
    softCrossEntropy(tf.div(studentLogits, temperature) as tf.Tensor2D, tf.softmax(tf.div(teacherLogits, temperature)) as tf.Tensor2D),
  );
}

function checkSameLength(name: string, a: unknown[], b: unknown[]): void {
  if (a.length !== b.length) throw new Error(`${name}: ${a.length} parameters but ${b.length} anchors`);
}

/** l2 towards an anchor, sum reduction as ZSCL's `F.mse_loss(..., reduction="sum")`: `Σ‖θ − θ_start‖²`. */
export function l2Penalty(params: tf.Tensor[], anchors: tf.Tensor[]): tf.Scalar {
  checkSameLength('l2Penalty', params, anchors);
  return tf.tidy(() =>
    tf.addN(params.map((p, i) => tf.sum(tf.square(tf.sub(p, anchors[i]))))) as tf.Scalar,
  );
}

/**
 * Importance-weighted quadratic penalty `Σ F·(θ − θ*)²`: EWC with F the diagonal Fisher, and
 * DFG with F the per-step squared distillation gradient. F and θ* are constants.
 */
export function weightedL2Penalty(params: tf.Tensor[], anchors: tf.Tensor[], importance: tf.Tensor[]): tf.Scalar {
  checkSameLength('weightedL2Penalty', params, anchors);
  checkSameLength('weightedL2Penalty (importance)', params, importance);
  return tf.tidy(() =>
    tf.addN(
      params.map((p, i) => tf.sum(tf.mul(importance[i], tf.square(tf.sub(p, anchors[i]))))),
    ) as tf.Scalar,
  );
}

/** EWC's penalty `Σ F(θ − θ*)²` (an alias of {@link weightedL2Penalty}). */
export const ewcPenalty = weightedL2Penalty;
