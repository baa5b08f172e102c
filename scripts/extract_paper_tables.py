#!/usr/bin/env python3
"""Extracts the paper's published numbers from docs/primed-paper.md into src/paper/paper-tables.json.

The markdown notes were transcribed from arXiv 2512.13072v1 and checked row by row (see §6.5);
this script only parses them, so notebooks can print the paper's numbers beside ours.
Run: /usr/bin/python3 scripts/extract_paper_tables.py
"""
import json, re, sys, pathlib

root = pathlib.Path(__file__).resolve().parent.parent
md = [l.strip() for l in (root / "docs" / "primed-paper.md").read_text(encoding="utf-8").splitlines()]

def num(s):
    s = s.strip().replace("−", "-").replace("*", "")
    if s in ("–", "-", ""):
        return None
    return float(s)

def table_after(heading, start=0):
    """Rows (lists of cells) of the first markdown table after a line containing `heading`."""
    i = next(k for k in range(start, len(md)) if heading in md[k])
    while not md[i].startswith("|"):
        i += 1
    rows = []
    while i < len(md) and md[i].startswith("|"):
        cells = [c.strip() for c in md[i].strip().strip("|").split("|")]
        if not all(re.fullmatch(r"-+", c) for c in cells):
            rows.append(cells)
        i += 1
    return rows, i

out = {"source": "arXiv 2512.13072v1, as transcribed in docs/primed-paper.md"}

rows, _ = table_after("### 6.2 Table 1")
out["table1"] = {r[0].replace("**", ""): {"I": [num(x) for x in r[1:4]], "II": [num(x) for x in r[4:7]]} for r in rows[1:]}
rows, _ = table_after("### 6.3 Table 2")
out["table2"] = {r[0].replace("**", ""): {"I": [num(x) for x in r[1:4]], "II": [num(x) for x in r[4:7]]} for r in rows[1:]}

rows, _ = table_after("**Table 3 / Table 9")
t9 = []
for r in rows[1:]:
    flags = {"ckt": r[0] == "✓", "cmc": r[1] == "✓", "dfg": r[2] == "✓"}
    t9.append({**flags, **{k: [num(x) for x in r[3 + j].split("/")] for j, k in enumerate(["HMT-I", "HMT-II", "MX-I", "MX-II"])}})
out["table9"] = t9

rows, _ = table_after("**Table 4 (HMT-I) / Table 10")
t10 = []
for r in rows[1:]:
    if "(default)" in r[2]:
        continue
    def parse(c):
        c = re.sub(r"\*\*([0-9.]+) \(Tab\. 10\) vs [0-9.]+ \(Tab\. 4e\)\*\*", r"\1", c)
        return [num(x) for x in c.split("/")]
    t10.append({"aspect": r[0], "setting": r[1].replace("**", ""), **{k: parse(r[2 + j]) for j, k in enumerate(["HMT-I", "HMT-II", "MX-I", "MX-II"])}})
out["table10"] = t10

for name, heading in (("table11", "**Table 11"), ("table12", "**Table 12")):
    rows, _ = table_after(heading)
    out[name] = {r[0].replace("**", ""): {"I": [num(x) for x in r[1].split("/")], "II": [num(x) for x in r[2].split("/")]} for r in rows[1:]}

t13 = {}
pos = 0
for backbone in ("MMKD-CLIP", "UniMed-CLIP", "OpenAI CLIP"):
    k = next(i for i in range(pos, len(md)) if md[i].strip() == f"* **{backbone}**")
    rows, pos = table_after("| Method |", k)
    t13[backbone] = {r[0]: {key: [num(x) for x in r[1 + j].split("/")] for j, key in enumerate(["HMT-I", "HMT-II", "MX-I", "MX-II"])} for r in rows[1:]}
out["table13"] = t13

def per_dataset(table_heading):
    k = next(i for i in range(len(md)) if table_heading in md[i])
    res = {"columns": None, "zeroShot": None, "fineTune": None}
    cols_line = next(md[i] for i in range(k, k + 5) if "Columns:" in md[i])
    res["columns"] = [c.strip() for c in cols_line.split("Columns:")[1].split(", Avg.")[0].split(",")]
    for i in range(k, k + 12):
        if md[i].startswith("* Zero-shot:"):
            res["zeroShot"] = [num(x) for x in md[i].split(":")[1].split("|")[0].split()]
        if md[i].startswith("* Fine-tune"):
            res["fineTune"] = [num(x) for x in md[i].split(":")[1].split("|")[0].split()]
    for part in ("Transfer", "Avg:", "Last:"):
        j = next(i for i in range(k, len(md)) if md[i].startswith(part))
        rows, _ = table_after("| Method |", j)
        res[part.rstrip(":").lower()] = {r[0]: [num(x) for x in r[1:-1]] for r in rows[1:]}
    return res

out["table7"] = per_dataset("**Table 7: HieraMedTransfer, Order I.**")
out["table8"] = per_dataset("**Table 8: HieraMedTransfer, Order II.**")

# self-checks: row averages as printed (§6.5 says each row's average equals the mean of its entries)
for t in ("table7", "table8"):
    assert len(out[t]["zeroShot"]) == 9 and len(out[t]["fineTune"]) == 9, t
    for part in ("transfer", "avg", "last"):
        for m, v in out[t][part].items():
            assert len(v) == (8 if part == "transfer" else 9), (t, part, m, v)
(root / "src" / "paper" / "paper-tables.json").write_text(json.dumps(out, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
print("wrote src/paper/paper-tables.json:", ", ".join(k for k in out if k != "source"))
