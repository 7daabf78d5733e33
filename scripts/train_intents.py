"""Train the shipped intent model (enrich.intent.v1): one binary linear model per intent label.

Only rows marked "yes" in ../shared/data/README.md are fitted on:

- complaint: NHS v6 train ("Negative experience & dissatisfaction" or comment sentiment 4-5 positive) plus
  NHS phase 1 train (criticality <= -2 positive, >= 0 negative), with 3,000 neutral tweets as negatives
  (feedback forms hold almost no purely informational text, so without them facts look like complaints);
- praise: NHS v6 train ("Positive experience & gratitude"), with the same neutral tweets as negatives;
- appointment_request: NHS v6 train ("Appointment arrangements", "Appointment method", "Contacting services");
- adverse_drug_event: PsyTAR binary train (ADR or WD sentences) against the other PsyTAR sentences and a
  seeded sample of general tweets (semeval2017_4a train);
- question: MedQuAD train questions (templated) against NHS comments and general tweets without a "?";
- emergency_self_harm: C-SSRS Reddit train posts of users rated Ideation/Behavior/Attempt against posts of
  Supportive users and general tweets and NHS comments (sensitive data: weights only, no text ships).

Features: ``rounds.pipeline.text.word_features`` (negation-marked word uni/bigrams). Each label: class-balanced
logistic regression; its threshold is chosen on 5-fold out-of-fold scores of the *training* rows (F1; F2 for
emergency_self_harm, which must favour recall). Dev figures are printed by ``benchmarks/enrichment.py``.

    .venv/bin/python scripts/train_intents.py [--data ../shared/data] [--out src/rounds/pipeline/data]
"""

from __future__ import annotations

import argparse
import ast
import csv
import random
import re
import time
from pathlib import Path

import numpy as np
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_predict

from rounds.pipeline.linear import dump_model
from rounds.pipeline.text import TextView

SEED = 20251121
LABELS = (
    "complaint",
    "praise",
    "appointment_request",
    "adverse_drug_event",
    "question",
    "emergency_self_harm",
)
csv.field_size_limit(1 << 30)


def features(text: str) -> list[str]:
    return TextView(text).word_features


def nhs_v6(data: Path, split: str) -> list[dict[str, str]]:
    path = data / f"nhs_patient_experience/v6framework_230831_{split}.csv"
    with path.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    return [r for r in rows if r["FFT answer"].strip() and r["FFT answer"].strip() != "Did not answer"]


def nhs_phase1(data: Path, split: str) -> list[dict[str, str]]:
    path = data / f"nhs_patient_experience/phase_1/text_data_{split}.csv"
    with path.open(encoding="utf-8") as handle:
        return [r for r in csv.DictReader(handle) if r["feedback"].strip()]


def tweets(data: Path, n: int) -> list[str]:
    lines = (data / "semeval2017_4a/train_text.txt").read_text(encoding="utf-8").split("\n")[:-1]
    return random.Random(SEED).sample(lines, n)


def neutral_tweets(data: Path, n: int) -> list[str]:
    """Tweets labelled neutral (semeval2017_4a train): informational text that is neither praise nor complaint."""
    lines = (data / "semeval2017_4a/train_text.txt").read_text(encoding="utf-8").split("\n")[:-1]
    labels = (data / "semeval2017_4a/train_labels.txt").read_text(encoding="utf-8").split()
    neutral = [t for t, y in zip(lines, labels, strict=True) if y == "1"]
    return random.Random(SEED + 1).sample(neutral, n)


def psytar(data: Path, split: str) -> list[dict[str, str]]:
    with (data / f"ade/psytar/binary/{split}.csv").open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


def medquad(data: Path, split: str) -> list[str]:
    with (data / f"medquad_questions/{split}.csv").open(encoding="utf-8") as handle:
        return [r["question"] for r in csv.DictReader(handle)]


def split_posts(cell: str) -> list[str]:
    """The C-SSRS "Post" cell is a Python list literal; a few are truncated, so fall back to splitting."""
    try:
        value = ast.literal_eval(cell)
        return [str(x) for x in value]
    except (ValueError, SyntaxError):
        body = cell.strip().lstrip("[").rstrip("]")
        return [part.strip("'\" ") for part in re.split(r"""['"], ['"]""", body)]


