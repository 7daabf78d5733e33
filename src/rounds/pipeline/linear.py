"""Shipped linear models: sparse feature weights in gzip-compressed JSON, scored in pure Python.

A model file (written by ``scripts/train_*.py``) holds::

    {"name": "sentiment", "version": "v1", "classes": ["negative", ...], "bias": [...],
     "weights": {"feature": [w_class0, w_class1, ...], ...}, "meta": {...}}

Scoring a post is one dictionary look-up per feature, which for short posts is much faster than building a
sparse matrix per item, and it needs nothing but the standard library at run time. Weights are exact copies
of the trained model's (rounded to 4 decimals), so offline figures and run-time decisions agree.
"""

from __future__ import annotations

import gzip
import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any

DATA_PACKAGE = "rounds.pipeline.data"


class ModelFileError(RuntimeError):
    """A shipped model file is missing or malformed (a packaging error, not a user error)."""


@dataclass(frozen=True)
class LinearModel:
    name: str
    version: str
    classes: tuple[str, ...]
    bias: tuple[float, ...]
    weights: dict[str, tuple[float, ...]]
    meta: dict[str, Any]

    def scores(self, features: Iterable[str]) -> list[float]:
        """Raw decision values per class; each distinct feature counts once (binary features)."""
        totals = list(self.bias)
        width = len(totals)
        weights = self.weights
        seen: set[str] = set()
        for feature in features:
            if feature in seen:
                continue
            seen.add(feature)
            row = weights.get(feature)
            if row is not None:
                for index in range(width):
                    totals[index] += row[index]
        return totals

    def top_features(self, features: Iterable[str], class_index: int, limit: int = 3) -> list[str]:
        """Features that pushed most towards ``class_index`` (for explanations)."""
        weights = self.weights
        scored = {f: weights[f][class_index] for f in set(features) if f in weights}
        best = sorted(scored.items(), key=lambda item: item[1], reverse=True)[:limit]
        return [feature for feature, weight in best if weight > 0]


def softmax(values: Sequence[float]) -> list[float]:
    top = max(values)
    exps = [math.exp(v - top) for v in values]
    total = sum(exps)
    return [e / total for e in exps]


def sigmoid(value: float) -> float:
    if value >= 0:
        return 1.0 / (1.0 + math.exp(-value))
    e = math.exp(value)
    return e / (1.0 + e)


def load_model(filename: str) -> LinearModel:
    """Load ``rounds/pipeline/data/<filename>`` (a ``.json.gz`` written by a training script)."""
    try:
        raw = resources.files(DATA_PACKAGE).joinpath(filename).read_bytes()
        body = json.loads(gzip.decompress(raw))
        return LinearModel(
            name=str(body["name"]),
            version=str(body["version"]),
            classes=tuple(str(c) for c in body["classes"]),
            bias=tuple(float(b) for b in body["bias"]),
            weights={str(k): tuple(float(x) for x in v) for k, v in body["weights"].items()},
            meta=dict(body.get("meta", {})),
        )
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise ModelFileError(f"model file {filename} is missing or malformed: {error}") from error


def dump_model(
    path: str,
    *,
    name: str,
    version: str,
    classes: Sequence[str],
    bias: Sequence[float],
    weights: dict[str, Sequence[float]],
    meta: dict[str, Any],
) -> int:
    """Write a model file (used by the training scripts); returns its size in bytes."""
    body = {
        "name": name,
        "version": version,
        "classes": list(classes),
        "bias": [round(float(b), 4) for b in bias],
        "weights": {k: [round(float(x), 4) for x in v] for k, v in sorted(weights.items())},
        "meta": meta,
    }
    data = gzip.compress(json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode(), mtime=0)
    with open(path, "wb") as handle:
        handle.write(data)
    return len(data)
