#!/usr/bin/env python3
"""Independent PyTorch oracle for whole training steps of the continual-learning methods
(test/methods-one-step.test.ts, issue 17).

    /usr/bin/python3 scripts/make_method_step_fixtures.py

Scenario: the tiny linear dual encoder of test/fixtures/losses/fakes.ts (image = normalise(flat(x)
@ image.w); text = normalise(mean of one-hot(ids) @ text.embed @ text.w); logit scale 10, not
trained), two tasks (A: 3 classes, B: 2 classes) of 6 images each, 2 steps per task on the whole
6-image batch (the losses are means over the batch, so the order the trainer draws does not
matter), warm-up 0 (lr 0.05 then 0.025 by ZSCL's cosine), AdamW (β 0.9/0.999, ε 1e-8, decoupled
weight decay 0.1, a fresh optimiser per task), CE with label smoothing 0.2 on prompts
"a photo of {class}". A reference set of 5 matched pairs (drawn whole each step) and a fixed
4-sentence set for ZSCL.

Each method is written here from its paper / reference code, not from primed's sources:
- finetune: CE (ZSCL finetune.py without extras).
- l2: + sum (theta - theta_task_start)^2 (ZSCL helpers.l2_loss, reduction="sum").
- ewc (lambda 10): after each task the diagonal empirical Fisher F = 1/N sum_n (d CE_n / d theta)^2 over
  the task's 6 images (true label, no smoothing; Kirkpatrick et al. 2017), F <- gamma F + F_task with
  gamma 1; from task B + lambda sum F (theta - theta*)^2, theta* = the weights at the end of task A.
- wise-ft (alpha 0.5): after each task theta <- alpha theta + (1 - alpha) theta_zeroshot (ZSCL
  finetune.py --wise_merge with wise_ft_model zeroshot).
- icarl (buffer 6, replay batch 6): after task A its 6 images (2 per class: the whole task) are
  stored; from task B + CE with label smoothing 0.2 of the stored images over task A's prompts
  (Rebuffi et al.'s rehearsal, task-incremental), the whole buffer each step.
- lwf: from task B, + LwF Eq. 2 (Li & Hoiem): -sum softmax(t/2) log softmax(s/2), mean over rows,
  over the prompts of earlier tasks, teacher = model at the start of the task.
- zscl: ZSCL finetune.py (method ZSCL, --image_loss --text_loss --we --l2 1, T=2): teacher = the
  initial model; logits = logit_scale * norm(img(ref)) @ norm(teacher.text(ref_texts))^T for student
  and teacher; distillation(t, s) = CE(s/T, softmax(t/T)) * T^2 both ways; weight ensemble every
  step here (avg_freq 1): n += 1; avg = (avg*n + theta)/(n+1); the task ends with avg.
- primed (teacher last / initial / wise:0.3): CKT = mean-row KL(softmax(s*Mt) || softmax(s*Ms)) over
  rows and over columns of the B x B caption-by-image cosine matrix, CMC = symmetric InfoNCE vs the
  identity; DFG (Eqs. 20-22): W = (d(alpha CKT + beta CMC)/d theta)^2 held constant,
  L_DFG = lambda * sum W (theta - theta_task_start)^2, i.e. the extra gradient 2 lambda W (theta - theta_start).
  Also written with the DFG gradient's sign flipped and its scale doubled, to show the test can
  tell (those must NOT match).
The inputs are drawn with a fixed numpy seed and rounded to float32; the oracle computes in float64.
"""
import json
import os

import numpy as np
import torch
import torch.nn.functional as F

OUT = os.path.join(os.path.dirname(__file__), '..', 'test', 'fixtures', 'methods')
SIZES = dict(imageSize=2, channels=1, vocab=23, context=4, hidden=6, embed=5)
LOGIT_SCALE = 10.0
TRAIN = dict(steps=2, batchSize=6, lr=0.05, warmup=0, weightDecay=0.1, labelSmoothing=0.2, seed=1)
NAMES = ['image.w', 'text.embed', 'text.w']
rs = np.random.RandomState(170017)


def f32(a):
    return np.asarray(a, dtype=np.float32).astype(np.float64)


# ---------------------------------------------------------------- tokenizer (WordTokenizer in fakes.ts)
def fnv1a(s):
    h = 0x811C9DC5
    for ch in s:
        h ^= ord(ch)
        h = (h * 0x01000193) & 0xFFFFFFFF
    return h


def encode(text):
    import re
    words = [w for w in re.split(r'[^A-Za-z0-9_]+', text.lower()) if w]
    ids = [1 + fnv1a(w) % (SIZES['vocab'] - 1) for w in words]
    while len(ids) < SIZES['context']:
        ids.append(ids[0] if ids else 0)
    return ids[:SIZES['context']]


# ---------------------------------------------------------------- the tiny model
def img_emb(W, x):
    z = x.reshape(x.shape[0], -1) @ W['image.w']
    return z / z.norm(dim=1, keepdim=True)


def txt_emb(W, texts):
    ids = torch.tensor([encode(t) for t in texts])
    counts = F.one_hot(ids, SIZES['vocab']).double().mean(1)
    z = counts @ W['text.embed'] @ W['text.w']
    return z / z.norm(dim=1, keepdim=True)


