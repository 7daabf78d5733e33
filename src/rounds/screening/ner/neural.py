"""``phi.ner.v2``: a small BiLSTM tagger over word embeddings, character CNN features and lexicon features.

Inference is pure numpy; the weights are trained with PyTorch by ``scripts/train_ner_v2.py`` (torch is a training
dependency only, never imported here) and exported to ``rounds/screening/data/ner/bilstm.npz``. The shipped
tagger (:func:`load_tagger`) is :class:`EnsembleTagger`: this BiLSTM and ``phi.ner.v1`` averaged per token.

Everything before the LSTM depends on one token only: its word embedding (distributional vectors learned from
unlabelled tweets, frozen during training), a max-pooled character CNN over its first ``MAX_CHARS`` characters,
and one-hot lexicon features (token kind, capitalisation, gazetteer flags, frequency and capitalisation-ratio
buckets, shared with ``phi.ner.v1``). So the LSTM's input projection of every distinct (word, kind) is computed
once and cached: tagging a batch is one gather per text, then one batched matmul per time step for both directions
together (texts are sorted by length and padded within small groups), then a linear layer and a softmax-free
argmax. Tags are IO (``O``, ``PER``, ``LOC``, ``ORG``), decoded greedily: a token is a name or place when
logsumexp of the ``PER`` and ``LOC`` logits beats the ``O`` logit plus a tuned bias (an organisation when only
``ORG`` does); adjacent tokens with the same tag form one span.
"""

from __future__ import annotations

import json
import logging
import math
import threading
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from rounds.screening.ner.features import FeatureSpace, _caps
from rounds.screening.ner.lexicon import Gaz
from rounds.screening.ner.model import (
    _LABEL_OF_TAG,
    _NEVER_LABELLED,
    EntitySpan,
    NerModelError,
    Tagger,
    load_v1_tagger,
)
from rounds.screening.ner.tokenize import Kind, Token, tokenize

logger = logging.getLogger(__name__)

COMPONENT: Final = "phi.ner.v2"
NEURAL_FEATURE_VERSION: Final = 1
MAX_CHARS: Final = 20
PAD, UNK = 0, 1
SPECIAL_WORDS: Final = ("<pad>", "<unk>", "<user>", "<url>", "<num>")
_CAPS: Final = ("none", "all", "init", "low", "mixed")
_GAZ_FLAGS: Final = (Gaz.FIRST, Gaz.LAST, Gaz.CITY, Gaz.CITY_PART, Gaz.REGION)
N_KINDS: Final = len(Kind)
N_FREQ: Final = 14  # unknown + log2 buckets 0..12
N_CAPR: Final = 6  # unknown + capitalisation-ratio buckets 0..4
DENSE_SIZE: Final = N_KINDS + len(_CAPS) + len(_GAZ_FLAGS) + N_FREQ + N_CAPR
_GROUP: Final = 256  # texts per padded batch in tag_many
_MAX_CACHE_ROWS: Final = 1 << 17
_LN2: Final = math.log(2.0)

FloatArray = npt.NDArray[np.float32]
IntArray = npt.NDArray[np.int64]


def word_key(text: str, kind: int, space: FeatureSpace) -> str:
    """The embedding vocabulary key of a token."""
    if kind == Kind.HANDLE:
        return "<user>"
    if kind == Kind.URL:
        return "<url>"
    if kind == Kind.NUMBER:
        return "<num>"
    return space.lookup_word(text.lower())


def dense_features(text: str, kind: int, space: FeatureSpace) -> FloatArray:
    """One-hot lexicon features of a token (DENSE_SIZE floats)."""
    out = np.zeros(DENSE_SIZE, dtype=np.float32)
    out[kind] = 1.0
    pos = N_KINDS
    if kind in (Kind.URL, Kind.HANDLE, Kind.NUMBER):
        return out
    out[pos + _CAPS.index(_caps(text))] = 1.0
    pos += len(_CAPS)
    key = space.lookup_word(text.lower())
    flags = space.gazetteer.get(key, 0)
    for j, flag in enumerate(_GAZ_FLAGS):
        if flags & flag:
            out[pos + j] = 1.0
    pos += len(_GAZ_FLAGS)
    freq = space.stats.freq.get(key)
    out[pos + (0 if freq is None else 1 + min(freq, 12))] = 1.0
    pos += N_FREQ
    ratio = space.stats.caps.get(key)
    out[pos + (0 if ratio is None else 1 + min(ratio, 4))] = 1.0
    return out


