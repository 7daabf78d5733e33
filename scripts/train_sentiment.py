"""Train the shipped sentiment model (enrich.sentiment.v2) from permissively licensed data only.

Data (see ../shared/data/README.md): semeval2017_4a train (TweetEval format, "yes") to fit; TweetEval
sentiment val as dev (reported, never fitted on). Features are the shared ones of
``rounds.pipeline.text.sentiment_features`` (negation-marked word uni/bigrams + in-word char 3-5-grams).
Features are counted (not binary), so a post's score is a sum over its tokens and the run-time scorer can
cache each word's summed weights.

Model (v2): the average, in decision-value space, of two linear models over the same counted features:

- a class-balanced multinomial logistic regression (C = 0.02; this alone was v1);
- an NB-LR (Wang & Manning 2012, "NBSVM" with a logistic loss): per class, a binary class-balanced logistic
  regression (C = 0.1) on the features scaled by their naive Bayes log-count ratio for that class against the
  others (presence counts, smoothing 1).

Both are linear in the counts, so their average is one weight table and costs nothing at run time. The equal
weights were fixed in advance, not tuned. Per-class decision offsets are then chosen on a seeded 10% hold-out of
the *training* data to maximise macro-recall (the official TweetEval metric), and the final models are refitted
on all training rows with those offsets. Weights are pruned to keep the file small.

    .venv/bin/python scripts/train_sentiment.py [--data ../shared/data] [--out src/rounds/pipeline/data]

Takes about 3-5 minutes on one core.
"""

from __future__ import annotations

import argparse
import csv
import itertools
import time
from pathlib import Path

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, recall_score
from sklearn.model_selection import train_test_split

from rounds.pipeline.linear import dump_model
from rounds.pipeline.text import TextView

CLASSES = ("negative", "neutral", "positive")
SEED = 20251121
VERSION = "v2"


def features(text: str) -> list[str]:
    return TextView(text).sentiment_features


def read_lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").split("\n")[:-1]


def nhs_sentiment(data: Path, split: str = "train") -> tuple[list[str], list[int]]:
    """NHS v6 comments (MIT): sentiment 1-2 positive, 3 (mixed) neutral, 4-5 negative."""
    mapping = {"1": 2, "2": 2, "3": 1, "4": 0, "5": 0}
    path = data / f"nhs_patient_experience/v6framework_230831_{split}.csv"
    with path.open(encoding="utf-8") as handle:
        rows = [r for r in csv.DictReader(handle) if r["Comment sentiment"] in mapping]
    rows = [r for r in rows if r["FFT answer"].strip() and r["FFT answer"].strip() != "Did not answer"]
    return [r["FFT answer"] for r in rows], [mapping[r["Comment sentiment"]] for r in rows]


def fit_nblr(
    matrix: sparse.csr_matrix, labels: np.ndarray, c: float, weights: np.ndarray, alpha: float = 1.0
) -> tuple[np.ndarray, np.ndarray]:
    """NB-LR, one binary model per class; returns its effective (classes x features) weights and biases."""
    present = (matrix > 0).astype(np.float64)
    coef, intercept = [], []
    for k in range(len(CLASSES)):
        inside = labels == k
        pos = np.asarray(present[inside].multiply(weights[inside][:, None]).sum(0)).ravel() + alpha
        neg = np.asarray(present[~inside].multiply(weights[~inside][:, None]).sum(0)).ravel() + alpha
        ratio = np.log((pos / pos.sum()) / (neg / neg.sum()))
        scaled = matrix @ sparse.diags(ratio.astype(np.float32))
        model = LogisticRegression(C=c, class_weight="balanced", max_iter=2000)
        model.fit(scaled, inside.astype(int), sample_weight=weights)
        coef.append(model.coef_[0] * ratio)
        intercept.append(float(model.intercept_[0]))
    return np.vstack(coef), np.array(intercept)


def fit(
    texts: list[str], labels: np.ndarray, c: float, weights: np.ndarray, nblr_c: float
) -> tuple[CountVectorizer, np.ndarray, np.ndarray]:
    """Both models on the same counted features; returns the vectorizer and the averaged weights and biases."""
    vectorizer = CountVectorizer(analyzer=features, binary=False, min_df=2, dtype=np.float32)
    matrix = vectorizer.fit_transform(texts)
    model = LogisticRegression(C=c, class_weight="balanced", max_iter=3000)
    model.fit(matrix, labels, sample_weight=weights)
    if nblr_c <= 0:
        return vectorizer, model.coef_, model.intercept_
    nb_coef, nb_intercept = fit_nblr(matrix, labels, nblr_c, weights)
    return vectorizer, 0.5 * (model.coef_ + nb_coef), 0.5 * (model.intercept_ + nb_intercept)