def ce_loss(W, task):
    prompts = [task['template'].replace('{}', c) for c in task['classNames']]
    logits = LOGIT_SCALE * img_emb(W, task['x']) @ txt_emb(W, prompts).T
    return F.cross_entropy(logits, task['y'], label_smoothing=TRAIN['labelSmoothing'])


def zscl_distill(t, s, T=2.0):
    p = F.softmax(t / T, dim=1)
    return F.cross_entropy(s / T, p, reduction='mean') * (T ** 2)


def lwf_distill(t, s, T=2.0):
    return -(F.softmax(t / T, dim=1) * F.log_softmax(s / T, dim=1)).sum(1).mean()


def kl_rows(t, s):
    lt, ls = F.log_softmax(t, 1), F.log_softmax(s, 1)
    return (lt.exp() * (lt - ls)).sum(1).mean()


def lr_at(step):
    # ZSCL utils.cosine_lr with warmup 0
    import math
    return 0.5 * (1 + math.cos(math.pi * step / TRAIN['steps'])) * TRAIN['lr']


def clone(W):
    return {k: v.detach().clone() for k, v in W.items()}


# ---------------------------------------------------------------- one method through tasks A, B
def run(method, W0, tasks, ref, ref_texts, teacher='last', dfg_sign=1.0, dfg_scale=1.0):
    W = clone(W0)
    initial = clone(W0)
    old_prompts = []
    fisher, anchor = None, None
    old_tasks = []
    history = []
    after = []
    for task in tasks:
        start = clone(W)
        params = {k: W[k].clone().requires_grad_(True) for k in NAMES}
        opt = torch.optim.AdamW([params[k] for k in NAMES], lr=TRAIN['lr'], betas=(0.9, 0.999), eps=1e-8, weight_decay=TRAIN['weightDecay'])
        if teacher == 'last':
            T_w = clone(start)
        elif teacher == 'initial':
            T_w = clone(initial)
        else:
            a = float(teacher.split(':')[1])
            T_w = {k: (1 - a) * initial[k] + a * start[k] for k in NAMES}
        avg, n = clone(start), 0
        for step in range(TRAIN['steps']):
            for g in opt.param_groups:
                g['lr'] = lr_at(step)
            losses = {}
            opt.zero_grad()
            ce = ce_loss(params, task)
            losses['ce'] = ce.item()
            main = ce
            if method == 'l2':
                l2 = sum(((params[k] - start[k]) ** 2).sum() for k in NAMES)
                losses['l2'] = l2.item()
                main = main + l2
            if method == 'ewc' and fisher is not None:
                pen = sum((fisher[k] * (params[k] - anchor[k]) ** 2).sum() for k in NAMES)
                losses['ewc'] = 10.0 * pen.item()
                main = main + 10.0 * pen
            if method == 'icarl' and old_tasks:
                l = sum(ce_loss(params, ot) for ot in old_tasks)
                losses['replay'] = l.item()
                main = main + l
            if method == 'lwf' and old_prompts:
                with torch.no_grad():
                    t = LOGIT_SCALE * img_emb(start, task['x']) @ txt_emb(start, old_prompts).T
                s = LOGIT_SCALE * img_emb(params, task['x']) @ txt_emb(params, old_prompts).T
                l = lwf_distill(t, s)
                losses['lwf'] = l.item()
                main = main + l
            if method == 'zscl':
                with torch.no_grad():
                    e_txt = txt_emb(initial, ref_texts)
                    t = LOGIT_SCALE * img_emb(initial, ref['x']) @ e_txt.T
                s = LOGIT_SCALE * img_emb(params, ref['x']) @ e_txt.T
                li, lt = zscl_distill(t, s), zscl_distill(t.T, s.T)
                l2 = sum(((params[k] - start[k]) ** 2).sum() for k in NAMES)
                losses.update({'zscl-image': li.item(), 'zscl-text': lt.item(), 'l2': l2.item()})
                main = main + li + lt + l2
            main.backward()
            if method == 'primed':
                # the distillation group: its own gradient, then DFG from it
                dparams = [params[k] for k in NAMES]
                with torch.no_grad():
                    Mt = txt_emb(T_w, ref['captions']) @ img_emb(T_w, ref['x']).T
                Ms = txt_emb(params, ref['captions']) @ img_emb(params, ref['x']).T
                ckt = kl_rows(LOGIT_SCALE * Mt, LOGIT_SCALE * Ms) + kl_rows(LOGIT_SCALE * Mt.T, LOGIT_SCALE * Ms.T)
                eye = torch.arange(Ms.shape[0])
                cmc = F.cross_entropy(LOGIT_SCALE * Ms, eye) + F.cross_entropy(LOGIT_SCALE * Ms.T, eye)
                dl = 1.0 * ckt + 0.25 * cmc
                g = torch.autograd.grad(dl, dparams)
                dfg_value = 0.0
                with torch.no_grad():
                    for k, p, gk in zip(NAMES, dparams, g):
                        Wf = gk ** 2
                        diff = p - start[k]
                        dfg_value += float((Wf * diff ** 2).sum())
                        p.grad += gk + dfg_sign * dfg_scale * 2.0 * Wf * diff
                losses.update({'ckt': ckt.item(), 'cmc': 0.25 * cmc.item(), 'dfg': dfg_value})
            opt.step()
            history.append(losses)
            if method == 'zscl':
                n += 1
                with torch.no_grad():
                    avg = {k: (avg[k] * n + params[k]) / (n + 1) for k in NAMES}
        W = {k: params[k].detach().clone() for k in NAMES}
        if method == 'zscl':
            W = clone(avg)
        if method == 'wise-ft':
            W = {k: 0.5 * W[k] + 0.5 * initial[k] for k in NAMES}
        if method == 'ewc':
            F_task = {k: torch.zeros_like(W[k]) for k in NAMES}
            for i in range(task['x'].shape[0]):
                p_i = {k: W[k].clone().requires_grad_(True) for k in NAMES}
                prompts = [task['template'].replace('{}', c) for c in task['classNames']]
                logits = LOGIT_SCALE * img_emb(p_i, task['x'][i:i + 1]) @ txt_emb(p_i, prompts).T
                g = torch.autograd.grad(F.cross_entropy(logits, task['y'][i:i + 1]), [p_i[k] for k in NAMES])
                for k, gk in zip(NAMES, g):
                    F_task[k] += gk ** 2 / task['x'].shape[0]
            fisher = F_task if fisher is None else {k: 1.0 * fisher[k] + F_task[k] for k in NAMES}
            anchor = clone(W)
        old_tasks.append(task)
        old_prompts += [task['template'].replace('{}', c) for c in task['classNames']]
        after.append({k: W[k].numpy().reshape(-1).tolist() for k in NAMES})
    return {'history': history, 'weightsAfterTask': after}