def char_ids(text: str, chars: dict[str, int]) -> list[int]:
    """Character ids of a token's first MAX_CHARS characters, padded with PAD to MAX_CHARS."""
    ids = [chars.get(ch, UNK) for ch in text[:MAX_CHARS]]
    return ids + [PAD] * (MAX_CHARS - len(ids))


@dataclass(frozen=True, slots=True)
class BiLstmWeights:
    words: list[str]
    chars: list[str]
    embedding: FloatArray  # (V, E); row PAD and UNK are zero
    char_embedding: FloatArray  # (C, Ce); row PAD is zero
    conv_w: FloatArray  # (F, Ce, K)
    conv_b: FloatArray  # (F,)
    w_ih: FloatArray  # (2, 4H, E + F + DENSE_SIZE): forward, backward; gate order i, f, g, o (torch)
    b: FloatArray  # (2, 4H): b_ih + b_hh
    w_hh: FloatArray  # (2, 4H, H)
    out_w: FloatArray  # (T, 2H)
    out_b: FloatArray  # (T,)
    o_bias: float
    score_scale: float
    meta: dict[str, Any]

    def save(self, path: Path) -> None:
        np.savez_compressed(
            path,
            words=np.array("\n".join(self.words)),
            chars=np.array("".join(self.chars[2:])),
            embedding=self.embedding.astype(np.float16),
            char_embedding=self.char_embedding.astype(np.float16),
            conv_w=self.conv_w.astype(np.float32),
            conv_b=self.conv_b.astype(np.float32),
            w_ih=self.w_ih.astype(np.float32),
            b=self.b.astype(np.float32),
            w_hh=self.w_hh.astype(np.float32),
            out_w=self.out_w.astype(np.float32),
            out_b=self.out_b.astype(np.float32),
            o_bias=np.float32(self.o_bias),
            score_scale=np.float32(self.score_scale),
            meta=np.array(json.dumps(self.meta, sort_keys=True)),
        )

    @classmethod
    def read(cls, path: Path) -> BiLstmWeights:
        with np.load(path, allow_pickle=False) as data:
            return cls(
                words=str(data["words"]).split("\n"),
                chars=["<pad>", "<unk>", *str(data["chars"])],
                embedding=data["embedding"].astype(np.float32),
                char_embedding=data["char_embedding"].astype(np.float32),
                conv_w=data["conv_w"].astype(np.float32),
                conv_b=data["conv_b"].astype(np.float32),
                w_ih=data["w_ih"].astype(np.float32),
                b=data["b"].astype(np.float32),
                w_hh=data["w_hh"].astype(np.float32),
                out_w=data["out_w"].astype(np.float32),
                out_b=data["out_b"].astype(np.float32),
                o_bias=float(data["o_bias"]),
                score_scale=float(data["score_scale"]),
                meta=json.loads(str(data["meta"])),
            )


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-max(min(x, 30.0), -30.0)))


