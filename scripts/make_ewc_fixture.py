#!/usr/bin/env python3
"""PyTorch oracle for EWC's Fisher estimate (test/methods-ewc.test.ts).

Run with the system interpreter that has torch 1.13:
    /usr/bin/python3 scripts/make_ewc_fixture.py
It writes test/fixtures/ewc/fisher.json. The model is the linear dual encoder of
test/fixtures/losses/fakes.ts (and `dfg_fixture` in make_loss_fixtures.py): image =
normalise(flatten(x) @ image.w), text = normalise(mean of text.embed rows of the ids @ text.w),
logits = scale * image @ text^T over the task's class prompts. The task loss for the Fisher is
the cross-entropy with the true label, no label smoothing.

The oracle differentiates every image on its own with torch.autograd (float64) and averages the
squared gradients: the diagonal empirical Fisher F = 1/N sum_n (d loss_n / d theta)^2
(Kirkpatrick et al., 2017, as commonly implemented). This is NOT Mammoth's models/ewc_on.py
estimator, which weights each sample's squared gradient by exp(-loss_n) = p(y_n|x_n) before
averaging; primed's EWC computes the unweighted mean (docs/primed-decisions.md). For contrast it also writes the square
of the gradient of the batch-mean loss, which is what a batched estimator would compute.
Inputs are drawn with a fixed numpy seed and rounded to float32.
"""
import json
import os

import numpy as np
import torch
import torch.nn.functional as F

OUT = os.path.join(os.path.dirname(__file__), '..', 'test', 'fixtures', 'ewc')
rs = np.random.RandomState(20251214)


def f32(a):
    return np.asarray(a, dtype=np.float32).astype(np.float64)


def tolist(x):
    if isinstance(x, torch.Tensor):
        x = x.detach().numpy()
    return np.asarray(x).tolist()


def main():
    n, side, vocab, ctx, hidden, embed, classes = 7, 2, 11, 3, 6, 4, 3
    pix = side * side
    scale = 10.0
    labels = [i % classes for i in range(n)]
    centres = rs.randn(classes, pix)
    images = f32(np.stack([centres[l] + 0.8 * rs.randn(pix) for l in labels]))
    prompt_ids = rs.randint(1, vocab, size=(classes, ctx))
    weights = {'image.w': f32(rs.randn(pix, embed) * 0.5), 'text.embed': f32(rs.randn(vocab, hidden) * 0.5),
               'text.w': f32(rs.randn(hidden, embed) * 0.5)}
    params = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True) for k, v in weights.items()}

    def loss_of(idx):
        x = torch.tensor(images[idx], dtype=torch.float64)
        img = F.normalize(x @ params['image.w'], dim=1)
        txt = F.normalize(params['text.embed'][torch.tensor(prompt_ids)].mean(1) @ params['text.w'], dim=1)
        logits = scale * img @ txt.t()
        return F.cross_entropy(logits, torch.tensor([labels[i] for i in idx]), reduction='mean')

    fisher = {k: torch.zeros_like(p) for k, p in params.items()}
    losses = []
    per_sample = []
    for i in range(n):
        loss = loss_of([i])
        losses.append(loss.item())
        grads = torch.autograd.grad(loss, list(params.values()))
        per_sample.append({k: tolist(g ** 2) for k, g in zip(params.keys(), grads)})
        for k, g in zip(params.keys(), grads):
            fisher[k] += g ** 2
    fisher = {k: v / n for k, v in fisher.items()}
    mean_grads = torch.autograd.grad(loss_of(list(range(n))), list(params.values()))
    squared_mean = {k: g ** 2 for k, g in zip(params.keys(), mean_grads)}

    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, 'fisher.json'), 'w') as fh:
        json.dump({
            'source': 'scripts/make_ewc_fixture.py (torch %s, float64)' % torch.__version__,
            'sizes': {'n': n, 'side': side, 'channels': 1, 'vocab': vocab, 'context': ctx, 'hidden': hidden,
                      'embed': embed, 'classes': classes},
            'logitScale': scale, 'labels': labels, 'images': tolist(images), 'promptIds': tolist(prompt_ids),
            'weights': {k: tolist(v) for k, v in weights.items()},
            'perSampleLoss': losses,
            'perSampleSquaredGradient': per_sample,
            'fisher': {k: tolist(v) for k, v in fisher.items()},
            'squaredBatchMeanGradient': {k: tolist(v) for k, v in squared_mean.items()},
        }, fh, indent=1)
        fh.write('\n')
    print('wrote', os.path.abspath(os.path.join(OUT, 'fisher.json')))


if __name__ == '__main__':
    main()
