#!/usr/bin/python3
"""Write test/fixtures/mteb/*.json: reference results of scikit-learn / scipy for the MTEB evaluators.

Run with Debian's interpreter (python3-numpy, python3-scipy, python3-sklearn):

    /usr/bin/python3 scripts/make-mteb-fixtures.py [--out test/fixtures/mteb]

Every fixture holds seeded synthetic embeddings (numpy.random.default_rng(seed); Gaussian blobs or
noisy copies, values rounded to 2 decimals then cast to float32, so the JSON is small and both
sides read exactly the same float32 vectors) and what the libraries MTEB calls compute on them:

  classification.json       sklearn LogisticRegression() with MTEB's max_iter=100 (lbfgs, L2, C=1)
                            fitted on exactly the given train rows (no undersampling): predictions,
                            accuracy, f1 (macro), f1_weighted, ap for the binary case (MTEB computes
                            average_precision_score on the hard predictions), n_iter_, and the
                            objective  sum(log loss) + ||coef||^2 / (2C)  at sklearn's solution.
  clustering.json           sklearn v_measure_score (+ homogeneity, completeness) of given
                            assignments, and of KMeans(k-means++, n_init=10) / MiniBatchKMeans(batch
                            500, as MTEB) fitted with k = number of labels, plus the mean over 10
                            random states of one-start KMeans and of MiniBatchKMeans.
  sts.json                  cosine = 1 - paired_cosine_distances, -paired_euclidean/manhattan
                            distances; scipy spearmanr / pearsonr against gold scores with ties.
  pair-classification.json  average_precision_score of cosine (and of -euclidean, -manhattan, dot),
                            and MTEB's best-threshold accuracy / F1 walks (re-implemented below).
  bitext-mining.json        nearest neighbour by cosine of each sentence1 among the sentence2;
                            accuracy_score and precision/recall/f1_score, average 'weighted' (MTEB's
                            choice) and 'macro' (equal here: every gold label occurs once).
  reranking.json            per sample average_precision_score of cosine and MRR@10; their means.
  retrieval.json            exact cosine ranking of the corpus per query; sklearn ndcg_score(k) over
                            the full corpus (= trec_eval ndcg_cut with linear gains when nothing is
                            tied) and a direct numpy computation of trec_eval's map_cut, recall, P
                            and MTEB's MRR, at MTEB's k values.

Floats in the data are float32 values written with their shortest round-trip repr; results are
float64. The script refuses seeds where a near-tie could make an exact comparison fragile: cosine
or distance gaps < 1e-9 between pairs, nearest-neighbour gaps < 1e-6, retrieval cosines equal in
float32 (trec_eval compares scores as floats), or a test row tied between two classes.
"""
import argparse
import json
import os
import sys
import warnings

import numpy as np
import scipy
import sklearn
from scipy.stats import pearsonr, spearmanr
from sklearn.cluster import KMeans, MiniBatchKMeans
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import (accuracy_score, average_precision_score, completeness_score, f1_score,
                             homogeneity_score, ndcg_score, precision_score, recall_score,
                             v_measure_score)
from sklearn.metrics.pairwise import (paired_cosine_distances, paired_euclidean_distances,
                                      paired_manhattan_distances)

K_VALUES = [1, 3, 5, 10, 20, 100, 1000]


def f32(x):
    """Round to 2 decimals and cast to float32 (exact values both sides read)."""
    return np.round(np.asarray(x, dtype=np.float64), 2).astype(np.float32)


def mat(x):
    x = np.asarray(x, dtype=np.float32)
    return {"rows": int(x.shape[0]), "dim": int(x.shape[1]), "data": [float(str(v)) for v in x.ravel()]}


def blobs(rng, n, d, k, spread, sigma):
    centers = rng.normal(0.0, spread, size=(k, d))
    y = rng.integers(0, k, size=n)
    y[:k] = np.arange(k)  # every label occurs
    rng.shuffle(y)
    x = centers[y] + sigma * rng.normal(0.0, 1.0, size=(n, d))
    return f32(x), y


