#!/usr/bin/env python3
"""PyTorch oracle for the losses and the optimiser in src/train (test/train-losses.test.ts,
test/train-optimizer.test.ts, test/methods-dfg.test.ts).

Run with the system interpreter that has torch 1.13:
    /usr/bin/python3 scripts/make_loss_fixtures.py
It writes test/fixtures/losses/*.json. Inputs are drawn with a fixed numpy seed and rounded to
float32 so the TypeScript side sees exactly the same numbers; the oracle computes in float64.
"""
import json
import math
import os

import numpy as np
import torch
import torch.nn.functional as F

OUT = os.path.join(os.path.dirname(__file__), '..', 'test', 'fixtures', 'losses')
rs = np.random.RandomState(20251213)


def f32(a):
    return np.asarray(a, dtype=np.float32).astype(np.float64)


def t(a):
    return torch.tensor(a, dtype=torch.float64)


def normalize_rows(a):
    return a / np.linalg.norm(a, axis=1, keepdims=True)


def dump(name, obj):
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, name), 'w') as fh:
        json.dump(obj, fh, indent=1)
        fh.write('\n')


def tolist(x):
    if isinstance(x, torch.Tensor):
        x = x.detach().numpy()
    return np.asarray(x).tolist()


# ---------------------------------------------------------------- losses
def zscl_distillation(t_logits, s_logits, T=2.0):
    # ZSCL finetune.py: CE(s/T, softmax(t/T)) * T^2, mean over rows.
    p = F.softmax(t_logits / T, dim=1)
    return F.cross_entropy(s_logits / T, p, reduction='mean') * (T ** 2)


def lwf_distillation(t_logits, s_logits, T=2.0):
    # Li & Hoiem (TPAMI 2017) Eq. 2: y' = softmax(y/T), loss = -sum y' log softmax(s/T), no T^2.
    return -(F.softmax(t_logits / T, dim=1) * F.log_softmax(s_logits / T, dim=1)).sum(1).mean()


def ckt(student_m, teacher_m, scale, T=1.0):
    zs = scale * student_m / T
    zt = scale * teacher_m / T
    rows = F.kl_div(F.log_softmax(zs, 1), F.softmax(zt, 1), reduction='batchmean')
    cols = F.kl_div(F.log_softmax(zs.t(), 1), F.softmax(zt.t(), 1), reduction='batchmean')
    return rows, cols


def cmc(student_m, scale):
    z = scale * student_m
    target = torch.arange(z.shape[0])
    return F.cross_entropy(z, target) + F.cross_entropy(z.t(), target)


def losses_fixture():
    n, c = 7, 5
    logits = f32(rs.randn(n, c) * 3)
    labels = rs.randint(0, c, size=n)
    ce = {}
    for eps in (0.0, 0.1, 0.2):
        ce[str(eps)] = F.cross_entropy(t(logits), torch.tensor(labels), label_smoothing=eps).item()

    b, d = 6, 8
    s_txt = f32(normalize_rows(rs.randn(b, d)))
    s_img = f32(normalize_rows(rs.randn(b, d)))
    t_txt = f32(normalize_rows(s_txt + 0.5 * rs.randn(b, d)))
    t_img = f32(normalize_rows(s_img + 0.5 * rs.randn(b, d)))
    scale = 14.285714149475098  # exp(log(1/0.07)) in float32, CLIP's initial value
    sm = t(s_txt) @ t(s_img).t()
    tm = t(t_txt) @ t(t_img).t()
    ckt_out = {}
    for T in (1.0, 2.0):
        r, co = ckt(sm, tm, scale, T)
        ckt_out[str(T)] = {'rows': r.item(), 'cols': co.item(), 'both': (r + co).item()}
    cmc_out = cmc(sm, scale).item()

    t_logits = f32(rs.randn(n, c) * 4)
    s_logits = f32(rs.randn(n, c) * 4)
    zscl = zscl_distillation(t(t_logits), t(s_logits), 2.0).item()
    lwf = lwf_distillation(t(t_logits), t(s_logits), 2.0).item()

    theta = [f32(rs.randn(3, 4)), f32(rs.randn(5))]
    start = [f32(p + 0.3 * rs.randn(*p.shape)) for p in theta]
    fisher = [f32(np.abs(rs.randn(*p.shape))) for p in theta]
    l2 = sum(F.mse_loss(t(p), t(q), reduction='sum') for p, q in zip(theta, start)).item()
    ewc = sum((t(fi) * (t(p) - t(q)) ** 2).sum() for p, q, fi in zip(theta, start, fisher)).item()

    dump('losses.json', {
        'source': 'scripts/make_loss_fixtures.py (torch %s)' % torch.__version__,
        'ce': {'logits': tolist(logits), 'labels': tolist(labels), 'loss': ce},
        'contrastive': {
            'studentText': tolist(s_txt), 'studentImage': tolist(s_img),
            'teacherText': tolist(t_txt), 'teacherImage': tolist(t_img),
            'logitScale': scale, 'ckt': ckt_out, 'cmc': cmc_out,
        },
        'distill': {'teacher': tolist(t_logits), 'student': tolist(s_logits), 'zscl': zscl, 'lwf': lwf},
        'penalty': {
            'theta': [tolist(p) for p in theta], 'start': [tolist(p) for p in start],
            'fisher': [tolist(p) for p in fisher], 'l2': l2, 'ewc': ewc,
        },
    })


