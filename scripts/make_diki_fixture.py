#!/usr/bin/python3
"""PyTorch oracle for src/methods/diki.ts on the tiny OpenAI-layout model (test/fixtures/model/openai-tiny.*).

Run with Debian's /usr/bin/python3 (torch 1.13, numpy):

    /usr/bin/python3 scripts/make_diki_fixture.py

Restates, from DIKI's code (github.com/lloongx/DIKI, clip/attention.py `multi_head_attention_forward`
and DIKI/DIKI.py `CustomCLIP.forward` / `train_one_task`), written independently of the TypeScript:
- IKI: the prefix [B, 2, L, E] of a layer is split into heads and attended to in its own softmax,
  `Attn(q, K, V) + w * Attn(q, P_k, P_v)`, before the output projection (torch 1.13 has no
  scaled_dot_product_attention, so softmax(q k^T / sqrt(d)) v is written out);
- the task loss: label-smoothed cross-entropy of logit_scale * img @ txt^T (our trainer's loss);
- DIC: per task the mean and unbiased covariance (+1e-7 I) of the frozen model's L2-normalised image
  embeddings of its training images; MultivariateNormal(...).log_prob (float64 here); the top task per
  image and the weight sigmoid(logp / 512 - 1); batchwise: the most frequent task for the batch.

Writes test/fixtures/methods/diki.json. Deterministic (fixed seed).
"""
import importlib.util
import json
import math
import os
import struct

import numpy as np
import torch
import torch.nn.functional as F

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODEL = os.path.join(ROOT, "test", "fixtures", "model")
OUT = os.path.join(ROOT, "test", "fixtures", "methods", "diki.json")
SEED = 20261206
SMOOTHING = 0.2
PREFIX_LEN = 3

spec = importlib.util.spec_from_file_location("parity", os.path.join(ROOT, "scripts", "make_model_parity_fixture.py"))
parity = importlib.util.module_from_spec(spec)
spec.loader.exec_module(parity)


def read_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    kinds = {"F32": np.float32, "F16": np.float16, "I64": np.int64}
    for name, e in header.items():
        if name == "__metadata__":
            continue
        a, b = e["data_offsets"]
        out[name] = np.frombuffer(data[a:b], dtype=kinds[e["dtype"]]).reshape(e["shape"])
    return out


def load_model():
    fx = json.load(open(os.path.join(MODEL, "openai-tiny.json")))
    c = fx["config"]
    model = parity.OpenAICLIP(c["vision"], c["text"], c["embedDim"]).eval()
    weights = read_safetensors(os.path.join(MODEL, "openai-tiny.safetensors"))
    sd = {k: torch.tensor(v.astype(np.float32)) for k, v in weights.items() if k in model.state_dict()}
    model.load_state_dict(sd)
    for p in model.parameters():
        p.requires_grad_(False)
    return model, fx


def attention_with_prefix(block, x, prefix, weight):
    """x: [T, B, E] (LND); prefix: [B, 2, L, E] or None; weight: [B] or None."""
    attn = block.attn
    t, b, e = x.shape
    h = attn.num_heads
    d = e // h
    q, k, v = F.linear(x, attn.in_proj_weight, attn.in_proj_bias).chunk(3, dim=-1)
    heads = lambda y: y.reshape(y.shape[0], b, h, d).permute(1, 2, 0, 3)  # [B, H, T, d]
    qh, kh, vh = heads(q), heads(k), heads(v)
    out = torch.softmax(qh @ kh.transpose(-1, -2) / math.sqrt(d), dim=-1) @ vh
    if prefix is not None:
        ln = prefix.shape[2]
        pk = prefix[:, 0].reshape(b, ln, h, d).permute(0, 2, 1, 3)
        pv = prefix[:, 1].reshape(b, ln, h, d).permute(0, 2, 1, 3)
        extra = torch.softmax(qh @ pk.transpose(-1, -2) / math.sqrt(d), dim=-1) @ pv
        if weight is not None:
            extra = extra * weight.view(b, 1, 1, 1)
        out = out + extra
    out = out.permute(2, 0, 1, 3).reshape(t, b, e)
    return F.linear(out, attn.out_proj.weight, attn.out_proj.bias)


def encode_image(model, images_nchw, prefixes=None, weight=None):
    """L2-normalised image embeddings; prefixes: list per layer of [B, 2, L, E] (or None = frozen model)."""
    vis = model.visual
    x = vis.conv1(images_nchw)
    x = x.reshape(x.shape[0], x.shape[1], -1).permute(0, 2, 1)
    cls = vis.class_embedding + torch.zeros(x.shape[0], 1, x.shape[-1])
    x = torch.cat([cls, x], dim=1) + vis.positional_embedding
    x = vis.ln_pre(x).permute(1, 0, 2)
    for i, block in enumerate(vis.transformer.resblocks):
        p = prefixes[i] if prefixes is not None and i < len(prefixes) else None
        x = x + attention_with_prefix(block, block.ln_1(x), p, weight)
        x = x + block.mlp(block.ln_2(x))
    x = vis.ln_post(x.permute(1, 0, 2)[:, 0, :]) @ vis.proj
    return x / x.norm(dim=-1, keepdim=True)


