#!/usr/bin/python3
"""Native faiss peer for index search: build one faiss index once, then time its search per nprobe,
with no JavaScript in the way (no faiss-node, no per-call array conversion).

Run with Debian's interpreter (python3-faiss, python3-numpy): /usr/bin/python3.

    /usr/bin/python3 bench/peers/faiss_index.py --base base.npy --queries queries.npy --gt gt.npy \\
        --factory IVF1024,PQ50np --nprobe 1,4,16,64 [--k 10] [--train-rows 100000] [--seed 1234]
        [--build-threads 1] [--warmup 100] [--batch-repeats 3] [--ef-construction N] [--metric l2|ip] [--serve]

  base.npy / queries.npy: float32 (n x d) / (nq x d); gt.npy: int32 or int64 (nq x kt), kt >= 10,
  the exact neighbours best first (vqbench writes all three from the split its own index job uses).

stdout carries JSON lines only:
  {"event": "build", "buildSeconds": ..., "trainRows": ..., "factory": ..., "faissVersion": ...,
   "fingerprint": {"host", "cpu", "cpuFlags", "cores", "blas", "runtime"}, ...}
  then per search setting
  {"event": "search", "setting": {"nprobe": 4}, "nprobe": 4, "recall10": ..., "single": {"qps": ...,
   "p50Ms": ..., "p99Ms": ..., "meanMs": ..., "threads": 1}, "batch": {"qps": ..., "seconds": ..., "threads": cores}}
  ("batch" is null with --batch-repeats 0). The fingerprint is computed as bench/peer-session.ts
  machineFingerprint() computes it (sha1 of /proc/cpuinfo's flags, where libblas.so.3 resolves).

  single: one index.search(q[i:i+1], k) per query on ONE OpenMP thread, after `--warmup` untimed
    queries; each call timed with perf_counter (so the Python/SWIG call is inside it: ~8 µs p50 on
    the 2-core dev machine, measured on a 10-vector IndexFlatL2);
    qps = nq / wall seconds of the whole loop.
  batch: index.search(Q, k) over all queries with omp threads = os.cpu_count(), median of
    `--batch-repeats` calls (the single-query loop before it warmed the index).
  recall10: |approx top-10 ∩ exact top-10| / 10 averaged over queries (vqbench's recall@10), from
    the single-query answers.

--serve: build, then read stdin lines; each non-empty line is either a JSON object of search
  parameters set through faiss.ParameterSpace ({"nprobe": 4}, {"efSearch": 64}, {} for none), or a
  comma-separated nprobe list (or "-" for the --nprobe list); the searches run and {"event": "done"}
  is printed after them ({"event": "error", "message"} first for a setting faiss refuses); EOF ends.
  This lets a driver interleave this peer with another search (A B A B ...) on one build.

Progress and faiss's own warnings go to stderr.
"""
import argparse
import hashlib
import json
import os
import platform
import socket
import statistics
import sys
import sysconfig
import time


def eprint(*a):
    print(*a, file=sys.stderr, flush=True)


