#!/usr/bin/env python3
"""Writes notebooks/NN-name.ipynb from notebooks/src/nb0x-NN-name.nbsrc (notebooks 00-03).

A .nbsrc file is the notebook's cells in order, each opened by a line `%% md` (Markdown) or
`%% ts` (a TypeScript code cell for the tslab kernel). The notebooks are written without
outputs (nbformat 4.5, kernel tslab); `bash notebooks/run.sh` executes them.

Usage: python3 notebooks/src/nb0x-build.py [--check]
  --check  exit 1 if a committed .ipynb differs from what its .nbsrc gives (no files written)
"""
import json
import pathlib
import re
import sys

HERE = pathlib.Path(__file__).resolve().parent
NOTEBOOKS = HERE.parent
KERNELSPEC = {"name": "tslab", "display_name": "TypeScript", "language": "typescript"}
LANGUAGE_INFO = {"name": "typescript", "file_extension": ".ts", "mimetype": "text/typescript"}


def parse(text: str, where: str):
    cells = []
    kind = None
    lines: list[str] = []

    def flush():
        if kind is None:
            if any(l.strip() for l in lines):
                raise SystemExit(f"{where}: text before the first '%% md' / '%% ts' line")
            return
        body = "\n".join(lines).strip("\n")
        if not body.strip():
            raise SystemExit(f"{where}: empty {kind} cell")
        cells.append((kind, body))

    for line in text.split("\n"):
        m = re.fullmatch(r"%% (md|ts)\s*", line)
        if m:
            flush()
            kind, lines = m.group(1), []
        else:
            lines.append(line)
    flush()
    return cells


def notebook(cells, stem: str):
    out = []
    for i, (kind, body) in enumerate(cells):
        source = [l + "\n" for l in body.split("\n")]
        source[-1] = source[-1][:-1]
        cell = {"id": f"{stem[:2]}-{i:02d}", "cell_type": "markdown" if kind == "md" else "code", "metadata": {}, "source": source}
        if kind == "ts":
            cell["execution_count"] = None
            cell["outputs"] = []
        out.append(cell)
    return {
        "cells": out,
        "metadata": {"kernelspec": KERNELSPEC, "language_info": LANGUAGE_INFO},
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def main() -> int:
    check = "--check" in sys.argv[1:]
    sources = sorted(HERE.glob("nb0x-*.nbsrc"))
    if not sources:
        raise SystemExit(f"no nb0x-*.nbsrc in {HERE}")
    stale = []
    for src in sources:
        stem = src.stem[len("nb0x-"):]
        target = NOTEBOOKS / f"{stem}.ipynb"
        text = json.dumps(notebook(parse(src.read_text(encoding="utf-8"), str(src)), stem), indent=1, ensure_ascii=False) + "\n"
        if check:
            if not target.exists() or target.read_text(encoding="utf-8") != text:
                stale.append(str(target))
        else:
            target.write_text(text, encoding="utf-8")
            print(f"wrote {target.relative_to(NOTEBOOKS.parent)}")
    if stale:
        print("out of date (run python3 notebooks/src/nb0x-build.py):\n  " + "\n  ".join(stale), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