def encode_text(model, ids):
    x = model.encode_text(ids)
    return x / x.norm(dim=-1, keepdim=True)


def synthetic_images(task, first, count):
    """NCHW float32 images by formula (the test computes the same in TypeScript, so none are stored):
    v[n, c, y, x] = scale * sin(0.9 n + 2.1 c + 0.31 y + 0.17 x + 0.05 x y / (n + 1)) + offset, n from `first`;
    task 0: scale 1, offset 0; task 1: scale 0.8, offset 0.6."""
    scale, offset = (1.0, 0.0) if task == 0 else (0.8, 0.6)
    n, c, y, x = np.meshgrid(np.arange(first, first + count), np.arange(3), np.arange(32), np.arange(32), indexing="ij")
    v = scale * np.sin(0.9 * n + 2.1 * c + 0.31 * y + 0.17 * x + 0.05 * x * y / (n + 1)) + offset
    return torch.tensor(v.astype(np.float32))


def gaussian(emb):
    e = emb.double()
    mean = e.mean(0)
    delta = e - mean
    cov = delta.t() @ delta / (e.shape[0] - 1) + torch.eye(e.shape[1], dtype=torch.float64) * 1e-7
    return torch.distributions.MultivariateNormal(mean, cov)


def main():
    torch.manual_seed(SEED)
    model, fx = load_model()
    c = fx["config"]
    width, layers = c["vision"]["width"], c["vision"]["layers"]

    # Two tasks of 40 training images each (task 1 brighter), three classes, their prompts' ids.
    train = [synthetic_images(0, 0, 40), synthetic_images(1, 0, 40)]
    labels = [torch.arange(40) % 3, torch.arange(40) % 3]
    ids = torch.zeros(3, 16, dtype=torch.long)
    for i, n in enumerate([3, 4, 5]):
        ids[i, 0] = 98
        ids[i, 1 : n + 1] = torch.randint(1, 98, (n,))
        ids[i, n + 1] = 99

    # Task-0 prefixes (keys and values non-zero so that every part of the gradient is exercised),
    # and task-1 prefixes for the routed evaluation.
    pools = [[torch.randn(2, PREFIX_LEN, width) * 0.5 for _ in range(layers)] for _ in range(2)]

    # Training step of task 0 on its first 8 images: loss and gradient w.r.t. task 0's prefixes.
    leaves = [p.clone().requires_grad_(True) for p in pools[0]]
    x = train[0][:8]
    img = encode_image(model, x, [l.unsqueeze(0).expand(8, -1, -1, -1) for l in leaves])
    txt = encode_text(model, ids)
    logits = model.logit_scale.exp() * img @ txt.t()
    loss = F.cross_entropy(logits, labels[0][:8], label_smoothing=SMOOTHING)
    loss.backward()

    # DIC at evaluation: Gaussians of both tasks, test images from both.
    with torch.no_grad():
        gauss = [gaussian(encode_image(model, t)) for t in train]
        test_images = torch.cat([synthetic_images(0, 100, 5), synthetic_images(1, 100, 5)])
        frozen = encode_image(model, test_images).double()
        logp = torch.vstack([g.log_prob(frozen) for g in gauss]).t()  # [10, 2]
        top, idx = logp.topk(1, dim=1)
        w = torch.sigmoid(top.squeeze(1) / 512 - 1.0).float()
        routed = {}
        for batchwise in (False, True):
            tasks = idx.squeeze(1)
            if batchwise:
                ids_u, counts = torch.unique(tasks, return_counts=True, sorted=True)
                tasks = ids_u[counts.argmax()].repeat(tasks.shape[0])
            pref = [torch.stack([pools[int(t)][l] for t in tasks]) for l in range(layers)]
            routed["batchwise" if batchwise else "perImage"] = {
                "tasks": tasks.tolist(),
                "embeddings": encode_image(model, test_images, pref, w).tolist(),
            }

    out = {
        "source": "scripts/make_diki_fixture.py (torch %s, seed %d)" % (torch.__version__, SEED),
        "prefixLength": PREFIX_LEN,
        "labelSmoothing": SMOOTHING,
        "ids": ids.tolist(),
        "train": [{"task": i, "first": 0, "count": 40, "labels": l.tolist()} for i, l in enumerate(labels)],
        "prefixes": [[p.reshape(-1).tolist() for p in pool] for pool in pools],
        "step": {"loss": loss.item(), "grads": [l.grad.reshape(-1).tolist() for l in leaves]},
        "test": {
            "images": [{"task": 0, "first": 100, "count": 5}, {"task": 1, "first": 100, "count": 5}],
            "logProbs": logp.tolist(),
            "weights": w.tolist(),
            **routed,
        },
    }
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        json.dump(out, f)
    print("wrote", OUT, "loss", loss.item(), "logp", logp.tolist()[:2], "weights", w.tolist())


if __name__ == "__main__":
    main()
