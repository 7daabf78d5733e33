"""Benchmark rounds.screening.ner on real tweets (BTC section H) with the shared scorer.

    .venv/bin/python benchmarks/ner.py [--data ../shared/data]

Prints precision / recall per type with ../shared/data/screening_dev/score.py for phi.ner.v1 alone, the BiLSTM
alone and the shipped phi.ner.v2 (their per-token mean), each in three views:
  * NAME+LOCATION: the tagger alone; gold @handles are neutral (the engine's handle recognizer owns them);
  * engine view: the tagger plus every @handle found by a regex, scored on NAME, HANDLE and LOCATION;
  * synthetic: NAME / LOCATION spans of social_phi_dev.jsonl (surrogate names, lower-case, hashtags, Spanish).
Per-type precision scores one type at a time (the other gold types are neutral). ORG spans are not emitted as
identifiers. Then speed (tweets per CPU second of tag_many on warm caches, ms per tag() call, cold caches, one
process), load time and memory. On a shared machine, run with OPENBLAS_NUM_THREADS=1.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import re
import resource
import time
import tracemalloc
from pathlib import Path
from types import ModuleType
from typing import Any

from rounds.screening.ner import COMPONENT, V1_COMPONENT, EntitySpan, Tagger, load_tagger
from rounds.screening.ner.neural import build_ensemble

ROOT = Path(__file__).resolve().parents[1]
HANDLE = re.compile(r"@\w+")


def load_scorer(data: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location("rounds_dev_score", data / "screening_dev" / "score.py")
    if spec is None or spec.loader is None:
        raise SystemExit("screening_dev/score.py not found")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def predictions(
    gold: list[dict[str, Any]], found: list[list[EntitySpan]], handles: bool
) -> list[dict[str, Any]]:
    out = []
    for item, spans in zip(gold, found, strict=True):
        pred: list[dict[str, object]] = [
            {"start": s.start, "end": s.end, "type": s.label} for s in spans if s.label != "ORG"
        ]
        if handles:
            pred += [
                {"start": m.start(), "end": m.end(), "type": "HANDLE"} for m in HANDLE.finditer(item["text"])
            ]
        out.append({"id": item["id"], "spans": pred})
    return out


def row(
    scorer: ModuleType, name: str, gold: list[dict[str, Any]], preds: list[dict[str, Any]], types: list[str]
) -> list[str]:
    lines = []
    overall = scorer.score([{**g, "scored_types": types} for g in gold], preds)["span"]
    lines.append(
        f"{name:<34} {'all':<9} {overall['gold_ident_spans']:>5} {overall['recall']:>7.3f} "
        f"{overall['precision']:>9.3f} {overall['typed_recall']:>8.3f}"
    )
    for kind in types:
        typed = [{**p, "spans": [s for s in p["spans"] if s["type"] == kind]} for p in preds]
        one = scorer.score([{**g, "scored_types": [kind]} for g in gold], typed).get("span")
        if one is None:
            continue
        precision = "-" if one["precision"] is None else f"{one['precision']:.3f}"
        lines.append(
            f"{'':<34} {kind:<9} {one['gold_ident_spans']:>5} {one['recall']:>7.3f} {precision:>9} "
            f"{one['typed_recall']:>8.3f}"
        )
    return lines


def speed(tagger: Any, texts: list[str], repeat: int) -> tuple[float, float]:
    """(tweets per CPU second of tag_many on a warm cache, CPU ms per tag() call)."""
    tagger.tag_many(texts)  # warm the per-word caches as a long-running process would be
    cpu0 = time.process_time()
    for _ in range(repeat):
        tagger.tag_many(texts)
    batch = time.process_time() - cpu0
    cpu0 = time.process_time()
    for text in texts:
        tagger.tag(text)
    single = time.process_time() - cpu0
    return repeat * len(texts) / batch, 1000 * single / len(texts)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--repeat", type=int, default=5, help="passes over the tweets for the speed figure")
    args = parser.parse_args()
    scorer = load_scorer(args.data)
    dev = args.data / "screening_dev"

    tracemalloc.start()
    started = time.perf_counter()
    shipped = load_tagger()
    load_seconds = time.perf_counter() - started
    load_bytes = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()

    btc = read_jsonl(dev / "btc_names_dev.jsonl")
    synthetic = [
        g
        for g in read_jsonl(dev / "social_phi_dev.jsonl")
        if any(s["type"] in ("NAME", "LOCATION") for s in g["spans"])
    ]
    texts = [g["text"] for g in btc]
    configurations: list[tuple[str, Any]] = [
        (f"{V1_COMPONENT} (perceptron)", shipped.v1),
        ("BiLSTM alone", shipped.v2),
        (f"{COMPONENT} shipped (v1 + BiLSTM)", shipped),
    ]
    settings = shipped.meta.get("ensemble", {})
    print(f"shipped: {COMPONENT}, v1 weight {settings.get('weight')}, O-bias {settings.get('bias')}")
    print(f"weights trained on {shipped.meta.get('trained_on', '?')}")
    for name, tagger in configurations:
        btc_found = tagger.tag_many(texts)
        syn_found = tagger.tag_many([g["text"] for g in synthetic])
        print(f"\n{name}")
        print(
            f"{'set / configuration':<34} {'type':<9} {'gold':>5} {'recall':>7} {'precision':>9} {'typed-R':>8}"
        )
        lines = row(
            scorer,
            f"btc H ({len(btc)} tweets) NAME+LOCATION",
            btc,
            predictions(btc, btc_found, False),
            ["NAME", "LOCATION"],
        )
        lines += row(
            scorer,
            "btc H engine view (+regex handles)",
            btc,
            predictions(btc, btc_found, True),
            ["NAME", "HANDLE", "LOCATION"],
        )
        lines += row(
            scorer,
            f"social_phi ({len(synthetic)} items)",
            synthetic,
            predictions(synthetic, syn_found, False),
            ["NAME", "LOCATION"],
        )
        print("\n".join(lines))

    print()
    print(f"{'what (CPU time, one process)':<40} {'tag_many/s':>10} {'tag() ms':>9}")
    for name, tagger in configurations:
        per_second, ms = speed(tagger, texts, args.repeat)
        print(f"{name:<40} {per_second:>10.0f} {ms:>9.3f}")
    cold = build_ensemble(Tagger(shipped.v1._weights, shipped.v1._space), shipped.v2._weights)
    cold0 = time.process_time()
    cold.tag_many(texts)
    cold_cpu = time.process_time() - cold0
    print(f"{'shipped, cold caches, tag_many':<40} {len(texts) / cold_cpu:>10.0f}")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"load_tagger(): {load_seconds:.2f} s, {load_bytes / 1e6:.0f} MB allocated while loading; "
        f"process max RSS {rss:.0f} MB"
    )


if __name__ == "__main__":
    main()
