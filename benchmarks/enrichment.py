"""Enrichment figures on the dev splits, and throughput: what the docs and the issue quote.

    .venv/bin/python benchmarks/enrichment.py [--data ../shared/data] [--quick]

Prints tables (what, n, metric, value) for sentiment, each intent label, language, and the speed of the full
enrichment on one core. Dev splits only (the held-out tests are not here). Never prints post text.
"""

from __future__ import annotations

import argparse
import ast
import csv
import re
import resource
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

from rounds.domain.enrichment import Enrichment, Intent, Sentiment
from rounds.domain.posts import Post
from rounds.pipeline.enricher import Enricher

csv.field_size_limit(1 << 30)
WHEN = datetime(2024, 1, 1, tzinfo=UTC)


def post(text: str, index: int = 0) -> Post:
    return Post(platform="file", remote_id=str(index), text=text, created_at=WHEN)


def prf(gold: Sequence[bool], pred: Sequence[bool]) -> tuple[float, float, float]:
    tp = sum(1 for g, p in zip(gold, pred, strict=True) if g and p)
    fp = sum(1 for g, p in zip(gold, pred, strict=True) if p and not g)
    fn = sum(1 for g, p in zip(gold, pred, strict=True) if g and not p)
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def row(what: str, n: int, metric: str, value: float | str) -> None:
    shown = f"{100 * value:.1f}" if isinstance(value, float) else value
    print(f"{what:58} {n:>7} {metric:>22} {shown:>10}")


def read_csv(path: Path, delimiter: str = ",") -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle, delimiter=delimiter))


def nhs_dev(data: Path) -> list[dict[str, str]]:
    rows = read_csv(data / "nhs_patient_experience/v6framework_230831_dev.csv")
    return [r for r in rows if r["FFT answer"].strip() and r["FFT answer"].strip() != "Did not answer"]


def run(enricher: Enricher, texts: Sequence[str]) -> list[Enrichment]:
    return [enricher.enrich(post(t, i)) for i, t in enumerate(texts)]


def has(intent: Intent) -> Callable[[Enrichment], bool]:
    return lambda e: intent in e.intents


def sentiment_section(enricher: Enricher, data: Path) -> None:
    texts = (data / "tweeteval/sentiment/val_text.txt").read_text(encoding="utf-8").split("\n")[:-1]
    gold = [int(x) for x in (data / "tweeteval/sentiment/val_labels.txt").read_text().split()]
    order = [Sentiment.NEGATIVE, Sentiment.NEUTRAL, Sentiment.POSITIVE]
    pred = [order.index(e.sentiment) for e in run(enricher, texts)]
    recalls = []
    for k, name in enumerate(order):
        gold_k = [g == k for g in gold]
        recalls.append(prf(gold_k, [p == k for p in pred])[1])
        row(f"sentiment TweetEval val: recall {name.value}", sum(gold_k), "recall", recalls[-1])
    row("sentiment TweetEval val (official metric)", len(gold), "macro-recall", sum(recalls) / 3)
    row(
        "sentiment TweetEval val",
        len(gold),
        "accuracy",
        sum(g == p for g, p in zip(gold, pred, strict=True)) / len(gold),
    )

    rows = [r for r in nhs_dev(data) if r["Comment sentiment"] in {"1", "2", "3", "4", "5"}]
    mapping = {"1": 2, "2": 2, "3": 1, "4": 0, "5": 0}
    gold = [mapping[r["Comment sentiment"]] for r in rows]
    pred = [order.index(e.sentiment) for e in run(enricher, [r["FFT answer"] for r in rows])]
    recalls = [prf([g == k for g in gold], [p == k for p in pred])[1] for k in range(3)]
    row(
        "sentiment NHS v6 dev (1-2 pos, 3 mixed=neutral, 4-5 neg)",
        len(gold),
        "macro-recall",
        sum(recalls) / 3,
    )


