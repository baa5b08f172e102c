#!/usr/bin/python3
"""Forward-parity oracle for src/model: tiny OpenAI-CLIP and BiomedCLIP models in PyTorch.

Run with Debian's /usr/bin/python3 (torch 1.13, numpy):

    /usr/bin/python3 scripts/make_model_parity_fixture.py

open_clip, timm and transformers are not installed there, so the modules below are minimal,
faithful re-statements of the upstream code the checkpoints come from:

- openai layout: openai/CLIP clip/model.py (commit d05afc43), VisionTransformer + text Transformer,
  nn.MultiheadAttention, QuickGELU, LayerNorm eps 1e-5, EOT pooling by argmax.
- biomedclip layout: timm v0.9.12 VisionTransformer (pre-LN, eps 1e-6, fused qkv, exact GELU, token
  pooling after the final norm) + open_clip v2.23.0 TimmModel head (Linear without bias); HF
  transformers v4.30.2 BertModel (post-LN, eps 1e-12, separate q/k/v, extended attention mask
  (1 - mask) * finfo.min), ClsLastHiddenStatePooler, and open_clip's mlp projection
  Linear -> GELU -> Linear without biases.

State-dict names follow those libraries exactly, and the script checks them against the key lists in
test/fixtures/checkpoints/*.keys.json (the layer indices present in the tiny model).

Writes to test/fixtures/model/:
  openai-tiny.safetensors, biomedclip-tiny.safetensors   weights (safetensors written by hand)
  openai-tiny.json, biomedclip-tiny.json                  config, inputs (NHWC images, ids), outputs
  dtypes.safetensors + dtypes.json                        one tensor per dtype with its decoded values
Deterministic: torch.manual_seed(SEED) and fixed configs.
"""
import json
import math
import os
import re
import struct

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

SEED = 20251213
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "test", "fixtures", "model")
KEYS = os.path.join(ROOT, "test", "fixtures", "checkpoints")


# --------------------------------------------------------------------------- safetensors by hand
DTYPES = {"F32": (np.float32, 4), "F16": (np.float16, 2), "I64": (np.int64, 8), "I32": (np.int32, 4)}