def emit(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def parse_nprobe(spec):
    try:
        out = [int(s) for s in spec.split(",") if s.strip()]
    except ValueError:
        raise SystemExit(f"bad nprobe list {spec!r}: expected integers, e.g. 1,4,16,64")
    if not out or any(v < 1 for v in out):
        raise SystemExit(f"bad nprobe list {spec!r}: expected positive integers")
    return out


def recall_at(ids, gt, k, np):
    """Mean over queries of |ids[q, :k] ∩ gt[q, :k]| / |valid gt[q, :k]| (vqbench's recallAtK)."""
    total, counted = 0.0, 0
    for q in range(ids.shape[0]):
        truth = set(int(v) for v in gt[q, :k] if v >= 0)
        if not truth:
            continue
        got = set(int(v) for v in ids[q, :k] if v >= 0)
        total += len(truth & got) / len(truth)
        counted += 1
    return total / counted if counted else float("nan")


def quantile(sorted_vals, p):
    """numpy's default (linear) interpolation, as src/eval/ann.ts quantileSorted."""
    n = len(sorted_vals)
    h = (n - 1) * p
    lo = int(h)
    hi = min(lo + 1, n - 1)
    return sorted_vals[lo] + (h - lo) * (sorted_vals[hi] - sorted_vals[lo])


def fingerprint(faiss):
    """The machine fields of bench/peer-session.ts machineFingerprint(), computed the same way."""
    cpu, flags = "unknown", ""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                key, _, value = line.partition(":")
                key = key.strip()
                if key == "model name" and cpu == "unknown":
                    cpu = value.strip()
                elif key in ("flags", "Features") and not flags:
                    flags = value
    except OSError:
        pass
    multiarch = sysconfig.get_config_var("MULTIARCH") or f"{platform.machine()}-linux-gnu"
    link = f"/usr/lib/{multiarch}/libblas.so.3"
    return {
        "host": socket.gethostname(), "cpu": cpu,
        "cpuFlags": hashlib.sha1(" ".join(flags.split()).encode()).hexdigest()[:12],
        "cores": os.cpu_count() or 1, "blas": os.path.realpath(link) if os.path.exists(link) else "none",
        "runtime": f"python {platform.python_version()}, faiss {faiss.__version__}",
    }


def peak_rss_bytes():
    """VmHWM of this process (bench/peer-session.ts peers report the same), None without /proc."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def search_once(index, xq, gt, k, setting, args, faiss, np, cores):
    """Times one search setting: single query per call on one thread, then batch on all cores."""
    params = faiss.ParameterSpace()
    for name, value in setting.items():
        params.set_index_parameter(index, name, value)
    # single query per call, one thread
    faiss.omp_set_num_threads(1)
    nq = xq.shape[0]
    cpu0 = time.process_time()  # warm-up included, as serve-index.ts counts it
    for w in range(args.warmup):
        i = w % nq
        index.search(xq[i:i + 1], k)
    ids = np.empty((nq, k), dtype=np.int64)
    samples = [0.0] * nq
    rows = [xq[i:i + 1] for i in range(nq)]
    search = index.search
    pc = time.perf_counter
    start = pc()
    for i in range(nq):
        t0 = pc()
        _, I = search(rows[i], k)
        samples[i] = pc() - t0
        ids[i] = I[0]
    wall = pc() - start
    cpu_single = time.process_time() - cpu0
    s = sorted(samples)
    single = {
        "qps": nq / wall, "seconds": wall, "p50Ms": quantile(s, 0.5) * 1e3, "p95Ms": quantile(s, 0.95) * 1e3,
        "p99Ms": quantile(s, 0.99) * 1e3, "meanMs": sum(s) / nq * 1e3, "threads": 1, "cpuSeconds": cpu_single,
    }
    batch, recall_batch = None, None
    if args.batch_repeats > 0:
        # batch on all cores (the single-query loop above warmed the index)
        faiss.omp_set_num_threads(cores)
        times = []
        for _ in range(args.batch_repeats):
            t0 = pc()
            _, IB = index.search(xq, k)
            times.append(pc() - t0)
        med = statistics.median(times)
        batch = {"qps": nq / med, "seconds": med, "allSeconds": times, "threads": cores}
        recall_batch = recall_at(IB, gt, 10, np)
    out = {
        "event": "search", "setting": setting, "queries": nq, "k": k,
        "recall10": recall_at(ids, gt, 10, np), "recall10Batch": recall_batch, "single": single, "batch": batch,
        "peakRssBytes": peak_rss_bytes(),
    }
    if "nprobe" in setting:
        out["nprobe"] = setting["nprobe"]
    emit(out)


def sweep(index, xq, gt, k, nprobes, args, faiss, np, cores):
    for nprobe in nprobes:
        search_once(index, xq, gt, k, {"nprobe": nprobe}, args, faiss, np, cores)


def serve_line(line, index, xq, gt, nprobes, args, faiss, np, cores):
    """One --serve request: a JSON setting or an nprobe list; a refused setting is an error event."""
    try:
        if line.startswith("{"):
            setting = json.loads(line)
            if not isinstance(setting, dict) or not all(isinstance(v, (int, float)) for v in setting.values()):
                raise ValueError(f"a setting is a JSON object of numbers, got {line!r}")
            search_once(index, xq, gt, args.k, setting, args, faiss, np, cores)
        else:
            sweep(index, xq, gt, args.k, nprobes if line == "-" else parse_nprobe(line), args, faiss, np, cores)
    except (ValueError, RuntimeError, SystemExit) as e:
        emit({"event": "error", "message": str(e).strip().splitlines()[-1] if str(e).strip() else repr(e)})


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--base", required=True)
    ap.add_argument("--queries", required=True)
    ap.add_argument("--gt", required=True)
    ap.add_argument("--factory", default="IVF1024,PQ50np")
    ap.add_argument("--nprobe", default="1,4,16,64")
    ap.add_argument("--k", type=int, default=10)
    ap.add_argument("--train-rows", type=int, default=100_000, help="seeded sample of the base to train on (faiss-node's adapter: 100,000)")
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--build-threads", type=int, default=1, help="OpenMP threads for train and add (vqbench's faiss adapter default: 1)")
    ap.add_argument("--warmup", type=int, default=100)
    ap.add_argument("--batch-repeats", type=int, default=3, help="timed batch searches per setting (0: no batch timing)")
    ap.add_argument("--ef-construction", type=int, default=None, help="HNSW efConstruction before add (faiss's default: 40)")
    ap.add_argument("--metric", choices=["l2", "ip"], default="l2")
    ap.add_argument("--serve", action="store_true")
    args = ap.parse_args()
    nprobes = parse_nprobe(args.nprobe)
    if args.k < 10:
        raise SystemExit("--k must be at least 10 (recall@10)")

    import numpy as np  # noqa: E402
    import faiss  # noqa: E402

    cores = os.cpu_count() or 1
    xb = np.ascontiguousarray(np.load(args.base, allow_pickle=False), dtype=np.float32)
    xq = np.ascontiguousarray(np.load(args.queries, allow_pickle=False), dtype=np.float32)
    gt = np.load(args.gt, allow_pickle=False)
    if xb.ndim != 2 or xq.ndim != 2 or xb.shape[1] != xq.shape[1]:
        raise SystemExit(f"shapes: base {xb.shape}, queries {xq.shape}: need (n, d) and (nq, d)")
    if gt.ndim != 2 or gt.shape[0] != xq.shape[0] or gt.shape[1] < 10:
        raise SystemExit(f"ground truth shape {gt.shape}: need ({xq.shape[0]}, >= 10)")

    faiss.omp_set_num_threads(args.build_threads)
    metric = faiss.METRIC_L2 if args.metric == "l2" else faiss.METRIC_INNER_PRODUCT
    index = faiss.index_factory(xb.shape[1], args.factory, metric)
    if args.ef_construction is not None:
        hnsw = getattr(faiss.downcast_index(index), "hnsw", None)
        if hnsw is None:
            raise SystemExit(f"--ef-construction: '{args.factory}' is not an HNSW index")
        hnsw.efConstruction = args.ef_construction
    rng = np.random.default_rng(args.seed)
    n_train = min(args.train_rows, xb.shape[0])
    train = xb if n_train == xb.shape[0] else xb[np.sort(rng.choice(xb.shape[0], n_train, replace=False))]
    eprint(f"[faiss_index] {args.factory}: train on {n_train} rows, add {xb.shape[0]}, {args.build_threads} thread(s)")
    cpu0 = time.process_time()
    t0 = time.perf_counter()
    index.train(train)
    t1 = time.perf_counter()
    index.add(xb)
    t2 = time.perf_counter()
    emit({
        "event": "build", "factory": args.factory, "n": int(xb.shape[0]), "d": int(xb.shape[1]), "nq": int(xq.shape[0]),
        "trainRows": int(n_train), "buildSeconds": t2 - t0, "buildCpuSeconds": time.process_time() - cpu0, "trainSeconds": t1 - t0, "addSeconds": t2 - t1,
        "buildThreads": args.build_threads, "cores": cores, "faissVersion": faiss.__version__,
        "efConstruction": args.ef_construction, "metric": args.metric, "fingerprint": fingerprint(faiss),
        "indexBytes": int(faiss.serialize_index(index).nbytes), "peakRssBytes": peak_rss_bytes(),
    })
    if not args.serve:
        sweep(index, xq, gt, args.k, nprobes, args, faiss, np, cores)
        return 0
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        serve_line(line, index, xq, gt, nprobes, args, faiss, np, cores)
        emit({"event": "done"})
    return 0


if __name__ == "__main__":
    sys.exit(main())