def intent_section(enricher: Enricher, data: Path) -> None:
    nhs = nhs_dev(data)
    results = run(enricher, [r["FFT answer"] for r in nhs])

    def on(r: dict[str, str], column: str) -> bool:
        return r.get(column, "").strip() == "1"

    cases: list[tuple[str, list[bool], list[bool]]] = []
    gold = [
        on(r, "Negative experience & dissatisfaction") or r["Comment sentiment"] in ("4", "5") for r in nhs
    ]
    cases.append(
        ("complaint: NHS v6 dev (shippable domain)", gold, [has(Intent.COMPLAINT)(e) for e in results])
    )
    complaints = read_csv(data / "complaints_preotiuc2019/dev.csv")
    pred = [has(Intent.COMPLAINT)(e) for e in run(enricher, [r["text"] for r in complaints])]
    cases.append(
        ("complaint: complaints_preotiuc2019 dev (eval only)", [r["label"] == "1" for r in complaints], pred)
    )
    gold = [on(r, "Positive experience & gratitude") for r in nhs]
    cases.append(("praise: NHS v6 dev", gold, [has(Intent.PRAISE)(e) for e in results]))
    columns = ("Appointment arrangements", "Appointment method", "Contacting services")
    gold = [any(on(r, c) for c in columns) for r in nhs]
    cases.append(
        ("appointment_request: NHS v6 dev", gold, [has(Intent.APPOINTMENT_REQUEST)(e) for e in results])
    )

    psytar = read_csv(data / "ade/psytar/binary/dev.csv", delimiter="\t")
    pred = [has(Intent.ADVERSE_DRUG_EVENT)(e) for e in run(enricher, [r["sentences"] for r in psytar])]
    gold = [r["ADR"] == "1" or r["WD"] == "1" for r in psytar]
    cases.append(("adverse_drug_event: PsyTAR binary dev (ADR or WD)", gold, pred))

    liveqa = read_csv(data / "liveqa_medical/dev.csv")
    questions = [(r["subject"] + " " + r["message"]).strip() for r in liveqa]
    statements = [r["FFT answer"] for r in nhs if "?" not in r["FFT answer"]]
    pred = [has(Intent.QUESTION)(e) for e in run(enricher, questions + statements)]
    gold = [True] * len(questions) + [False] * len(statements)
    cases.append(("question: LiveQA dev (+ NHS dev comments without '?' as negatives)", gold, pred))
    medquad = [r["question"] for r in read_csv(data / "medquad_questions/dev.csv")][:2000]
    pred = [has(Intent.QUESTION)(e) for e in run(enricher, medquad)]
    cases.append(("question: MedQuAD dev (first 2,000; all questions)", [True] * len(pred), pred))

    constraint = read_csv(data / "covid_misinfo_constraint/Constraint_Val.csv")
    pred = [has(Intent.MISINFORMATION)(e) for e in run(enricher, [r["tweet"] for r in constraint])]
    cases.append(
        (
            "misinformation: CONSTRAINT dev, fake = positive (cues)",
            [r["label"] == "fake" for r in constraint],
            pred,
        )
    )

    users = read_csv(data / "crisis/cssrs_reddit_500/dev.csv")
    gold, pred = [], []
    flagged_posts = total_posts = 0
    for user in users:
        try:
            posts = [str(p) for p in ast.literal_eval(user["Post"])]
        except (ValueError, SyntaxError):
            posts = re.split(r"""['"], ['"]""", user["Post"])
        flags = [has(Intent.EMERGENCY_SELF_HARM)(e) for e in run(enricher, posts)]
        flagged_posts += sum(flags)
        total_posts += len(flags)
        gold.append(user["Label"] in {"Ideation", "Behavior", "Attempt"})
        pred.append(any(flags))
    cases.append(("emergency_self_harm: C-SSRS dev users (any post flagged)", gold, pred))

    print(f"{'intent (per label)':58} {'n':>7} {'pos':>5} {'precision':>9} {'recall':>7} {'F1':>6}")
    for name, g, p in cases:
        precision, recall, f1 = prf(g, p)
        print(
            f"{name:58} {len(g):>7} {sum(g):>5} {100 * precision:>9.1f} {100 * recall:>7.1f} {100 * f1:>6.1f}"
        )
    tweets = (data / "tweeteval/sentiment/val_text.txt").read_text(encoding="utf-8").split("\n")[:-1]
    general = run(enricher, tweets)
    rate = sum(has(Intent.EMERGENCY_SELF_HARM)(e) for e in general) / len(general)
    row("emergency_self_harm: flag rate on general tweets (TweetEval val)", len(general), "flagged", rate)
    rate = sum(has(Intent.EMERGENCY_SELF_HARM)(e) for e in results) / len(results)
    row("emergency_self_harm: flag rate on NHS v6 dev comments", len(results), "flagged", rate)
    row(
        "emergency_self_harm: C-SSRS dev posts flagged",
        total_posts,
        "flagged",
        flagged_posts / max(1, total_posts),
    )


