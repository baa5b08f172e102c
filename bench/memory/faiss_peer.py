"""faiss HNSW beside hnswlib-node on the same vectors (called by bench/memory/retrieval.ts).

Usage: /usr/bin/python3 bench/memory/faiss_peer.py <dir> <M> <efConstruction> <ef> <threads>
Reads <dir>/base.npy, <dir>/queries.npy, <dir>/truth.npy (int64 [nq_truth, 10]) and prints
one JSON line: build seconds, queries/s (one query at a time), recall@10, peak RSS (MiB).
"""
import json
import resource
import sys
import time

import faiss
import numpy as np


def main() -> None:
    d, m, efc, ef, threads = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
    faiss.omp_set_num_threads(threads)
    base = np.load(f"{d}/base.npy")
    queries = np.load(f"{d}/queries.npy")
    truth = np.load(f"{d}/truth.npy")
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    index = faiss.IndexHNSWFlat(base.shape[1], m, faiss.METRIC_INNER_PRODUCT)
    index.hnsw.efConstruction = efc
    t = time.perf_counter()
    index.add(base)
    build_s = time.perf_counter() - t
    index.hnsw.efSearch = ef
    t = time.perf_counter()
    found = np.empty((queries.shape[0], 10), dtype=np.int64)
    for i in range(queries.shape[0]):  # one query per call, like hnswlib-node's searchKnn
        _, ids = index.search(queries[i : i + 1], 10)
        found[i] = ids[0]
    qps = queries.shape[0] / (time.perf_counter() - t)
    nt = truth.shape[0]
    recall = float(np.mean([len(set(found[i]) & set(truth[i])) / 10 for i in range(nt)]))
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"engine": f"faiss {faiss.__version__} IndexHNSWFlat",
                      "compile_options": faiss.get_compile_options(), "threads": threads, "build_s": build_s, "qps": qps,
                      "recall_at_10": recall, "peak_rss_mib": rss, "rss_growth_mib": rss - rss0}))


if __name__ == "__main__":
    main()