def cosine_matrix(a, b):
    a = a.astype(np.float64)
    b = b.astype(np.float64)
    a = a / np.maximum(np.linalg.norm(a, axis=1, keepdims=True), 1e-300)
    b = b / np.maximum(np.linalg.norm(b, axis=1, keepdims=True), 1e-300)
    return a @ b.T


def min_gap(v):
    s = np.sort(np.asarray(v, dtype=np.float64))
    return float(np.min(np.diff(s))) if len(s) > 1 else np.inf


# ---------------------------------------------------------------- classification


def logistic_objective(clf, x, y, C=1.0):
    x = x.astype(np.float64)
    z = x @ clf.coef_.T + clf.intercept_
    classes = list(clf.classes_)
    yi = np.array([classes.index(v) for v in y])
    if z.shape[1] == 1:  # binary: class 1 against class 0
        z = z[:, 0]
        loss = np.sum(np.logaddexp(0.0, z) - (yi == 1) * z)
    else:
        m = z.max(axis=1, keepdims=True)
        lse = (m + np.log(np.exp(z - m).sum(axis=1, keepdims=True)))[:, 0]
        loss = np.sum(lse - z[np.arange(len(yi)), yi])
    return float(loss + 0.5 / C * np.sum(clf.coef_ ** 2))


def classification_case(name, seed, n_train, n_test, d, k, spread, sigma, label_names, scale=1.0):
    rng = np.random.default_rng(seed)
    x, y = blobs(rng, n_train + n_test, d, k, spread * scale, sigma * scale)
    labels = np.array([label_names[i] for i in y])
    xtr, ytr, xte, yte = x[:n_train], labels[:n_train], x[n_train:], labels[n_train:]
    clf = LogisticRegression(max_iter=100)  # MTEB's logRegClassificationEvaluator: sklearn defaults, max_iter=100
    clf.fit(xtr, ytr)
    pred = clf.predict(xte)
    # the exact optimum, for checking the optimiser itself (not what MTEB runs)
    opt = LogisticRegression(max_iter=10000, tol=1e-8).fit(xtr, ytr)
    dec = clf.decision_function(xte.astype(np.float64))
    if dec.ndim == 1:
        margin = np.abs(dec)
    else:
        s = np.sort(dec, axis=1)
        margin = s[:, -1] - s[:, -2]
    out = {
        "name": name,
        "seed": seed,
        "call": "LogisticRegression(max_iter=100).fit(train.x, train.labels)",
        "train": {"x": mat(xtr), "labels": [str(v) for v in ytr]},
        "test": {"x": mat(xte), "labels": [str(v) for v in yte]},
        "classes": [str(c) for c in clf.classes_],
        "nIter": int(clf.n_iter_[0]),
        "converged": bool(clf.n_iter_[0] < 100),
        "objective": logistic_objective(clf, xtr, ytr),
        "optimum": {"call": "LogisticRegression(max_iter=10000, tol=1e-8)", "nIter": int(opt.n_iter_[0]),
                    "objective": logistic_objective(opt, xtr, ytr), "predictions": [str(v) for v in opt.predict(xte)]},
        "predictions": [str(v) for v in pred],
        "minTestDecisionMargin": float(np.min(margin)),
        "accuracy": float(accuracy_score(yte, pred)),
        "f1": float(f1_score(yte, pred, average="macro")),
        "f1_weighted": float(f1_score(yte, pred, average="weighted")),
    }
    if len(clf.classes_) == 2:
        pos = clf.classes_[1]
        out["ap"] = float(average_precision_score((yte == pos).astype(int), (pred == pos).astype(int)))
    return out


# ---------------------------------------------------------------- clustering


