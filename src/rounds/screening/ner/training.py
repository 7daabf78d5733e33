"""Training: an averaged structured perceptron over the tagger's hashed window features.

Used by ``scripts/train_ner.py`` (the reproducible entry point) and by the unit tests, which train a tiny model
on a handful of sentences. Pure numpy; deterministic for a given seed.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from rounds.screening.ner.features import BOS, EOS, WINDOW, FeatureSpace, IdArray
from rounds.screening.ner.model import _NEVER_LABELLED, TAGS, FloatArray, viterbi
from rounds.screening.ner.tokenize import Token, tokenize

logger = logging.getLogger(__name__)

TAG_INDEX = {tag: i for i, tag in enumerate(TAGS)}
_NEG = np.float32(-1e9)


@dataclass(frozen=True, slots=True)
class Example:
    """A text with labelled character spans ``(start, end, tag index)``."""

    text: str
    spans: tuple[tuple[int, int, int], ...]


def read_conll(path: Path) -> list[list[tuple[str, str]]]:
    """Sentences of (token, BIO tag) from a two-column CoNLL file; blank lines separate sentences."""
    sentences: list[list[tuple[str, str]]] = []
    current: list[tuple[str, str]] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            if current:
                sentences.append(current)
            current = []
            continue
        token, _, tag = line.rpartition("\t")
        current.append((token, tag.strip()))
    if current:
        sentences.append(current)
    return sentences


def chunks(tags: Sequence[str]) -> list[tuple[int, int, str]]:
    """BIO tags -> (first token, last token + 1, type); a stray I- starts a chunk."""
    out: list[tuple[int, int, str]] = []
    start, kind = -1, ""
    for i, tag in enumerate([*tags, "O"]):
        prefix, _, label = tag.partition("-")
        continuing = prefix == "I" and label == kind and start >= 0
        if start >= 0 and not continuing:
            out.append((start, i, kind))
            start, kind = -1, ""
        if prefix in ("B", "I") and not continuing:
            start, kind = i, label
    return out


def example_from_tokens(tokens: Sequence[str], tags: Sequence[str]) -> Example:
    """Join tokens with single spaces (the corpus's own tokenisation) and turn BIO chunks into char spans."""
    starts: list[int] = []
    pos = 0
    for token in tokens:
        starts.append(pos)
        pos += len(token) + 1
    spans = []
    for first, last, kind in chunks(tags):
        if kind in TAG_INDEX:
            spans.append((starts[first], starts[last - 1] + len(tokens[last - 1]), TAG_INDEX[kind]))
    return Example(" ".join(tokens), tuple(spans))


def token_labels(tokens: Sequence[Token], spans: Iterable[tuple[int, int, int]]) -> npt.NDArray[np.int64]:
    labels = np.zeros(len(tokens), dtype=np.int64)
    span_list = list(spans)
    for i, tok in enumerate(tokens):
        if tok.kind in _NEVER_LABELLED:
            continue
        for start, end, tag in span_list:
            if tok.start < end and start < tok.end:
                labels[i] = tag
                break
    return labels


@dataclass(frozen=True, slots=True)
class Featurized:
    ids: IdArray  # all feature ids of all tokens, token after token
    starts: IdArray  # start of each token's ids in ``ids``
    labels: npt.NDArray[np.int64]
    blocked: npt.NDArray[np.bool_]  # tokens that may only be O


class Featurizer:
    def __init__(self, space: FeatureSpace) -> None:
        self.space = space
        self._cache: dict[tuple[str, int], list[IdArray]] = {}

    def _word(self, text: str, kind: int) -> list[IdArray]:
        key = (text, kind)
        ids = self._cache.get(key)
        if ids is None:
            ids = self.space.word_ids(text, kind)
            self._cache[key] = ids
        return ids

    def __call__(self, example: Example) -> Featurized | None:
        tokens = tokenize(example.text)
        if not tokens:
            return None
        words = [self._word(*BOS), self._word(*BOS)]
        words += [self._word(t.text, t.kind) for t in tokens]
        words += [self._word(*EOS), self._word(*EOS)]
        per_token = [np.concatenate([words[i + j][j] for j in range(WINDOW)]) for i in range(len(tokens))]
        lengths = np.array([len(a) for a in per_token], dtype=np.int64)
        starts = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64)
        return Featurized(
            ids=np.concatenate(per_token),
            starts=starts,
            labels=token_labels(tokens, example.spans),
            blocked=np.array([t.kind in _NEVER_LABELLED for t in tokens], dtype=np.bool_),
        )


def emissions(weights: FloatArray, item: Featurized) -> FloatArray:
    scores: FloatArray = np.add.reduceat(weights[item.ids], item.starts, axis=0)
    scores[item.blocked, 1:] = _NEG
    return scores


class Perceptron:
    """Averaged structured perceptron (Collins 2002) with lazy averaging."""

    def __init__(self, size: int, n_tags: int = len(TAGS)) -> None:
        self.w = np.zeros((size, n_tags), dtype=np.float32)
        self.w_acc = np.zeros((size, n_tags), dtype=np.float64)
        self.t = np.zeros((n_tags + 1, n_tags), dtype=np.float32)
        self.t_acc = np.zeros((n_tags + 1, n_tags), dtype=np.float64)
        self.steps = 1

    def _update(self, item: Featurized, gold: Sequence[int], pred: Sequence[int]) -> None:
        ends = np.append(item.starts[1:], len(item.ids))
        for i, (good, bad) in enumerate(zip(gold, pred, strict=True)):
            if good == bad:
                continue  # the two updates would cancel out
            ids = item.ids[item.starts[i] : ends[i]]
            for tag, sign in ((good, 1.0), (bad, -1.0)):
                np.add.at(self.w[:, tag], ids, sign)
                np.add.at(self.w_acc[:, tag], ids, sign * self.steps)
        for path, sign in ((gold, 1.0), (pred, -1.0)):
            prev = len(TAGS)
            for tag in path:
                self.t[prev, tag] += sign
                self.t_acc[prev, tag] += sign * self.steps
                prev = tag

    def learn(self, item: Featurized) -> bool:
        scores = emissions(self.w, item)
        pred = viterbi(scores, self.t)
        gold = [int(x) for x in item.labels]
        mistake = pred != gold
        if mistake:
            self._update(item, gold, pred)
        self.steps += 1
        return mistake

    def averaged(self) -> tuple[FloatArray, FloatArray]:
        w = (self.w - self.w_acc / self.steps).astype(np.float32)
        t = (self.t - self.t_acc / self.steps).astype(np.float32)
        return w, t


def train(
    data: Sequence[Featurized], size: int, epochs: int, seed: int
) -> tuple[FloatArray, FloatArray, list[float]]:
    """Train for ``epochs`` passes in a seeded random order; returns averaged weights and per-epoch error rates."""
    model = Perceptron(size)
    order = list(range(len(data)))
    rng = random.Random(seed)
    errors: list[float] = []
    for epoch in range(epochs):
        rng.shuffle(order)
        wrong = sum(model.learn(data[i]) for i in order)
        errors.append(wrong / max(len(data), 1))
        logger.info("epoch %d: %.3f of texts mis-tagged", epoch + 1, errors[-1])
    w, t = model.averaged()
    return w, t, errors
