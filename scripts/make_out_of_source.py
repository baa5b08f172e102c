"""Builds data/out-of-source/ (the images of the out-of-source mini memory) from the project's
shared data folder (../shared/data/out-of-source, see data/README.md for provenance and licences).

Each source image is centre-cropped to a square and resized to 28x28 RGB with PIL's BICUBIC
(antialiased), the MedMNIST recipe the bundled PBC subset also follows, and written as PNG.
captions.jsonl keeps one row per image: its caption, domain, source, licence and the original's
md5, so every bundled image is traceable to its file.

    /usr/bin/python3 scripts/make_out_of_source.py [--src ../shared/data/out-of-source] [--out data/out-of-source]
"""
import argparse
import hashlib
import json
import os

from PIL import Image

# Source folder -> the mini question pool's domain its images belong to.
SOURCES = {
    "bccd": "blood cell microscopy",
    "covid_cxr_ccby3": "chest X-ray",
}
SIZE = 28


def main():
    ap = argparse.ArgumentParser()
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument("--src", default=os.path.join(here, "..", "..", "shared", "data", "out-of-source"))
    ap.add_argument("--out", default=os.path.join(here, "..", "data", "out-of-source"))
    a = ap.parse_args()
    os.makedirs(os.path.join(a.out, "images"), exist_ok=True)
    rows = []
    for folder, domain in SOURCES.items():
        with open(os.path.join(a.src, folder, "captions.jsonl"), encoding="utf-8") as f:
            lines = [json.loads(l) for l in f if l.strip()]
        for r in sorted(lines, key=lambda r: r["image"]):
            src = os.path.join(a.src, folder, r["image"])
            data = open(src, "rb").read()
            md5 = hashlib.md5(data).hexdigest()
            if "md5" in r and r["md5"] != md5:
                raise SystemExit(f"{src}: md5 {md5} differs from captions.jsonl's {r['md5']}")
            im = Image.open(src).convert("RGB")
            w, h = im.size
            s = min(w, h)
            left, top = (w - s) // 2, (h - s) // 2
            im = im.crop((left, top, left + s, top + s)).resize((SIZE, SIZE), Image.BICUBIC)
            stem = os.path.splitext(os.path.basename(r["image"]))[0]
            name = f"{folder}-{stem}.png"
            im.save(os.path.join(a.out, "images", name), optimize=True)
            rows.append({
                "id": f"{folder}/{stem}",
                "image": f"images/{name}",
                "caption": r["caption"],
                "domain": domain,
                "source": r["source"],
                "license": r["license"],
                "original_md5": md5,
            })
    with open(os.path.join(a.out, "captions.jsonl"), "w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    print(f"wrote {len(rows)} images to {a.out}")


if __name__ == "__main__":
    main()