def write_safetensors(path, tensors, metadata=None):
    """tensors: list of (name, dtype_str, np.ndarray or raw bytes with shape)."""
    header = {}
    blobs = []
    offset = 0
    for name, dtype, arr, shape in tensors:
        if isinstance(arr, (bytes, bytearray)):
            raw = bytes(arr)
        else:
            raw = np.ascontiguousarray(arr.astype(DTYPES[dtype][0])).astype("<" + np.dtype(DTYPES[dtype][0]).str[1:]).tobytes()
        header[name] = {"dtype": dtype, "shape": list(shape), "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    if metadata:
        header["__metadata__"] = metadata
    h = json.dumps(header, separators=(",", ":")).encode("utf8")
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


# --------------------------------------------------------------------------- openai layout (clip/model.py)
class LayerNorm(nn.LayerNorm):
    def forward(self, x):
        return super().forward(x.float())


class QuickGELU(nn.Module):
    def forward(self, x):
        return x * torch.sigmoid(1.702 * x)


class ResidualAttentionBlock(nn.Module):
    def __init__(self, d_model, n_head, mlp_dim, attn_mask=None):
        super().__init__()
        self.attn = nn.MultiheadAttention(d_model, n_head)
        self.ln_1 = LayerNorm(d_model)
        self.mlp = nn.Sequential()
        self.mlp.add_module("c_fc", nn.Linear(d_model, mlp_dim))
        self.mlp.add_module("gelu", QuickGELU())
        self.mlp.add_module("c_proj", nn.Linear(mlp_dim, d_model))
        self.ln_2 = LayerNorm(d_model)
        self.attn_mask = attn_mask

    def attention(self, x):
        return self.attn(x, x, x, need_weights=False, attn_mask=self.attn_mask)[0]

    def forward(self, x):
        x = x + self.attention(self.ln_1(x))
        x = x + self.mlp(self.ln_2(x))
        return x


class Transformer(nn.Module):
    def __init__(self, width, layers, heads, mlp_dim, attn_mask=None):
        super().__init__()
        self.resblocks = nn.Sequential(*[ResidualAttentionBlock(width, heads, mlp_dim, attn_mask) for _ in range(layers)])

    def forward(self, x):
        return self.resblocks(x)


class OpenAIVision(nn.Module):
    def __init__(self, c):
        super().__init__()
        w, p = c["width"], c["patchSize"]
        self.conv1 = nn.Conv2d(3, w, kernel_size=p, stride=p, bias=False)
        scale = w ** -0.5
        self.class_embedding = nn.Parameter(scale * torch.randn(w))
        self.positional_embedding = nn.Parameter(scale * torch.randn((c["imageSize"] // p) ** 2 + 1, w))
        self.ln_pre = LayerNorm(w)
        self.transformer = Transformer(w, c["layers"], c["heads"], c["mlpDim"])
        self.ln_post = LayerNorm(w)
        self.proj = nn.Parameter(scale * torch.randn(w, c["embedDim"]))

    def forward(self, x):
        x = self.conv1(x)
        x = x.reshape(x.shape[0], x.shape[1], -1).permute(0, 2, 1)
        cls = self.class_embedding.to(x.dtype) + torch.zeros(x.shape[0], 1, x.shape[-1], dtype=x.dtype)
        x = torch.cat([cls, x], dim=1) + self.positional_embedding.to(x.dtype)
        x = self.ln_pre(x)
        x = self.transformer(x.permute(1, 0, 2)).permute(1, 0, 2)
        x = self.ln_post(x[:, 0, :])
        return x @ self.proj


class OpenAICLIP(nn.Module):
    def __init__(self, v, t, embed):
        super().__init__()
        self.context_length = t["contextLength"]
        mask = torch.empty(self.context_length, self.context_length).fill_(float("-inf")).triu_(1)
        self.visual = OpenAIVision({**v, "embedDim": embed})
        self.transformer = Transformer(t["width"], t["layers"], t["heads"], t["mlpDim"], attn_mask=mask)
        self.token_embedding = nn.Embedding(t["vocabSize"], t["width"])
        self.positional_embedding = nn.Parameter(torch.randn(self.context_length, t["width"]) * 0.1)
        self.ln_final = LayerNorm(t["width"])
        self.text_projection = nn.Parameter(torch.randn(t["width"], embed) * t["width"] ** -0.5)
        self.logit_scale = nn.Parameter(torch.ones([]) * np.log(1 / 0.07))

    def encode_image(self, image):
        return self.visual(image)

    def encode_text(self, text):
        x = self.token_embedding(text) + self.positional_embedding
        x = self.transformer(x.permute(1, 0, 2)).permute(1, 0, 2)
        x = self.ln_final(x)
        return x[torch.arange(x.shape[0]), text.argmax(dim=-1)] @ self.text_projection


# --------------------------------------------------------------------------- biomedclip layout
class TimmAttention(nn.Module):
    def __init__(self, dim, heads):
        super().__init__()
        self.num_heads, self.head_dim = heads, dim // heads
        self.scale = self.head_dim ** -0.5
        self.qkv = nn.Linear(dim, dim * 3, bias=True)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x):
        B, N, C = x.shape
        qkv = self.qkv(x).reshape(B, N, 3, self.num_heads, self.head_dim).permute(2, 0, 3, 1, 4)
        q, k, v = qkv.unbind(0)
        attn = (q * self.scale) @ k.transpose(-2, -1)
        attn = attn.softmax(dim=-1)
        x = (attn @ v).transpose(1, 2).reshape(B, N, C)
        return self.proj(x)


class TimmMlp(nn.Module):
    def __init__(self, dim, hidden):
        super().__init__()
        self.fc1, self.act, self.fc2 = nn.Linear(dim, hidden), nn.GELU(), nn.Linear(hidden, dim)

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x)))


class TimmBlock(nn.Module):
    def __init__(self, dim, heads, hidden):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim, eps=1e-6)
        self.attn = TimmAttention(dim, heads)
        self.norm2 = nn.LayerNorm(dim, eps=1e-6)
        self.mlp = TimmMlp(dim, hidden)

    def forward(self, x):
        x = x + self.attn(self.norm1(x))
        return x + self.mlp(self.norm2(x))


class PatchEmbed(nn.Module):
    def __init__(self, p, dim):
        super().__init__()
        self.proj = nn.Conv2d(3, dim, kernel_size=p, stride=p, bias=True)

    def forward(self, x):
        return self.proj(x).flatten(2).transpose(1, 2)


