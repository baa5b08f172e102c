"""Python peers of bench/memory/scale.ts on the same raw float32 vectors, at the same parameters.

Usage: /usr/bin/python3 bench/memory/scale_peer.py gen <base.f32> <queries.f32> <rows> <dim> <queries> <seed>
       /usr/bin/python3 bench/memory/scale_peer.py <engine> <base.f32> <queries.f32> <truth.json> <rows> <dim> <params-json>
engine: faiss-ivfpq (IndexIVFPQ + IndexRefineFlat, inner product), faiss-hnsw (IndexHNSWFlat),
faiss-flat (IndexFlatIP, exact), hnswlib (python3-hnswlib, space ip). Prints one JSON line:
build seconds (wall and CPU), disk bytes of the saved index, queries/s for the whole pool (one batch call),
recall@10 against truth.json, peak RSS (MiB). The base file is memory-mapped and added in blocks.
"""
import json
import os
import resource
import sys
import tempfile
import time

import numpy as np


def generate(base_f: str, queries_f: str, rows: int, dim: int, nq: int, seed: int) -> None:
    """Clustered unit vectors in blocks of 100k rows, each block from its own seeded stream, so a
    file of N rows is the prefix of a file of M > N rows (the 1M curve point reuses the 5M file).
    Appends to an existing shorter file; writes the query pool once."""
    nc, block = 2000, 100_000
    centres = np.random.default_rng([seed, 0]).standard_normal((nc, dim), dtype=np.float32)
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    spread = np.float32(0.8 / np.sqrt(dim))

    def draw(rng: np.random.Generator, n: int) -> np.ndarray:
        x = centres[rng.integers(nc, size=n)] + spread * rng.standard_normal((n, dim), dtype=np.float32)
        x /= np.linalg.norm(x, axis=1, keepdims=True)
        return x

    have = os.path.getsize(base_f) // (4 * dim) if os.path.exists(base_f) else 0
    if have % block and have < rows:
        raise SystemExit(f"{base_f}: {have} rows is not a whole number of {block}-row blocks; remove it and run again")
    with open(base_f, "ab") as f:
        for b in range(have // block, (rows + block - 1) // block):
            draw(np.random.default_rng([seed, 1, b]), block).tofile(f)
            print(f"gen {min(rows, (b + 1) * block)}/{rows}", file=sys.stderr, flush=True)
    if not os.path.exists(queries_f):
        draw(np.random.default_rng([seed, 2]), nq).tofile(queries_f + ".tmp")
        os.replace(queries_f + ".tmp", queries_f)


def main() -> None:
    if sys.argv[1] == "gen":
        t = time.perf_counter()
        generate(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6]), int(sys.argv[7]))
        print(json.dumps({"gen_s": time.perf_counter() - t}))
        return
    engine, base_f, queries_f, truth_f, rows, dim, params = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]), int(sys.argv[6]), json.loads(sys.argv[7])
    threads = int(params["threads"])
    base = np.memmap(base_f, dtype=np.float32, mode="r").reshape(-1, dim)[:rows]
    queries = np.fromfile(queries_f, dtype=np.float32).reshape(-1, dim)
    truth = json.load(open(truth_f))
    block = 100_000
    t = time.perf_counter()
    cpu0 = time.process_time()
    disk = None
    sweep = []
    if engine == "hnswlib":
        import hnswlib
        index = hnswlib.Index(space="ip", dim=dim)
        index.init_index(max_elements=rows, ef_construction=params["efConstruction"], M=params["m"], random_seed=42)
        index.set_num_threads(threads)
        for s in range(0, rows, block):
            index.add_items(np.ascontiguousarray(base[s:s + block]), np.arange(s, min(rows, s + block)))
        build_s = time.perf_counter() - t
        build_cpu_s = time.process_time() - cpu0
        index.set_ef(params["ef"])
        t = time.perf_counter()
        found, _ = index.knn_query(queries, k=10, num_threads=threads)
        search_s = time.perf_counter() - t
        # The ef sweep of scale.ts, on the first 1,000 queries (query-time setting only).
        nqx = min(1000, len(truth))
        for ef in params.get("efSweep", []):
            index.set_ef(ef)
            t = time.perf_counter()
            f, _ = index.knn_query(np.ascontiguousarray(queries[:nqx]), k=10, num_threads=threads)
            sweep.append({"ef": ef, "queries": nqx, "qps": nqx / (time.perf_counter() - t), "recall_at_10": float(np.mean([len(set(f[i][:10].tolist()) & set(truth[i][:10])) / 10 for i in range(nqx)]))})
        index.set_ef(params["ef"])
        with tempfile.TemporaryDirectory() as d:
            index.save_index(f"{d}/i.bin")
            disk = os.path.getsize(f"{d}/i.bin")
        name = "python3-hnswlib (Debian)"
    else:
        import faiss
        faiss.omp_set_num_threads(threads)
        if engine == "faiss-ivfpq":
            quant = faiss.IndexFlatIP(dim)
            ivf = faiss.IndexIVFPQ(quant, dim, params["partitions"], params["subVectors"], 8, faiss.METRIC_INNER_PRODUCT)
            # IVF k-means iterations as the store's (faiss's own default is 10); PQ keeps faiss's 25.
            ivf.cp.niter = int(params.get("kmeansIterations", 10))
            index = faiss.IndexRefineFlat(ivf)
            train = np.ascontiguousarray(base[np.sort(np.random.default_rng(0).choice(rows, size=min(rows, 256 * params["partitions"]), replace=False))])
            index.train(train)
            del train
        elif engine == "faiss-hnsw":
            index = faiss.IndexHNSWFlat(dim, params["m"], faiss.METRIC_INNER_PRODUCT)
            index.hnsw.efConstruction = params["efConstruction"]
        elif engine == "faiss-flat":
            index = faiss.IndexFlatIP(dim)
        else:
            raise SystemExit(f"unknown engine {engine}")
        for s in range(0, rows, block):
            index.add(np.ascontiguousarray(base[s:s + block]))
        build_s = time.perf_counter() - t
        build_cpu_s = time.process_time() - cpu0
        if engine == "faiss-ivfpq":
            ivf.nprobe = params["nprobes"]
            index.k_factor = params["refineFactor"]
        if engine == "faiss-hnsw":
            index.hnsw.efSearch = params["ef"]
        t = time.perf_counter()
        _, found = index.search(queries, 10)
        search_s = time.perf_counter() - t
        if engine == "faiss-ivfpq":
            # The refine sweep of scale.ts, on the first 1,000 queries (query-time setting only).
            nqx = min(1000, len(truth))
            for kf in params.get("refineSweep", []):
                index.k_factor = kf
                t = time.perf_counter()
                _, f = index.search(np.ascontiguousarray(queries[:nqx]), 10)
                sweep.append({"refineFactor": kf, "nprobes": params["nprobes"], "queries": nqx, "qps": nqx / (time.perf_counter() - t), "recall_at_10": float(np.mean([len(set(f[i][:10].tolist()) & set(truth[i][:10])) / 10 for i in range(nqx)]))})
            index.k_factor = params["refineFactor"]
        if engine != "faiss-flat":
            with tempfile.TemporaryDirectory() as d:
                faiss.write_index(index, f"{d}/i.faiss")
                disk = os.path.getsize(f"{d}/i.faiss")
        name = f"faiss {faiss.__version__} " + {"faiss-ivfpq": "IndexIVFPQ + IndexRefineFlat", "faiss-hnsw": "IndexHNSWFlat", "faiss-flat": "IndexFlatIP (exact)"}[engine]
    nq = len(truth)
    recall = float(np.mean([len(set(found[i][:10].tolist()) & set(truth[i][:10])) / 10 for i in range(nq)]))
    ru = resource.getrusage(resource.RUSAGE_SELF)
    print(json.dumps({"engine": name, "rows": rows, "threads": threads, "build_s": build_s, "build_cpu_s": build_cpu_s, "cpu_s": ru.ru_utime + ru.ru_stime, "disk_bytes": disk, "qps": queries.shape[0] / search_s,
                      "recall_at_10": recall, **({"sweep": sweep} if sweep else {}), "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))


if __name__ == "__main__":
    main()