class BiLstmTagger:
    """Tags names (``NAME``), places (``LOCATION``) and organisations (``ORG``) in short informal text."""

    component: str = COMPONENT + ".bilstm"

    def __init__(self, weights: BiLstmWeights, space: FeatureSpace) -> None:
        self._weights = weights
        self._space = space
        self._word_index = {w: i for i, w in enumerate(weights.words)}
        self._char_index = {c: i for i, c in enumerate(weights.chars)}
        hidden = weights.w_hh.shape[2]
        self._hidden = hidden
        # Pre-scale the sigmoid gates (i, f, o) by 1/2: then one tanh serves all four gates per step, as
        # sigmoid(x) = (1 + tanh(x / 2)) / 2.
        scale = np.full(4 * hidden, 0.5, dtype=np.float32)
        scale[2 * hidden : 3 * hidden] = 1.0
        self._gate_scale = scale
        self._w_ih = weights.w_ih * scale[None, :, None]
        self._b = weights.b * scale[None, :]
        self._w_hh_t = np.ascontiguousarray((weights.w_hh * scale[None, :, None]).transpose(0, 2, 1))
        self._out_f = np.ascontiguousarray(weights.out_w[:, :hidden].T)
        self._out_b = np.ascontiguousarray(weights.out_w[:, hidden:].T)
        self._out_bias = weights.out_b.copy()
        self._out_bias[0] += np.float32(weights.o_bias)
        self._scale = weights.score_scale if weights.score_scale > 0 else 1.0
        self._conv_k = weights.conv_w.shape[2]
        # (K * Ce, F) for the convolution as one matmul over unfolded character windows
        self._conv_mat = np.ascontiguousarray(
            weights.conv_w.transpose(2, 1, 0).reshape(-1, weights.conv_w.shape[0])
        )
        self._lock = threading.Lock()
        self._rows: dict[tuple[str, int], int] = {}
        self._table = np.zeros((4096, 2, 4 * hidden), dtype=np.float32)
        self._generation = 0
        self._reset_cache()

    @property
    def meta(self) -> dict[str, Any]:
        return dict(self._weights.meta)

    def _reset_cache(self) -> None:
        self._generation += 1
        self._rows = {}

    # ------------------------------------------------------------------ per-word input projections (cached)

    def inputs(self, words: list[tuple[str, int]]) -> FloatArray:
        """LSTM input vectors (len(words), E + F + DENSE_SIZE) of (text, kind) pairs."""
        w = self._weights
        space = self._space
        n = len(words)
        emb = w.embedding[[self._word_index.get(word_key(t, k, space), UNK) for t, k in words]]
        ids = np.array([char_ids(t, self._char_index) for t, _ in words], dtype=np.int64)
        chars = w.char_embedding[ids]  # (n, L, Ce)
        half = self._conv_k // 2
        padded = np.zeros((n, MAX_CHARS + 2 * half, chars.shape[2]), dtype=np.float32)
        padded[:, half : half + MAX_CHARS] = chars
        windows = np.concatenate([padded[:, j : j + MAX_CHARS] for j in range(self._conv_k)], axis=2)
        conv = np.maximum(windows @ self._conv_mat + w.conv_b, 0.0).max(axis=1)  # (n, F)
        dense = np.stack([dense_features(t, k, space) for t, k in words]) if n else np.zeros((0, DENSE_SIZE))
        return np.concatenate([emb, conv, dense.astype(np.float32)], axis=1).astype(np.float32)

    def _rows_for(self, words: list[tuple[str, int]]) -> list[int]:
        get = self._rows.get
        found = [get(w) for w in words]
        if all(r is not None for r in found):
            return [r for r in found if r is not None]
        with self._lock:
            if len(self._rows) + len(words) > _MAX_CACHE_ROWS:
                self._reset_cache()
            missing = list(dict.fromkeys(w for w in words if w not in self._rows))
            if missing:
                x = self.inputs(missing)
                proj = np.einsum("dgi,ni->ndg", self._w_ih, x) + self._b[None]
                first = len(self._rows)
                need = first + len(missing)
                if need > self._table.shape[0]:
                    size = self._table.shape[0]
                    while size < need:
                        size *= 2
                    grown = np.zeros((size, *self._table.shape[1:]), dtype=np.float32)
                    grown[:first] = self._table[:first]
                    self._table = grown
                self._table[first:need] = proj
                for j, word in enumerate(missing):
                    self._rows[word] = first + j
            rows = self._rows
            return [rows[w] for w in words]

    # ------------------------------------------------------------------ the LSTM over a padded group of texts

    def _logits_group(self, group: list[list[Token]]) -> list[FloatArray]:
        lengths = [len(tokens) for tokens in group]
        longest = max(lengths)
        count = len(group)
        hidden = self._hidden
        fwd = np.zeros((count, longest), dtype=np.int64)
        bwd = np.zeros((count, longest), dtype=np.int64)
        valid = np.zeros((count, longest), dtype=np.bool_)
        for b, tokens in enumerate(group):
            rows = self._rows_for([(t.text, t.kind) for t in tokens])
            n = len(rows)
            fwd[b, :n] = rows
            bwd[b, :n] = rows[::-1]
            valid[b, :n] = True
        table = self._table
        # (2, T, B, 4H): direction, time step, text, gates; the backward direction runs over reversed texts
        inputs = np.stack([table[fwd.T, 0], table[bwd.T, 1]])
        w_hh_t = self._w_hh_t
        h = np.zeros((2, count, hidden), dtype=np.float32)
        c = np.zeros((2, count, hidden), dtype=np.float32)
        outputs = np.empty((2, longest, count, hidden), dtype=np.float32)
        h2, h3 = 2 * hidden, 3 * hidden
        for t in range(longest):
            z = np.tanh(inputs[:, t] + np.matmul(h, w_hh_t))
            sig = z * 0.5 + 0.5
            c = sig[..., hidden:h2] * c + sig[..., :hidden] * z[..., h2:h3]
            h = sig[..., h3:] * np.tanh(c)
            outputs[:, t] = h
        forward = outputs[0] @ self._out_f  # (T, B, tags)
        backward = outputs[1] @ self._out_b
        out: list[FloatArray] = []
        for b, n in enumerate(lengths):
            out.append(forward[:n, b] + backward[n - 1 :: -1, b] + self._out_bias if n else forward[:0, b])
        return out

    def logits_many(self, token_lists: list[list[Token]]) -> list[FloatArray]:
        """Per text, per token logits (n, len(TAGS)), the O bias included."""
        result: list[FloatArray] = [np.zeros((0, 4), dtype=np.float32)] * len(token_lists)
        order = sorted(
            (i for i, tokens in enumerate(token_lists) if tokens), key=lambda i: len(token_lists[i])
        )
        for start in range(0, len(order), _GROUP):
            chunk = order[start : start + _GROUP]
            while True:
                generation = self._generation
                logits = self._logits_group([token_lists[i] for i in chunk])
                if generation == self._generation:
                    break  # the cache was not cleared half-way through this group
            for i, value in zip(chunk, logits, strict=True):
                result[i] = value
        return result

    # ------------------------------------------------------------------ decoding

    def spans(self, tokens: list[Token], logits: FloatArray, bias: float = 0.0) -> list[EntitySpan]:
        """Entity spans from per-token ``logits``; ``bias`` is added to the O logit (on top of the shipped one)."""
        if not tokens:
            return []
        # Names and places first: their margin is logsumexp(PER, LOC) - O, so a token the model splits between
        # the two still counts; ORG only where neither name nor place beats O (BTC's LOC/ORG confusions such as
        # a city's football club would otherwise hide places from screening).
        top = logits[:, 1:].max(axis=1) - logits[:, 0]
        if float(top.max()) + _LN2 <= bias:  # logsumexp of two exceeds their max by at most ln 2
            return []
        nl = np.logaddexp(logits[:, 1], logits[:, 2])
        margin = nl - logits[:, 0] - np.float32(bias)
        best = np.where(logits[:, 2] > logits[:, 1], 1, 0)
        org = logits[:, 3] - logits[:, 0] - np.float32(bias)
        use_org = (margin <= 0) & (org > 0)
        best = np.where(use_org, 2, best)
        margin = np.where(use_org, org, margin)
        hits = np.flatnonzero(margin > 0).tolist()
        if not hits:
            return []
        tags = [0] * len(tokens)
        for i in hits:
            if tokens[i].kind not in _NEVER_LABELLED:
                tags[i] = int(best[i]) + 1
        # An abbreviation dot between two tokens of one entity belongs to it ("Dr. Sally Horne", "St. Louis",
        # "J. Smith"): without this, "Dr" becomes a span of its own.
        for i in range(1, len(tokens) - 1):
            if tags[i] == 0 and tags[i - 1] != 0 and tags[i - 1] == tags[i + 1] and tokens[i].text == ".":
                tags[i] = tags[i - 1]
        spans: list[EntitySpan] = []
        i, n = 0, len(tokens)
        while i < n:
            tag = tags[i]
            if tag == 0:
                i += 1
                continue
            j = i
            while j + 1 < n and tags[j + 1] == tag:
                j += 1
            gain = float(np.mean(margin[i : j + 1]))
            # the score is rounded: a batched matmul may differ from a single text's in the 8th digit
            spans.append(
                EntitySpan(
                    tokens[i].start, tokens[j].end, _LABEL_OF_TAG[tag], round(_sigmoid(gain / self._scale), 4)
                )
            )
            i = j + 1
        return spans

    def tag(self, text: str) -> list[EntitySpan]:
        """Names, places and organisations in ``text``, as character offsets into it."""
        tokens = tokenize(text)
        if not tokens:
            return []
        return self.spans(tokens, self.logits_many([tokens])[0])

    def tag_many(self, texts: list[str]) -> list[list[EntitySpan]]:
        token_lists = [tokenize(text) for text in texts]
        logits = self.logits_many(token_lists)
        return [self.spans(tokens, value) for tokens, value in zip(token_lists, logits, strict=True)]