class TimmViT(nn.Module):
    def __init__(self, c):
        super().__init__()
        w = c["width"]
        self.cls_token = nn.Parameter(torch.randn(1, 1, w) * 0.02)
        self.pos_embed = nn.Parameter(torch.randn(1, (c["imageSize"] // c["patchSize"]) ** 2 + 1, w) * 0.02)
        self.patch_embed = PatchEmbed(c["patchSize"], w)
        self.blocks = nn.Sequential(*[TimmBlock(w, c["heads"], c["mlpDim"]) for _ in range(c["layers"])])
        self.norm = nn.LayerNorm(w, eps=1e-6)

    def forward(self, x):
        x = self.patch_embed(x)
        x = torch.cat((self.cls_token.expand(x.shape[0], -1, -1), x), dim=1) + self.pos_embed
        x = self.norm(self.blocks(x))
        return x[:, 0]  # global_pool='token'


class TimmModel(nn.Module):
    def __init__(self, c, embed):
        super().__init__()
        self.trunk = TimmViT(c)
        self.head = nn.Sequential()
        self.head.add_module("drop", nn.Dropout(0.0))
        self.head.add_module("proj", nn.Linear(c["width"], embed, bias=False))

    def forward(self, x):
        return self.head(self.trunk(x))


class BertEmbeddings(nn.Module):
    def __init__(self, t):
        super().__init__()
        self.word_embeddings = nn.Embedding(t["vocabSize"], t["width"], padding_idx=0)
        self.position_embeddings = nn.Embedding(t["maxPositions"], t["width"])
        self.token_type_embeddings = nn.Embedding(t["typeVocabSize"], t["width"])
        self.LayerNorm = nn.LayerNorm(t["width"], eps=1e-12)
        self.register_buffer("position_ids", torch.arange(t["maxPositions"]).expand((1, -1)))

    def forward(self, ids):
        L = ids.shape[1]
        tt = torch.zeros_like(ids)
        x = self.word_embeddings(ids) + self.token_type_embeddings(tt) + self.position_embeddings(self.position_ids[:, :L])
        return self.LayerNorm(x)


class BertSelfAttention(nn.Module):
    def __init__(self, w, heads):
        super().__init__()
        self.h, self.d = heads, w // heads
        self.query, self.key, self.value = nn.Linear(w, w), nn.Linear(w, w), nn.Linear(w, w)

    def split(self, x):
        return x.view(x.shape[0], x.shape[1], self.h, self.d).permute(0, 2, 1, 3)

    def forward(self, x, ext_mask):
        q, k, v = self.split(self.query(x)), self.split(self.key(x)), self.split(self.value(x))
        scores = q @ k.transpose(-1, -2) / math.sqrt(self.d) + ext_mask
        ctx = scores.softmax(-1) @ v
        return ctx.permute(0, 2, 1, 3).reshape(x.shape)


class DenseLN(nn.Module):
    """BertSelfOutput / BertOutput: dense, dropout, LayerNorm(hidden + input)."""

    def __init__(self, din, dout):
        super().__init__()
        self.dense = nn.Linear(din, dout)
        self.LayerNorm = nn.LayerNorm(dout, eps=1e-12)

    def forward(self, h, inp):
        return self.LayerNorm(self.dense(h) + inp)


class BertAttention(nn.Module):
    def __init__(self, w, heads):
        super().__init__()
        self.self = BertSelfAttention(w, heads)
        self.output = DenseLN(w, w)

    def forward(self, x, m):
        return self.output(self.self(x, m), x)


class BertIntermediate(nn.Module):
    def __init__(self, w, hidden):
        super().__init__()
        self.dense = nn.Linear(w, hidden)

    def forward(self, x):
        return F.gelu(self.dense(x))


class BertLayer(nn.Module):
    def __init__(self, t):
        super().__init__()
        self.attention = BertAttention(t["width"], t["heads"])
        self.intermediate = BertIntermediate(t["width"], t["mlpDim"])
        self.output = DenseLN(t["mlpDim"], t["width"])

    def forward(self, x, m):
        a = self.attention(x, m)
        return self.output(self.intermediate(a), a)


class BertEncoder(nn.Module):
    def __init__(self, t):
        super().__init__()
        self.layer = nn.ModuleList([BertLayer(t) for _ in range(t["layers"])])

    def forward(self, x, m):
        for layer in self.layer:
            x = layer(x, m)
        return x


class BertModel(nn.Module):
    def __init__(self, t):
        super().__init__()
        self.embeddings = BertEmbeddings(t)
        self.encoder = BertEncoder(t)

    def forward(self, ids, attention_mask):
        ext = (1.0 - attention_mask[:, None, None, :].float()) * torch.finfo(torch.float32).min
        return self.encoder(self.embeddings(ids), ext)


class HFTextEncoder(nn.Module):
    def __init__(self, t, embed):
        super().__init__()
        self.transformer = BertModel(t)
        hidden = (t["width"] + embed) // 2
        self.proj = nn.Sequential(nn.Linear(t["width"], hidden, bias=False), nn.GELU(), nn.Linear(hidden, embed, bias=False))

    def forward(self, ids):
        mask = (ids != 0).long()
        out = self.transformer(ids, mask)
        return self.proj(out[:, 0, :])  # ClsLastHiddenStatePooler


class CustomTextCLIP(nn.Module):
    def __init__(self, v, t, embed):
        super().__init__()
        self.visual = TimmModel(v, embed)
        self.text = HFTextEncoder(t, embed)
        self.logit_scale = nn.Parameter(torch.ones([]) * np.log(1 / 0.07))

    def encode_image(self, x):
        return self.visual(x)

    def encode_text(self, ids):
        return self.text(ids)


# --------------------------------------------------------------------------- helpers
def randomise(model):
    """Random weights of a realistic spread (LayerNorm gains around 1), so every term matters."""
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name == "logit_scale":
                p.fill_(math.log(50.0))
            elif re.search(r"(ln_|norm|LayerNorm).*weight$", name):
                p.copy_(1.0 + 0.1 * torch.randn_like(p))
            elif name.endswith("bias") or re.search(r"(ln_|norm|LayerNorm).*bias$", name):
                p.copy_(0.05 * torch.randn_like(p))
            elif p.dim() >= 2 and p.shape[-1] > 1:
                p.copy_(torch.randn_like(p) / math.sqrt(p.shape[-1] if p.dim() == 2 else p[0].numel()))
            else:
                p.copy_(0.1 * torch.randn_like(p))


def check_names_against_keys(sd_names, keys_file, layers_v, layers_t):
    """Tiny names must be exactly the real key list restricted to the layer indices the tiny model has."""
    keys = [e["name"] for e in json.load(open(os.path.join(KEYS, keys_file)))["state_dict"]]

    def keep(n):
        m = re.search(r"(resblocks|blocks|layer)\.(\d+)\.", n)
        if not m:
            return True
        vision = n.startswith("visual.")
        return int(m.group(2)) < (layers_v if vision else layers_t)

    expected = [k for k in keys if keep(k)]
    if sorted(expected) != sorted(sd_names):
        raise SystemExit(f"{keys_file}: name mismatch\nmissing {set(expected) - set(sd_names)}\nextra {set(sd_names) - set(expected)}")


def nhwc(x):
    return x.permute(0, 2, 3, 1).contiguous()


def make_openai():
    v = {"imageSize": 32, "patchSize": 8, "width": 64, "layers": 2, "heads": 4, "mlpDim": 256}
    t = {"vocabSize": 100, "contextLength": 16, "width": 48, "layers": 2, "heads": 4, "mlpDim": 192}
    embed = 32
    model = OpenAICLIP(v, t, embed).eval()
    randomise(model)
    sd = model.state_dict()
    check_names_against_keys(list(sd.keys()), "openai-clip-vit-b16.keys.json", v["layers"], t["layers"])
    # Mirror build_model()'s convert_weights(): conv, linear, MHA weights and the two projections in F16.
    half = re.compile(r"(conv1\.weight|in_proj_weight|in_proj_bias|out_proj\.(weight|bias)|c_fc\.(weight|bias)|c_proj\.(weight|bias)|^text_projection$|^visual\.proj$)")
    tensors = []
    with torch.no_grad():
        for name, p in sd.items():
            if half.search(name):
                p.copy_(p.half().float())  # the forward uses exactly the stored F16 values
                tensors.append((name, "F16", p.numpy().astype(np.float16), p.shape))
            else:
                tensors.append((name, "F32", p.numpy(), p.shape))
    # The three extras of the released TorchScript archive, which the loader ignores.
    tensors += [("input_resolution", "I64", np.array(32), []), ("context_length", "I64", np.array(16), []), ("vocab_size", "I64", np.array(100), [])]
    write_safetensors(os.path.join(OUT, "openai-tiny.safetensors"), tensors, {"format": "pt"})

    images = torch.randn(3, 3, 32, 32)
    ids = torch.zeros(3, t["contextLength"], dtype=torch.long)
    sot, eot = 98, 99
    for i, n in enumerate([5, 9, 14]):  # the last row fills the context exactly
        ids[i, 0] = sot
        ids[i, 1 : n + 1] = torch.randint(1, 98, (n,))
        ids[i, n + 1] = eot
    return model, v, t, embed, images, ids


def make_biomedclip():
    v = {"imageSize": 32, "patchSize": 8, "width": 64, "layers": 2, "heads": 4, "mlpDim": 128}
    t = {"vocabSize": 100, "contextLength": 16, "maxPositions": 24, "typeVocabSize": 2, "width": 48, "layers": 2, "heads": 4, "mlpDim": 96}
    embed = 32
    model = CustomTextCLIP(v, t, embed).eval()
    randomise(model)
    sd = model.state_dict()
    check_names_against_keys(list(sd.keys()), "biomedclip.keys.json", v["layers"], t["layers"])
    tensors = []
    for name, p in sd.items():
        if name.endswith("position_ids"):
            tensors.append((name, "I64", p.numpy(), p.shape))
        else:
            tensors.append((name, "F32", p.numpy(), p.shape))
    write_safetensors(os.path.join(OUT, "biomedclip-tiny.safetensors"), tensors, {"format": "pt"})

    images = torch.randn(3, 3, 32, 32)
    ids = torch.zeros(3, t["contextLength"], dtype=torch.long)
    for i, n in enumerate([3, 8, 14]):  # [CLS]=2 words [SEP]=3, zero padded
        ids[i, 0] = 2
        ids[i, 1 : n + 1] = torch.randint(5, 100, (n,))
        ids[i, n + 1] = 3
    return model, v, t, embed, images, ids


def dump(tag, layout, model, v, t, embed, images, ids):
    with torch.no_grad():
        img = model.encode_image(images)
        txt = model.encode_text(ids)
    out = {
        "source": "scripts/make_model_parity_fixture.py (torch %s, seed %d)" % (torch.__version__, SEED),
        "layout": layout,
        "config": {"layout": layout, "embedDim": embed, "vision": v, "text": t},
        "logitScale": float(model.logit_scale.exp()),
        "imagesShape": list(nhwc(images).shape),
        "imagesNHWC": nhwc(images).reshape(-1).tolist(),
        "ids": ids.tolist(),
        "imageFeatures": img.tolist(),  # before L2 normalisation
        "textFeatures": txt.tolist(),
        "imageEmbeddings": F.normalize(img, dim=-1).tolist(),
        "textEmbeddings": F.normalize(txt, dim=-1).tolist(),
    }
    with open(os.path.join(OUT, f"{tag}.json"), "w") as f:
        json.dump(out, f)


def make_dtypes():
    """One tensor per dtype; the JSON holds the values numpy decodes (the oracle for the reader)."""
    vals = np.array([0.0, 1.0, -2.5, 0.1, 65504.0, 6.1035156e-05, 5.9604645e-08, -0.33333334], dtype=np.float32)
    f16 = vals.astype(np.float16)
    bf16_bits = (vals.view(np.uint32) >> 16).astype("<u2")  # truncation: exact bfloat16 patterns
    bf16_vals = (bf16_bits.astype(np.uint32) << 16).view(np.float32)
    i64 = np.array([[0, 1, -7], [2147483647, -2147483648, 42]], dtype=np.int64)
    i32 = np.array([3, -1, 100000], dtype=np.int32)
    write_safetensors(
        os.path.join(OUT, "dtypes.safetensors"),
        [
            ("f32", "F32", vals, [2, 4]),
            ("f16", "F16", f16, [8]),
            ("bf16", "BF16", bf16_bits.tobytes(), [4, 2]),
            ("i64", "I64", i64, [2, 3]),
            ("i32", "I32", i32, [3]),
        ],
        {"note": "dtype fixture"},
    )
    with open(os.path.join(OUT, "dtypes.json"), "w") as f:
        json.dump(
            {
                "f32": vals.astype(np.float64).tolist(),
                "f16": f16.astype(np.float64).tolist(),
                "bf16": bf16_vals.astype(np.float64).tolist(),
                "i64": i64.reshape(-1).tolist(),
                "i32": i32.tolist(),
            },
            f,
        )


def main():
    os.makedirs(OUT, exist_ok=True)
    torch.manual_seed(SEED)
    dump("openai-tiny", "openai", *make_openai())
    torch.manual_seed(SEED + 1)
    dump("biomedclip-tiny", "biomedclip", *make_biomedclip())
    make_dtypes()
    print("wrote", sorted(os.listdir(OUT)))


if __name__ == "__main__":
    main()