def language_section(enricher: Enricher, data: Path) -> None:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier  # type: ignore[import-untyped]

    reference = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    texts: list[str] = []
    for event in (
        "2012_Guatemala_earthquake",
        "2012_Italy_earthquakes",
        "2013_Brazil_nightclub_fire",
        "2013_Queensland_floods",
    ):
        path = next((data / "crisis/crisislex_t26" / event).glob("*-tweets_labeled.csv"))
        with path.open(encoding="utf-8") as handle:
            reader = csv.reader(handle, skipinitialspace=True)
            next(reader)
            texts += [r[1] for r in reader if len(r) > 1]
    ours = [e.language for e in run(enricher, texts)]
    theirs = []
    for text in texts:
        language, probability = reference.classify(text)
        theirs.append(language if probability >= 0.9 else None)
    pairs = [(o, t) for o, t in zip(ours, theirs, strict=True) if t is not None]
    agreement = sum(o == t for o, t in pairs) / len(pairs)
    row("language vs py3langid full model (p>=0.9), CrisisLex tweets", len(pairs), "agreement", agreement)
    counts: dict[str, int] = {}
    for language in ours:
        counts[language] = counts.get(language, 0) + 1
    top = ", ".join(f"{k} {v}" for k, v in sorted(counts.items(), key=lambda kv: -kv[1])[:6])
    row("language distribution (es/it/pt/en events)", len(ours), "top", top)


def speed_section(enricher: Enricher, data: Path, seconds: float) -> None:
    """Throughput on one core. CPU time of this process is reported beside wall time: on a shared machine the
    wall clock also counts time spent waiting for a core, CPU time does not."""
    tweets = (data / "tweeteval/sentiment/val_text.txt").read_text(encoding="utf-8").split("\n")[:-1]
    nhs = [r["FFT answer"] for r in nhs_dev(data)]
    posts = [post(t, i) for i, t in enumerate(tweets + nhs)]
    for p in posts:
        enricher.enrich(p)  # warm caches and lazy loads (the language fallback model loads on first use)
    done = 0
    wall = time.perf_counter()
    cpu = time.process_time()
    while time.perf_counter() - wall < seconds:
        for p in posts:
            enricher.enrich(p)
        done += len(posts)
    wall = time.perf_counter() - wall
    cpu = time.process_time() - cpu
    memory = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"{'what':40} {'n':>8} {'wall s':>8} {'cpu s':>8} {'posts/s wall':>13} {'posts/cpu-s':>12} {'max RSS MB':>11}"
    )
    print(
        f"{'full enrichment, one core (tweets+NHS)':40} {done:>8} {wall:>8.2f} {cpu:>8.2f} {done / wall:>13.0f} "
        f"{done / cpu:>12.0f} {memory:>11.0f}"
    )
    done = 0
    wall = time.perf_counter()
    cpu = time.process_time()
    while time.perf_counter() - wall < seconds:
        done += sum(1 for _ in enricher.enrich_many(posts))
    wall = time.perf_counter() - wall
    cpu = time.process_time() - cpu
    print(
        f"{'full enrichment, enrich_many (ingest path)':40} {done:>8} {wall:>8.2f} {cpu:>8.2f} {done / wall:>13.0f} "
        f"{done / cpu:>12.0f} {'':>11}"
    )
    for component in enricher.components:
        single = Enricher([component.name])
        for p in posts:
            single.enrich(p)
        cpu = time.process_time()
        for p in posts:
            single.enrich(p)
        cpu = time.process_time() - cpu
        print(
            f"{'  only ' + component.name + ' (incl. tokenizing)':40} {len(posts):>8} {'':>8} {cpu:>8.2f} {'':>13} {len(posts) / cpu:>12.0f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--data", type=Path, default=Path(__file__).resolve().parents[1].parent / "shared" / "data"
    )
    parser.add_argument("--seconds", type=float, default=5.0, help="how long to measure throughput")
    parser.add_argument("--only", choices=["sentiment", "intent", "language", "speed"])
    args = parser.parse_args()
    started = time.perf_counter()
    enricher = Enricher()
    print(
        f"components: {', '.join(enricher.versioned_names)} (loaded in {time.perf_counter() - started:.2f}s)\n"
    )
    print(f"{'what':58} {'n':>7} {'metric':>22} {'value':>10}")
    if args.only in (None, "sentiment"):
        sentiment_section(enricher, args.data)
    if args.only in (None, "intent"):
        print()
        intent_section(enricher, args.data)
    if args.only in (None, "language"):
        print()
        language_section(enricher, args.data)
    if args.only in (None, "speed"):
        print()
        speed_section(enricher, args.data, args.seconds)


if __name__ == "__main__":
    main()