def build_bilstm_tagger(weights: BiLstmWeights, space: FeatureSpace) -> BiLstmTagger:
    if weights.meta.get("feature_version") != NEURAL_FEATURE_VERSION:
        raise NerModelError(
            "The name tagger's weights were trained for another feature version.",
            hint="Retrain with scripts/train_ner_v2.py.",
        )
    return BiLstmTagger(weights, space)


class EnsembleTagger:
    """``phi.ner.v1`` and the BiLSTM together: per token, a weighted mean of their margins over ``O``.

    Each model's per-tag margins (entity score minus ``O`` score, shipped biases included) are made comparable by
    rescaling v1's to the BiLSTM's logit scale (ratio of their median absolute margins on the dev tweets), then
    averaged with weight ``weight`` on v1; the result is decoded like the BiLSTM's logits (with ``bias`` added to
    ``O``). Both models see the same tokens.
    """

    component: str = COMPONENT

    def __init__(
        self, v1: Tagger, v2: BiLstmTagger, weight: float, v1_scale: float, v2_scale: float, bias: float
    ) -> None:
        self.v1 = v1
        self.v2 = v2
        # v1's margins are brought to the BiLSTM's logit scale (the decoder's logsumexp is not scale-free)
        self._a = np.float32(weight * v2_scale / v1_scale)
        self._b = np.float32(1.0 - weight)
        self._bias = bias

    @property
    def meta(self) -> dict[str, Any]:
        return self.v2.meta

    def combined(self, token_lists: list[list[Token]], extra_bias: float = 0.0) -> list[list[EntitySpan]]:
        logits = self.v2.logits_many(token_lists)
        out: list[list[EntitySpan]] = []
        for tokens, l2 in zip(token_lists, logits, strict=True):
            if not tokens:
                out.append([])
                continue
            s1 = self.v1.emissions(tokens)
            mixed = self._a * (s1 - s1[:, :1]) + self._b * (l2 - l2[:, :1])
            out.append(self.v2.spans(tokens, mixed, self._bias + extra_bias))
        return out

    def tag(self, text: str) -> list[EntitySpan]:
        return self.combined([tokenize(text)])[0]

    def tag_many(self, texts: list[str]) -> list[list[EntitySpan]]:
        return self.combined([tokenize(text) for text in texts])


