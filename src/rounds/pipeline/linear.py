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
from importlib import resources
from itertools import repeat
from typing import Any

import numpy as np

DATA_PACKAGE = "rounds.pipeline.data"


class ModelFileError(RuntimeError):
    """A shipped model file is missing or malformed (a packaging error, not a user error)."""


class LinearModel:
    """Sparse linear scorer: a feature -> row index and a dense (features + 1) x classes weight matrix.

    Row 0 is all zeros and stands for unknown features, so scoring is two C-level steps: map the distinct
    features to rows, then sum those rows.
    """

    def __init__(
        self,
        *,
        name: str,
        version: str,
        classes: tuple[str, ...],
        bias: tuple[float, ...],
        weights: dict[str, tuple[float, ...]],
        meta: dict[str, Any],
    ) -> None:
        self.name = name
        self.version = version
        self.classes = classes
        self.bias = np.asarray(bias, dtype=np.float64)
        self.meta = meta
        self.index: dict[str, int] = {feature: row for row, feature in enumerate(weights, start=1)}
        matrix = np.zeros((len(weights) + 1, len(classes)), dtype=np.float64)
        if weights:
            matrix[1:] = np.asarray(list(weights.values()), dtype=np.float64)
        self.matrix = matrix
        self.rows: dict[str, tuple[float, ...]] = {f: tuple(float(x) for x in v) for f, v in weights.items()}
        self._bias_tuple = tuple(float(b) for b in bias)

    def __len__(self) -> int:
        return len(self.index)

    def weight(self, feature: str) -> tuple[float, ...]:
        return tuple(float(x) for x in self.matrix[self.index.get(feature, 0)])

    def _rows(self, features: Iterable[str]) -> tuple[list[str], list[int]]:
        distinct = list(set(features))
        return distinct, list(map(self.index.get, distinct, repeat(0, len(distinct))))

    def scores(self, features: Iterable[str]) -> list[float]:
        """Raw decision values per class; each distinct feature counts once (binary features)."""
        vectors = [self._bias_tuple]
        vectors.extend(filter(None, map(self.rows.get, set(features))))
        return list(map(sum, zip(*vectors, strict=True)))

    def best_with_evidence(
        self, features: Iterable[str], limit: int = 3
    ) -> tuple[list[float], int, list[str]]:
        """Scores, the best class and the features that pushed most towards it, in one pass."""
        distinct, rows = self._rows(features)
        if not rows:
            totals = [float(b) for b in self.bias]
            return totals, int(np.argmax(self.bias)), []
        block = self.matrix[rows]
        totals_array = self.bias + block.sum(axis=0)
        best = int(np.argmax(totals_array))
        column = block[:, best]
        order = np.argpartition(-column, limit)[:limit] if len(column) > limit else np.arange(len(column))
        evidence = [distinct[i] for i in sorted(order, key=lambda i: -column[i]) if column[i] > 0]
        return [float(t) for t in totals_array], best, evidence

    def top_features(self, features: Iterable[str], class_index: int, limit: int = 3) -> list[str]:
        """Features that pushed most towards ``class_index`` (for explanations)."""
        distinct, rows = self._rows(features)
        if not rows:
            return []
        column = self.matrix[rows, class_index]
        order = np.argsort(-column)[:limit]
        return [distinct[i] for i in order if column[i] > 0]


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
