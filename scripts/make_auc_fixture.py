"""Writes test/fixtures/eval/auc-cases.json: the oracle for src/eval/auc.ts.

Independent of the TypeScript implementation (which sorts and uses mid-ranks), this computes
each one-vs-rest ROC-AUC by the Mann-Whitney pair count: the share of (positive, negative) pairs
where the positive scores higher, ties counting 1/2. That is the trapezoid-rule ROC area that
scikit-learn's roc_auc_score returns. Classes with no positive or no negative are skipped in the
macro mean (scikit-learn would raise). Scores are rounded to one decimal to force ties, and cast
to float32 so the JSON holds exactly what a Float32Array holds.

Run: /usr/bin/python3 scripts/make_auc_fixture.py   (numpy only; deterministic)
"""
import json
import os

import numpy as np


def pair_auc(s, pos):
    p, n = s[pos], s[~pos]
    if len(p) == 0 or len(n) == 0:
        return None
    gt = (p[:, None] > n[None, :]).sum()
    eq = (p[:, None] == n[None, :]).sum()
    return float((gt + 0.5 * eq) / (len(p) * len(n)))


def case(name, scores, labels, classes):
    scores = np.asarray(scores, dtype=np.float32).reshape(len(labels), classes)
    labels = np.asarray(labels, dtype=np.int64)
    per = [pair_auc(scores[:, c].astype(np.float64), labels == c) for c in range(classes)]
    ok = [a for a in per if a is not None]
    return {
        "name": name,
        "classes": classes,
        "labels": labels.tolist(),
        "scores": [float(x) for x in scores.ravel()],
        "perClass": per,
        "skipped": [c for c, a in enumerate(per) if a is None],
        "macro": float(np.mean(ok)) if ok else None,
    }


rng = np.random.default_rng(20251213)
cases = []
for name, n, k in [("binary-ties", 40, 2), ("4-class-ties", 60, 4), ("9-class", 200, 9)]:
    labels = rng.integers(0, k, n)
    # informative but noisy scores, rounded to force many ties
    scores = np.round(rng.normal(size=(n, k)) + 0.8 * np.eye(k)[labels], 1)
    cases.append(case(name, scores, labels, k))
# class 2 absent from the test set: skipped in the macro mean
labels = rng.choice([0, 1, 3], 30)
scores = np.round(rng.normal(size=(30, 4)) + np.eye(4)[labels], 1)
cases.append(case("class-2-absent", scores, labels, 4))
# softmax probabilities (what a CLIP head gives), with ties from rounding to 2 decimals
labels = rng.integers(0, 5, 80)
logits = rng.normal(size=(80, 5)) + 1.5 * np.eye(5)[labels]
probs = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
cases.append(case("softmax-5-class", np.round(probs, 2), labels, 5))

out = os.path.join(os.path.dirname(__file__), "..", "test", "fixtures", "eval", "auc-cases.json")
os.makedirs(os.path.dirname(out), exist_ok=True)
with open(out, "w") as f:
    json.dump({"source": "scripts/make_auc_fixture.py (numpy Mann-Whitney pair count)", "cases": cases}, f)
    f.write("\n")
print("wrote", out, [(c["name"], c["macro"], c["skipped"]) for c in cases])