def bilstm_path() -> Path:
    return Path(str(resources.files("rounds.screening") / "data" / "ner" / "bilstm.npz"))


def build_ensemble(v1: Tagger, weights: BiLstmWeights) -> EnsembleTagger:
    settings = weights.meta.get("ensemble")
    if not isinstance(settings, dict):
        raise NerModelError(
            "The name tagger's weights carry no ensemble settings.",
            hint="Rerun scripts/train_ner_v2.py (or its --ensemble-only step).",
        )
    v2 = build_bilstm_tagger(weights, v1._space)
    return EnsembleTagger(
        v1,
        v2,
        float(settings["weight"]),
        float(settings["v1_scale"]),
        float(settings["v2_scale"]),
        float(settings["bias"]),
    )


_LOADED: dict[str, EnsembleTagger] = {}
_LOAD_LOCK = threading.Lock()


def load_tagger() -> EnsembleTagger:
    """The shipped tagger (``phi.ner.v2``), loaded once per process, offline (files from the installed package)."""
    with _LOAD_LOCK:
        tagger = _LOADED.get(COMPONENT)
        if tagger is None:
            path = bilstm_path()
            if not path.exists():
                raise NerModelError(
                    "The name tagger's weights are missing from the installed package.",
                    hint="Reinstall Rounds, or run scripts/train_ner_v2.py to rebuild them.",
                )
            tagger = build_ensemble(load_v1_tagger(), BiLstmWeights.read(path))
            _LOADED[COMPONENT] = tagger
            logger.info("loaded %s (%s)", COMPONENT, path.name)
        return tagger