def main():
    torch.set_default_dtype(torch.float64)
    pix = SIZES['imageSize'] ** 2 * SIZES['channels']
    init = {
        'image.w': f32(rs.normal(size=(pix, SIZES['embed'])) * 0.5),
        'text.embed': f32(rs.normal(size=(SIZES['vocab'], SIZES['hidden'])) * 0.5),
        'text.w': f32(rs.normal(size=(SIZES['hidden'], SIZES['embed'])) * 0.5),
    }
    W0 = {k: torch.tensor(v) for k, v in init.items()}
    task_specs = [
        dict(name='task-a', classNames=['cat', 'dog', 'bird'], template='a photo of {}', labels=[0, 1, 2, 0, 1, 2]),
        dict(name='task-b', classNames=['red', 'white'], template='{} blood cell', labels=[0, 1, 0, 1, 0, 1]),
    ]
    tasks = []
    for t in task_specs:
        x = f32(rs.normal(size=(6, SIZES['imageSize'], SIZES['imageSize'], SIZES['channels'])))
        t['images'] = x.reshape(6, -1).tolist()
        tasks.append(dict(t, x=torch.tensor(x), y=torch.tensor(t['labels'])))
    ref_captions = ['a chest x ray of pneumonia', 'a blood smear with a neutrophil', 'a fundus photo of retinopathy', 'colon tissue with stroma', 'a breast ultrasound']
    ref_x = f32(rs.normal(size=(5, SIZES['imageSize'], SIZES['imageSize'], SIZES['channels'])))
    ref = dict(captions=ref_captions, x=torch.tensor(ref_x))
    ref_texts = ['a photo of a dog on grass', 'an ultrasound of a kidney', 'an x ray of a hand', 'a stained tissue slide']
    cases = {}
    for m in ['finetune', 'l2', 'ewc', 'icarl', 'lwf', 'wise-ft', 'zscl']:
        cases[m] = run(m, W0, tasks, ref, ref_texts)
    for teacher in ['last', 'initial', 'wise:0.3']:
        cases[f'primed teacher={teacher}'] = run('primed', W0, tasks, ref, ref_texts, teacher=teacher)
    cases['primed DFG sign flipped (must not match)'] = run('primed', W0, tasks, ref, ref_texts, dfg_sign=-1.0)
    cases['primed DFG scale x2 (must not match)'] = run('primed', W0, tasks, ref, ref_texts, dfg_scale=2.0)
    cases['primed without DFG (must not match)'] = run('primed', W0, tasks, ref, ref_texts, dfg_scale=0.0)
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, 'one-step.json'), 'w') as fh:
        json.dump({
            'source': 'scripts/make_method_step_fixtures.py', 'torch': torch.__version__,
            'sizes': SIZES, 'logitScale': LOGIT_SCALE, 'train': TRAIN,
            'init': {k: v.tolist() for k, v in init.items()},
            'tasks': [{k: t[k] for k in ['name', 'classNames', 'template', 'labels', 'images']} for t in task_specs],
            'reference': {'captions': ref_captions, 'images': ref_x.reshape(5, -1).tolist()},
            'referenceTexts': ref_texts,
            'cases': cases,
        }, fh, indent=1)
        fh.write('\n')
    print('wrote', os.path.join(OUT, 'one-step.json'))


if __name__ == '__main__':
    main()