# ---------------------------------------------------------------- optimiser + schedule
def zscl_cosine_lr(base_lr, warmup_length, steps, step):
    # ZSCL src/models/utils.py: _warmup_lr then 0.5 * (1 + cos(pi * e / es)) * base_lr
    if step < warmup_length:
        return base_lr * (step + 1) / warmup_length
    e = step - warmup_length
    es = steps - warmup_length
    return 0.5 * (1 + np.cos(np.pi * e / es)) * base_lr


def optimizer_fixture():
    cases = []
    for wd in (0.0, 0.1):
        params0 = [f32(rs.randn(3, 2)), f32(rs.randn(4))]
        steps, warmup, base_lr = 8, 3, 0.05
        grads = [[f32(rs.randn(*p.shape)) for p in params0] for _ in range(steps)]
        params = [torch.tensor(p, dtype=torch.float64, requires_grad=True) for p in params0]
        opt = torch.optim.AdamW(params, lr=base_lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=wd)
        lrs, after = [], []
        for s in range(steps):
            lr = zscl_cosine_lr(base_lr, warmup, steps, s)
            for g in opt.param_groups:
                g['lr'] = lr
            lrs.append(float(lr))
            for p, g in zip(params, grads[s]):
                p.grad = t(g)
            opt.step()
            after.append([tolist(p) for p in params])
        cases.append({
            'weightDecay': wd, 'baseLr': base_lr, 'warmup': warmup, 'steps': steps,
            'params0': [tolist(p) for p in params0], 'grads': [[tolist(g) for g in gs] for gs in grads],
            'lrs': lrs, 'paramsAfter': after,
        })
    long_lrs = [float(zscl_cosine_lr(1e-5, 100, 1000, s)) for s in range(1000)]
    dump('adamw.json', {'source': 'scripts/make_loss_fixtures.py', 'cases': cases,
                        'schedule1000': {'baseLr': 1e-5, 'warmup': 100, 'steps': 1000, 'lrs': long_lrs}})


# ---------------------------------------------------------------- DFG importance on a linear dual encoder
def dfg_fixture():
    # Image tower: flatten(x) @ Wi, normalised. Text tower: mean of embedding rows of the ids @ Wt,
    # normalised. test/fixtures/losses/linear-dual-encoder.ts is the same model in tfjs.
    b, pix, vocab, ctx, e, d = 5, 4, 11, 3, 6, 4
    images = f32(rs.randn(b, pix))
    ids = rs.randint(0, vocab, size=(b, ctx))
    student = {'image.w': f32(rs.randn(pix, d) * 0.5), 'text.embed': f32(rs.randn(vocab, e) * 0.5),
               'text.w': f32(rs.randn(e, d) * 0.5)}
    teacher = {k: f32(v + 0.2 * rs.randn(*v.shape)) for k, v in student.items()}
    scale = 10.0
    alpha, beta = 1.0, 0.25

    def encode(p):
        img = F.normalize(t(images) @ p['image.w'], dim=1)
        txt = F.normalize(p['text.embed'][torch.tensor(ids)].mean(1) @ p['text.w'], dim=1)
        return txt @ img.t()

    sp = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True) for k, v in student.items()}
    tp = {k: t(v) for k, v in teacher.items()}
    sm = encode(sp)
    with torch.no_grad():
        tm = encode(tp)
    r, c = ckt(sm, tm, scale)
    distill = alpha * (r + c) + beta * cmc(sm, scale)
    grads = torch.autograd.grad(distill, list(sp.values()))
    w = {k: tolist(g.detach() ** 2) for k, g in zip(sp.keys(), grads)}
    dump('dfg.json', {
        'source': 'scripts/make_loss_fixtures.py',
        'sizes': {'batch': b, 'pixels': pix, 'vocab': vocab, 'context': ctx, 'hidden': e, 'embed': d},
        'images': tolist(images), 'ids': tolist(ids), 'logitScale': scale, 'alpha': alpha, 'beta': beta,
        'student': {k: tolist(v) for k, v in student.items()},
        'teacher': {k: tolist(v) for k, v in teacher.items()},
        'distillLoss': distill.item(), 'importance': w,
    })


if __name__ == '__main__':
    losses_fixture()
    optimizer_fixture()
    dfg_fixture()
    print('wrote', os.path.abspath(OUT))