def clustering_set(rng, n, d, k, spread, sigma, seed):
    x, y = blobs(rng, n, d, k, spread, sigma)
    labels = [f"topic-{v}" for v in y]
    # a given assignment: the true labels with 20% of them replaced at random, renamed
    noisy = y.copy()
    flip = rng.random(n) < 0.2
    noisy[flip] = rng.integers(0, k + 1, size=int(flip.sum()))
    perm = rng.permutation(k + 1)
    noisy = perm[noisy]
    km = KMeans(n_clusters=k, init="k-means++", n_init=10, random_state=seed).fit(x)
    mb = MiniBatchKMeans(n_clusters=k, batch_size=500, n_init="auto", random_state=seed).fit(x)
    return {
        "x": mat(x),
        "labels": labels,
        "k": k,
        "assignment": [int(v) for v in noisy],
        "assignmentScores": {
            "v_measure": float(v_measure_score(y, noisy)),
            "homogeneity": float(homogeneity_score(y, noisy)),
            "completeness": float(completeness_score(y, noisy)),
        },
        "kmeansVMeasure": float(v_measure_score(y, km.labels_)),
        "miniBatchKMeansVMeasure": float(v_measure_score(y, mb.labels_)),
        # one k-means++ start (MTEB's n_init for MiniBatchKMeans): the mean over random_state 0..9
        "kmeansOneStartMeanVMeasure": float(np.mean([
            v_measure_score(y, KMeans(n_clusters=k, init="k-means++", n_init=1, random_state=r).fit(x).labels_)
            for r in range(10)])),
        "miniBatchKMeansMeanVMeasure": float(np.mean([
            v_measure_score(y, MiniBatchKMeans(n_clusters=k, batch_size=500, n_init="auto", random_state=r).fit(x).labels_)
            for r in range(10)])),
    }


# ---------------------------------------------------------------- pair scores


def paired_scores(e1, e2):
    a, b = e1.astype(np.float64), e2.astype(np.float64)
    return {
        "cos_sim": 1 - paired_cosine_distances(a, b),
        "manhattan": paired_manhattan_distances(a, b),
        "euclidean": paired_euclidean_distances(a, b),
        "dot": np.einsum("ij,ij->i", a, b),
    }


def noisy_pairs(rng, n, d, noise_of_pair):
    base = rng.normal(0.0, 1.0, size=(n, d))
    other = base + noise_of_pair[:, None] * rng.normal(0.0, 1.0, size=(n, d))
    return f32(base), f32(other)


# MTEB's PairClassificationEvaluator walks, written from their description: sort the pairs from
# most to least similar (stable), cut after pair i for i < n-1, keep strictly better values and
# the midpoint threshold.
def best_acc(scores, labels, higher_more_similar):
    order = sorted(range(len(scores)), key=lambda i: scores[i], reverse=higher_more_similar)
    best, thr, pos, rem_neg = 0.0, -1.0, 0, int(np.sum(labels == 0))
    for t in range(len(order) - 1):
        i = order[t]
        if labels[i] == 1:
            pos += 1
        else:
            rem_neg -= 1
        acc = (pos + rem_neg) / len(labels)
        if acc > best:
            best, thr = acc, (scores[i] + scores[order[t + 1]]) / 2
    return best, float(thr)


def best_f1(scores, labels, higher_more_similar):
    order = sorted(range(len(scores)), key=lambda i: scores[i], reverse=higher_more_similar)
    total = int(np.sum(labels))
    best = bp = br = thr = 0.0
    extracted = correct = 0
    for t in range(len(order) - 1):
        i = order[t]
        extracted += 1
        if labels[i] == 1:
            correct += 1
        if correct > 0:
            p, r = correct / extracted, correct / total
            f = 2 * p * r / (p + r)
            if f > best:
                best, bp, br, thr = f, p, r, (scores[i] + scores[order[t + 1]]) / 2
    return best, bp, br, float(thr)


