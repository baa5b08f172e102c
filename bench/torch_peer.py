#!/usr/bin/python3
"""PyTorch peer of the tfjs benchmarks: the same architecture, batch, loss and optimiser on CPU.

Run with Debian's /usr/bin/python3 (torch 1.13). The modules are the faithful re-statements of
timm / HF BERT / open_clip in scripts/make_model_parity_fixture.py (imported, not copied), so the
peer runs exactly the `biomedclip` layout that src/model builds.

    /usr/bin/python3 bench/torch_peer.py CASE.json

CASE.json (written by bench/run.ts): {"mode": "train"|"eval"|"primed", "threads": n,
"config": resolved ModelConfig, "batch": B, "refBatch": R, "promptIds": [[...]], "lr": x,
"labelSmoothing": 0.2, "warmup": w, "minRuns": r, "minSeconds": s, "seed": k,
"device": "cpu"|"cuda"|"cuda:N" (default cpu), "tf32": false}
Prints one JSON object: {"secondsPerIter": [...], "torch": version, "threads": n, "device": name,
"peakRssMiB": x, "cudaPeakMiB": y|null}. On CUDA each timed step ends with a synchronize.
"""
import importlib.util
import json
import os
import resource
import sys
import time

import torch
import torch.nn.functional as F

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_spec = importlib.util.spec_from_file_location("parity", os.path.join(ROOT, "scripts", "make_model_parity_fixture.py"))
parity = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(parity)


def build(config):
    if config["layout"] != "biomedclip":
        raise SystemExit(f"torch_peer: layout {config['layout']} not supported (bench uses biomedclip)")
    v = dict(config["vision"])
    t = dict(config["text"])
    model = parity.CustomTextCLIP(v, t, config["embedDim"])
    hidden = model.text.proj[0].out_features
    if hidden != t["projHidden"]:
        raise SystemExit(f"torch_peer: projHidden {t['projHidden']} differs from open_clip's rule ({hidden})")
    return model


def logits_of(model, images, ids):
    img = F.normalize(model.encode_image(images), dim=-1)
    txt = F.normalize(model.encode_text(ids), dim=-1)
    return model.logit_scale.exp() * img @ txt.t()


def pair_matrix(model, images, ids):
    img = F.normalize(model.encode_image(images), dim=-1)
    txt = F.normalize(model.encode_text(ids), dim=-1)
    return txt @ img.t()  # rows captions, columns images


def kl_rows(zt, zs):
    lt, ls = F.log_softmax(zt, 1), F.log_softmax(zs, 1)
    return (lt.exp() * (lt - ls)).sum(1).mean()


def main():
    case = json.load(open(sys.argv[1]))
    torch.manual_seed(case.get("seed", 0))
    torch.set_num_threads(int(case["threads"]))
    device = torch.device(case.get("device", "cpu"))
    cuda = device.type == "cuda"
    if cuda:
        torch.backends.cuda.matmul.allow_tf32 = bool(case.get("tf32", False))
        torch.backends.cudnn.allow_tf32 = bool(case.get("tf32", False))
    cfg = case["config"]
    model = build(cfg).to(device)
    v = cfg["vision"]
    B = case["batch"]
    images = torch.randn(B, v["channels"], v["imageSize"], v["imageSize"]).to(device)
    ids = torch.tensor(case["promptIds"], dtype=torch.long).to(device)
    labels = torch.randint(0, ids.shape[0], (B,)).to(device)
    params = [p for n, p in model.named_parameters() if n != "logit_scale"]
    model.logit_scale.requires_grad_(False)
    opt = torch.optim.AdamW(params, lr=case["lr"], betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0)
    mode = case["mode"]
    scale = model.logit_scale.exp()

    if mode == "primed":
        R = case["refBatch"]
        ref_images = torch.randn(R, v["channels"], v["imageSize"], v["imageSize"]).to(device)
        ref_ids = torch.tensor(case["refIds"], dtype=torch.long).to(device)
        teacher = build(cfg).to(device)
        teacher.load_state_dict(model.state_dict())
        teacher.requires_grad_(False)
        start = [p.detach().clone() for p in params]
        alpha, beta, lam = 1.0, 0.25, 1.0

    def train_step():
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(logits_of(model, images, ids), labels, label_smoothing=case["labelSmoothing"])
        loss.backward()
        opt.step()

    def primed_step():
        opt.zero_grad(set_to_none=True)
        ce = F.cross_entropy(logits_of(model, images, ids), labels, label_smoothing=case["labelSmoothing"])
        g_ce = torch.autograd.grad(ce, params, allow_unused=True)
        with torch.no_grad():
            zt = scale * pair_matrix(teacher, ref_images, ref_ids)
        zs = scale * pair_matrix(model, ref_images, ref_ids)
        ckt = kl_rows(zt, zs) + kl_rows(zt.t(), zs.t())
        eye = torch.arange(R, device=device)
        cmc = F.cross_entropy(zs, eye) + F.cross_entropy(zs.t(), eye)
        g_d = torch.autograd.grad(alpha * ckt + beta * cmc, params, allow_unused=True)
        with torch.no_grad():
            for p, a, d, s in zip(params, g_ce, g_d, start):
                g = torch.zeros_like(p)
                if a is not None:
                    g += a
                if d is not None:
                    g += d + 2 * lam * d.square() * (p - s)
                p.grad = g
        opt.step()

    with torch.no_grad():
        class_txt = F.normalize(model.encode_text(ids), dim=-1)  # once per evaluation, as in ours

    def eval_step():
        with torch.no_grad():
            txt = class_txt
            img = F.normalize(model.encode_image(images), dim=-1)
            (scale * img @ txt.t()).argmax(1)

    step = {"train": train_step, "eval": eval_step, "primed": primed_step}[mode]

    def fn():
        step()
        if cuda:
            torch.cuda.synchronize(device)

    for _ in range(case["warmup"]):
        fn()
    times = []
    began = time.perf_counter()
    while len(times) < case["minRuns"] or time.perf_counter() - began < case["minSeconds"]:
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
        if len(times) >= case.get("maxRuns", 1000):
            break
    print(json.dumps({
        "secondsPerIter": times, "torch": torch.__version__, "threads": torch.get_num_threads(),
        "device": torch.cuda.get_device_name(device) if cuda else "cpu",
        "peakRssMiB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "cudaPeakMiB": torch.cuda.max_memory_allocated(device) / 2**20 if cuda else None,
    }))


if __name__ == "__main__":
    main()