def cssrs_posts(data: Path, split: str) -> list[tuple[str, str, str]]:
    """(user, label, post) for every post of every user."""
    out = []
    with (data / f"crisis/cssrs_reddit_500/{split}.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            for post in split_posts(row["Post"]):
                if post.strip():
                    out.append((row["User"], row["Label"], post))
    return out


def is_on(row: dict[str, str], column: str) -> bool:
    return row.get(column, "").strip() == "1"


def datasets(data: Path) -> dict[str, tuple[list[str], list[int]]]:
    v6 = nhs_v6(data, "train")
    v6_texts = [r["FFT answer"] for r in v6]
    general = tweets(data, 6000)
    out: dict[str, tuple[list[str], list[int]]] = {}

    complaint = [
        int(is_on(r, "Negative experience & dissatisfaction") or r["Comment sentiment"] in ("4", "5"))
        for r in v6
    ]
    p1 = [r for r in nhs_phase1(data, "train") if r["criticality"].lstrip("-").isdigit()]
    p1 = [r for r in p1 if int(r["criticality"]) <= -2 or int(r["criticality"]) >= 0]
    informational = neutral_tweets(data, 3000)
    out["complaint"] = (
        v6_texts + [r["feedback"] for r in p1] + informational,
        complaint + [int(int(r["criticality"]) <= -2) for r in p1] + [0] * len(informational),
    )
    out["praise"] = (
        v6_texts + informational,
        [int(is_on(r, "Positive experience & gratitude")) for r in v6] + [0] * len(informational),
    )
    appointment_columns = ("Appointment arrangements", "Appointment method", "Contacting services")
    out["appointment_request"] = (
        v6_texts + general[:2000],
        [int(any(is_on(r, c) for c in appointment_columns)) for r in v6] + [0] * 2000,
    )
    ade = psytar(data, "train")
    out["adverse_drug_event"] = (
        [r["sentences"] for r in ade] + general[:3000],
        [int(r["ADR"] == "1" or r["WD"] == "1") for r in ade] + [0] * 3000,
    )
    questions = random.Random(SEED).sample(medquad(data, "train"), 8000)
    statements = [t for t in v6_texts + general if "?" not in t]
    out["question"] = (questions + statements, [1] * len(questions) + [0] * len(statements))
    crisis = cssrs_posts(data, "train")
    at_risk = {"Ideation", "Behavior", "Attempt"}
    crisis_rows = [(p, int(label in at_risk)) for _, label, p in crisis if label != "Indicator"]
    out["emergency_self_harm"] = (
        [p for p, _ in crisis_rows] + general + v6_texts,
        [y for _, y in crisis_rows] + [0] * (len(general) + len(v6_texts)),
    )
    return out


def choose_threshold(scores: np.ndarray, labels: np.ndarray, beta: float) -> float:
    best, chosen = -1.0, 0.0
    for threshold in np.quantile(scores, np.linspace(0.01, 0.99, 197)):
        pred = scores >= threshold
        tp = float(np.sum(pred & (labels == 1)))
        fp = float(np.sum(pred & (labels == 0)))
        fn = float(np.sum(~pred & (labels == 1)))
        denominator = (1 + beta**2) * tp + beta**2 * fn + fp
        value = (1 + beta**2) * tp / denominator if denominator else 0.0
        if value > best:
            best, chosen = value, float(threshold)
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
    parser.add_argument("--c", type=float, default=0.3)
    parser.add_argument("--min-weight", type=float, default=0.03)
    args = parser.parse_args()
    started = time.perf_counter()

    weights: dict[str, list[float]] = {}
    bias: list[float] = []
    thresholds: dict[str, float] = {}
    counts: dict[str, list[int]] = {}
    all_sets = datasets(args.data)
    for index, label in enumerate(LABELS):
        texts, labels = all_sets[label]
        y = np.array(labels)
        vectorizer = CountVectorizer(analyzer=features, binary=True, min_df=2, dtype=np.float32)
        matrix = vectorizer.fit_transform(texts)
        model = LogisticRegression(C=args.c, class_weight="balanced", max_iter=3000)
        folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=SEED)
        oof = cross_val_predict(model, matrix, y, cv=folds, method="decision_function")
        beta = 2.0 if label == "emergency_self_harm" else 1.0
        thresholds[label] = round(choose_threshold(np.asarray(oof), y, beta), 4)
        model.fit(matrix, y)
        names = vectorizer.get_feature_names_out()
        coef = model.coef_[0]
        for i in np.flatnonzero(np.abs(coef) >= args.min_weight):
            row = weights.setdefault(str(names[i]), [0.0] * len(LABELS))
            row[index] = float(coef[i])
        bias.append(float(model.intercept_[0]))
        counts[label] = [int(y.sum()), int(len(y) - y.sum())]
        print(
            f"{label}: {counts[label][0]} positive / {counts[label][1]} negative, threshold {thresholds[label]}"
        )

    size = dump_model(
        str(args.out / "intents.v1.json.gz"),
        name="intent",
        version="v1",
        classes=LABELS,
        bias=bias,
        weights=weights,
        meta={"thresholds": thresholds, "train_counts": counts, "c": args.c},
    )
    print(
        f"wrote intents.v1.json.gz ({size / 1e6:.2f} MB, {len(weights)} features) in {time.perf_counter() - started:.0f}s"
    )


if __name__ == "__main__":
    main()