# ---------------------------------------------------------------- main


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument("--out", default=os.path.join(here, "..", "test", "fixtures", "mteb"))
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    warnings.filterwarnings("ignore", message=".*lbfgs failed to converge.*")  # expected for max-iter-4
    meta = {
        "generator": "scripts/make-mteb-fixtures.py (regenerate: /usr/bin/python3 scripts/make-mteb-fixtures.py)",
        "sklearnVersion": sklearn.__version__, "scipyVersion": scipy.__version__, "numpyVersion": np.__version__,
        "python": sys.version.split()[0],
    }
    docs = {}

    # Classification: overlapping blobs (lbfgs converges before max_iter), a binary case, and
    # badly scaled features (x5) where lbfgs stops at MTEB's max_iter=100 short of the optimum.
    docs["classification"] = {"cases": [
        classification_case("multiclass-5", 13, 200, 120, 20, 5, 0.5, 1.0, ["neg", "pos", "neutral", "mixed", "other"]),
        classification_case("binary", 13, 120, 80, 20, 2, 0.3, 1.0, ["ham", "spam"]),
        classification_case("max-iter-4", 1, 120, 60, 30, 4, 0.5, 1.0, ["w", "x", "y", "z"], scale=5.0),
    ]}

    # Clustering: three sets, as MTEB's one-line-per-set layout.
    rng = np.random.default_rng(21)
    docs["clustering"] = {"sets": [
        clustering_set(rng, 120, 20, 4, 1.6, 1.0, 1),
        clustering_set(rng, 100, 20, 3, 1.6, 1.0, 2),
        clustering_set(rng, 150, 20, 6, 1.6, 1.0, 3),
    ]}

    # STS: pairs with graded noise; gold = a noisy 0..5 similarity on a 0.2 grid (many ties).
    rng = np.random.default_rng(31)
    n = 120
    noise = rng.uniform(0.1, 2.0, size=n)
    e1, e2 = noisy_pairs(rng, n, 20, noise)
    gold = np.clip(np.round((5 - 2.5 * noise + rng.normal(0, 0.6, size=n)) * 5) / 5, 0, 5)
    ps = paired_scores(e1, e2)
    sts = {"emb1": mat(e1), "emb2": mat(e2), "scores": [float(v) for v in gold], "expected": {}}
    for name, v in [("cos_sim", ps["cos_sim"]), ("manhattan", -ps["manhattan"]), ("euclidean", -ps["euclidean"])]:
        sts["expected"][f"{name}_spearman"] = float(spearmanr(gold, v)[0])
        sts["expected"][f"{name}_pearson"] = float(pearsonr(gold, v)[0])
    sts["minCosineGap"] = min_gap(ps["cos_sim"])
    docs["sts"] = sts

    # PairClassification: duplicates (label 1) have less noise, with overlap.
    rng = np.random.default_rng(41)
    n = 120
    lab = (rng.random(n) < 0.4).astype(int)
    noise = np.where(lab == 1, rng.uniform(0.2, 1.2, size=n), rng.uniform(0.8, 2.5, size=n))
    e1, e2 = noisy_pairs(rng, n, 20, noise)
    ps = paired_scores(e1, e2)
    pc = {"emb1": mat(e1), "emb2": mat(e2), "labels": [int(v) for v in lab], "expected": {}}
    for name, higher in [("cos_sim", True), ("manhattan", False), ("euclidean", False), ("dot", True)]:
        s = ps[name]
        acc, acc_thr = best_acc(list(s), lab, higher)
        f1, p, r, f1_thr = best_f1(list(s), lab, higher)
        pc["expected"][name] = {
            "accuracy": acc, "accuracy_threshold": acc_thr, "f1": f1, "f1_threshold": f1_thr,
            "precision": p, "recall": r, "ap": float(average_precision_score(lab, s * (1 if higher else -1))),
        }
        pc[f"minGap_{name}"] = min_gap(s)
    docs["pair-classification"] = pc

    # BitextMining: sentence2[i] is a noisy translation of sentence1[i]; some are too noisy.
    rng = np.random.default_rng(51)
    n = 80
    noise = rng.uniform(0.3, 2.5, size=n)
    e1, e2 = noisy_pairs(rng, n, 20, noise)
    cos = cosine_matrix(e1, e2)
    pred = np.argmax(cos, axis=1)
    s = np.sort(cos, axis=1)
    gold = np.arange(n)
    docs["bitext-mining"] = {
        "emb1": mat(e1), "emb2": mat(e2), "predictions": [int(v) for v in pred],
        "minTop2Gap": float(np.min(s[:, -1] - s[:, -2])),
        "expected": {
            "accuracy": float(accuracy_score(gold, pred)),
            "precision": float(precision_score(gold, pred, average="weighted", zero_division=0)),
            "recall": float(recall_score(gold, pred, average="weighted", zero_division=0)),
            "f1": float(f1_score(gold, pred, average="weighted", zero_division=0)),
            "macro_f1": float(f1_score(gold, pred, average="macro", zero_division=0)),
        },
    }

    # Reranking: per sample 1 query, 1-3 positives near it, 5-7 negatives farther (overlapping).
    rng = np.random.default_rng(61)
    queries, docs_vecs, samples, aps, mrrs = [], [], [], [], []
    for i in range(15):
        q = rng.normal(0, 1, size=20)
        npos, nneg = int(rng.integers(1, 4)), int(rng.integers(5, 8))
        pos = q + rng.uniform(0.6, 1.6, size=(npos, 1)) * rng.normal(0, 1, size=(npos, 20))
        neg = q + rng.uniform(1.2, 3.0, size=(nneg, 1)) * rng.normal(0, 1, size=(nneg, 20))
        qv, cand = f32(q[None, :]), f32(np.vstack([pos, neg]))
        first = len(docs_vecs)
        queries.append(qv[0])
        docs_vecs.extend(list(cand))
        rel = np.array([1] * npos + [0] * nneg)
        sc = cosine_matrix(qv, cand)[0]
        aps.append(float(average_precision_score(rel, sc)))
        order = np.argsort(-sc, kind="stable")
        rr = 0.0
        for rank, j in enumerate(order[:10]):
            if rel[j]:
                rr = 1.0 / (rank + 1)
                break
        mrrs.append(rr)
        samples.append({"query": i, "positive": list(range(first, first + npos)),
                        "negative": list(range(first + npos, first + npos + nneg)), "ap": aps[-1], "mrr_at_10": rr,
                        "minGap": min_gap(sc)})
    docs["reranking"] = {"queries": mat(np.array(queries)), "docs": mat(np.array(docs_vecs)), "samples": samples,
                         "expected": {"map": float(np.mean(aps)), "mrr_at_10": float(np.mean(mrrs))}}

    # Retrieval: corpus of 120 docs around 30 topics; each query is near one topic; relevant docs are
    # that topic's docs with grade 2 for the closest ones, 1 otherwise (some relevant docs rank low).
    rng = np.random.default_rng(71)
    nd, nq, d, topics = 120, 20, 20, 30
    centers = rng.normal(0, 1, size=(topics, d))
    dt = rng.integers(0, topics, size=nd)
    corpus = f32(centers[dt] + 0.9 * rng.normal(0, 1, size=(nd, d)))
    qt = rng.choice(np.unique(dt), size=nq, replace=False)
    qv = f32(centers[qt] + 0.7 * rng.normal(0, 1, size=(nq, d)))
    doc_ids = [f"d{i:03d}" for i in range(nd)]
    query_ids = [f"q{i:02d}" for i in range(nq)]
    cos = cosine_matrix(qv, corpus)
    qrels = {}
    for i in range(nq):
        members = np.where(dt == qt[i])[0]
        dist = np.linalg.norm(corpus[members].astype(np.float64) - centers[qt[i]], axis=1)
        grades = {doc_ids[j]: (2 if dist[t] < np.median(dist) else 1) for t, j in enumerate(members)}
        # one non-relevant judgement (grade 0) per query: judged but not relevant
        other = int(rng.integers(0, nd))
        if doc_ids[other] not in grades:
            grades[doc_ids[other]] = 0
        qrels[query_ids[i]] = grades
    expected = {}
    y_true = np.zeros((nq, nd))
    for i in range(nq):
        for did, g in qrels[query_ids[i]].items():
            y_true[i, int(did[1:])] = g
    for k in K_VALUES:
        expected[f"ndcg_at_{k}"] = float(np.mean([ndcg_score(y_true[i:i + 1], cos[i:i + 1], k=k) for i in range(nq)]))
    # trec_eval map_cut / recall / P and MTEB's MRR, straight from the ranked lists (nothing tied)
    per = {f"{m}_at_{k}": [] for m in ["map", "recall", "precision", "mrr"] for k in K_VALUES}
    min_gaps = []
    for i in range(nq):
        order = np.argsort(-cos[i], kind="stable")
        # trec_eval compares scores as float32 (DOCNO_INFO.sim is a float): they must stay distinct
        min_gaps.append(min_gap(cos[i].astype(np.float32)))
        rel = (y_true[i, order] > 0).astype(float)
        num_rel = rel.sum()
        for k in K_VALUES:
            r = rel[:k]
            hits = np.cumsum(r)
            per[f"map_at_{k}"].append(float(np.sum(r * hits / np.arange(1, len(r) + 1)) / num_rel))
            per[f"recall_at_{k}"].append(float(r.sum() / num_rel))
            per[f"precision_at_{k}"].append(float(r.sum() / k))
            first = np.nonzero(r)[0]
            per[f"mrr_at_{k}"].append(float(1.0 / (first[0] + 1)) if len(first) else 0.0)
    for key, v in per.items():
        expected[key] = float(np.mean(v))
    docs["retrieval"] = {
        "queries": mat(qv), "corpus": mat(corpus), "queryIds": query_ids, "corpusIds": doc_ids,
        "qrels": qrels, "kValues": K_VALUES, "minCosineGap": float(min(min_gaps)), "expected": expected,
    }

    problems = []
    if sts["minCosineGap"] < 1e-9:
        problems.append("sts: near-tied cosines")
    for name in ["cos_sim", "manhattan", "euclidean", "dot"]:
        if pc[f"minGap_{name}"] < 1e-9:
            problems.append(f"pair-classification: near-tied {name}")
    if docs["bitext-mining"]["minTop2Gap"] < 1e-6:
        problems.append("bitext: near-tied nearest neighbours")
    if min(s["minGap"] for s in samples) < 1e-9:
        problems.append("reranking: near-tied cosines")
    if docs["retrieval"]["minCosineGap"] <= 0:
        problems.append("retrieval: near-tied cosines")
    for c in docs["classification"]["cases"]:
        if c["minTestDecisionMargin"] < 1e-6:
            problems.append(f"classification {c['name']}: a test row is tied between classes")
    if problems:
        raise SystemExit("; ".join(problems) + ": pick other seeds")

    total = 0
    for name, doc in docs.items():
        path = os.path.join(args.out, f"{name}.json")
        text = json.dumps({**meta, **doc}, separators=(",", ":"))
        with open(path, "w") as fh:
            fh.write(text + "\n")
        total += len(text) + 1
        print(f"wrote {path} ({len(text) / 1024:.0f} KB)", file=sys.stderr)
    for c in docs["classification"]["cases"]:
        print(f"  {c['name']}: n_iter={c['nIter']} accuracy={c['accuracy']:.4f} objective={c['objective']:.6f} "
              f"optimum {c['optimum']['objective']:.6f} after {c['optimum']['nIter']} "
              f"margin {c['minTestDecisionMargin']:.3g}", file=sys.stderr)
    for s in docs["clustering"]["sets"]:
        print(f"  clustering k={s['k']}: kmeans v={s['kmeansVMeasure']:.4f} minibatch v={s['miniBatchKMeansVMeasure']:.4f} "
              f"one-start mean {s['kmeansOneStartMeanVMeasure']:.4f} minibatch mean {s['miniBatchKMeansMeanVMeasure']:.4f}", file=sys.stderr)
    print(f"total {total / 1024:.0f} KB", file=sys.stderr)


if __name__ == "__main__":
    main()