def best_offsets(scores: np.ndarray, labels: np.ndarray) -> tuple[float, float]:
    """Offsets added to the negative and positive decision values (neutral fixed at 0)."""
    grid = np.round(np.arange(-1.0, 1.01, 0.05), 2)
    best, chosen = -1.0, (0.0, 0.0)
    for neg, pos in itertools.product(grid, grid):
        pred = (scores + np.array([neg, 0.0, pos])).argmax(1)
        value = float(recall_score(labels, pred, average="macro"))
        if value > best + 1e-9:
            best, chosen = value, (float(neg), float(pos))
    return chosen


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--data", type=Path, default=Path(__file__).resolve().parents[1].parent / "shared" / "data"
    )
    parser.add_argument(
        "--out", type=Path, default=Path(__file__).resolve().parents[1] / "src/rounds/pipeline/data"
    )
    parser.add_argument("--c", type=float, default=0.02)
    parser.add_argument("--nhs", action=argparse.BooleanOptionalAction, default=True, help="add NHS v6 train")
    parser.add_argument("--min-weight", type=float, default=0.02, help="prune features below this |weight|")
    parser.add_argument("--nhs-weight", type=float, default=0.5, help="sample weight of NHS rows")
    parser.add_argument(
        "--nblr-c", type=float, default=0.1, help="C of the NB-LR half (0: logistic regression only, as v1)"
    )
    args = parser.parse_args()
    started = time.perf_counter()

    texts = read_lines(args.data / "semeval2017_4a/train_text.txt")
    labels = np.array([int(x) for x in read_lines(args.data / "semeval2017_4a/train_labels.txt")])
    dev_texts = read_lines(args.data / "tweeteval/sentiment/val_text.txt")
    dev_labels = np.array([int(x) for x in read_lines(args.data / "tweeteval/sentiment/val_labels.txt")])
    assert len(texts) == len(labels)
    assert len(dev_texts) == len(dev_labels)

    fit_texts, hold_texts, fit_labels, hold_labels = train_test_split(
        texts, labels, test_size=0.1, random_state=SEED, stratify=labels
    )
    extra_texts: list[str] = []
    extra_labels: list[int] = []
    if args.nhs:
        extra_texts, extra_labels = nhs_sentiment(args.data)
        print(f"adding {len(extra_texts)} NHS v6 train comments")
    fit_texts = list(fit_texts) + extra_texts
    fit_labels = np.concatenate([fit_labels, np.array(extra_labels, dtype=int)])
    texts = texts + extra_texts
    labels = np.concatenate([labels, np.array(extra_labels, dtype=int)])
    fit_weights = np.array([1.0] * (len(fit_texts) - len(extra_texts)) + [args.nhs_weight] * len(extra_texts))
    vectorizer, coef, intercept = fit(fit_texts, fit_labels, args.c, fit_weights, args.nblr_c)
    hold_scores = vectorizer.transform(hold_texts) @ coef.T + intercept
    offsets = best_offsets(hold_scores, hold_labels)
    hold_recall = float(
        recall_score(
            hold_labels, (hold_scores + np.array([offsets[0], 0.0, offsets[1]])).argmax(1), average="macro"
        )
    )
    print(
        f"offsets (negative, positive) chosen on the train hold-out: {offsets}; hold-out macro-recall {hold_recall:.4f}"
    )

    all_weights = np.array([1.0] * (len(texts) - len(extra_texts)) + [args.nhs_weight] * len(extra_texts))
    vectorizer, coef, intercept = fit(texts, labels, args.c, all_weights, args.nblr_c)
    bias = intercept + np.array([offsets[0], 0.0, offsets[1]])
    names = vectorizer.get_feature_names_out()
    coef = coef.T  # features x classes
    keep = np.abs(coef).max(1) >= args.min_weight
    weights = {str(names[i]): coef[i].tolist() for i in np.flatnonzero(keep)}

    # Dev figures with exactly the pruned, rounded weights that ship.
    rounded = {k: np.round(np.array(v), 4) for k, v in weights.items()}
    rounded_bias = np.round(bias, 4)

    def predict(items: list[str]) -> list[int]:
        out = []
        for text in items:
            total = rounded_bias.copy()
            for feature in features(text):  # counts, as at run time: every occurrence adds its weight
                row = rounded.get(feature)
                if row is not None:
                    total = total + row
            out.append(int(total.argmax()))
        return out

    dev_pred = predict(dev_texts)
    macro_recall = float(recall_score(dev_labels, dev_pred, average="macro"))
    accuracy = float(accuracy_score(dev_labels, dev_pred))
    per_class = recall_score(dev_labels, dev_pred, average=None).tolist()
    nhs_texts, nhs_labels = nhs_sentiment(args.data, "dev")
    nhs_recall = float(recall_score(nhs_labels, predict(nhs_texts), average="macro"))
    meta = {
        "trained_on": "semeval2017_4a train (47,493 tweets)"
        + (" + NHS v6 train comments" if args.nhs else ""),
        "dev": "tweeteval sentiment val (2,000 tweets)",
        "dev_macro_recall": round(macro_recall, 4),
        "dev_accuracy": round(accuracy, 4),
        "dev_recall_per_class": [round(x, 4) for x in per_class],
        "nhs_v6_dev_macro_recall": round(nhs_recall, 4),
        "model": "average of multinomial logistic regression and NB-LR"
        if args.nblr_c > 0
        else "logistic regression",
        "c": args.c,
        "nblr_c": args.nblr_c,
        "offsets": offsets,
        "train_holdout_macro_recall": round(hold_recall, 4),
        "features_kept": len(weights),
        "features_total": len(names),
    }
    size = dump_model(
        str(args.out / f"sentiment.{VERSION}.json.gz"),
        name="sentiment",
        version=VERSION,
        classes=CLASSES,
        bias=bias.tolist(),
        weights=weights,
        meta=meta,
    )
    print(meta)
    print(f"wrote sentiment.{VERSION}.json.gz ({size / 1e6:.2f} MB) in {time.perf_counter() - started:.0f}s")


if __name__ == "__main__":
    main()
