"""Token features, hashed into a fixed-size weight table.

Every feature depends on *one* token and its offset (-2..+2) from the token being tagged. That restriction is what
makes the tagger fast: the weights a given word contributes at each offset are summed once and cached per distinct
(word, kind), so tagging a text is a few numpy gathers over cached rows, whatever the number of features.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt

from rounds.screening.ner.lexicon import Gaz, WordStats
from rounds.screening.ner.tokenize import Kind

FEATURE_VERSION: Final = 1
OFFSETS: Final = (-2, -1, 0, 1, 2)
WINDOW: Final = len(OFFSETS)
BOS: Final = ("<s>", -1)
EOS: Final = ("</s>", -2)

_LETTERISH: Final = frozenset(
    {Kind.WORD, Kind.HASHTAG_FIRST, Kind.HASHTAG_PART, Kind.SPACED, Kind.ALNUM, Kind.PUNCT}
)
_GAZ_NAMES: Final = tuple((flag, str(flag.name)) for flag in Gaz if flag is not Gaz.NONE)
_LEET: Final = str.maketrans("013457@$", "oieastas")

IdArray = npt.NDArray[np.int64]


def _shape(text: str) -> str:
    out: list[str] = []
    for ch in text[:12]:
        if ch.isupper():
            c = "X"
        elif ch.islower():
            c = "x"
        elif ch.isdigit():
            c = "d"
        else:
            c = ch if ch in "'-.&" else "o"
        if not out or out[-1] != c:
            out.append(c)
    return "".join(out)


def _caps(text: str) -> str:
    letters = [ch for ch in text if ch.isalpha()]
    if not letters:
        return "none"
    if all(ch.isupper() for ch in letters):
        return "all" if len(letters) > 1 else "init"
    if letters[0].isupper() and all(ch.islower() for ch in letters[1:]):
        return "init"
    if all(ch.islower() for ch in letters):
        return "low"
    return "init" if letters[0].isupper() else "mixed"


@dataclass(frozen=True, slots=True)
class FeatureSpace:
    """Turns a (token text, kind) into hashed feature ids, one array per offset."""

    bits: int
    gazetteer: dict[str, int]
    stats: WordStats

    @property
    def size(self) -> int:
        return 1 << self.bits

    def lookup_word(self, low: str) -> str:
        """The key under which ``low`` is looked up in the lexicons (digits and symbols read as letters)."""
        if low in self.gazetteer or low in self.stats.freq or low.isalpha():
            return low
        return low.translate(_LEET)

    def describe(self, text: str, kind: int) -> tuple[list[str], list[str], list[str]]:
        """Feature strings of a token: as the tagged token, as a direct neighbour, as a distant neighbour."""
        if kind < 0:  # sentence boundary padding
            marker = "w=" + text
            return [marker], [marker], [marker]
        low = text.lower()
        caps = _caps(text)
        k = "k=" + Kind(kind).name
        if kind == Kind.URL or kind == Kind.HANDLE or kind == Kind.NUMBER:
            return ["b", k], [k], [k]
        shape = "sh=" + _shape(text)
        word = "w=" + low
        key = self.lookup_word(low)
        gaz = Gaz(self.gazetteer.get(key, 0))
        freq = self.stats.freq.get(key)
        cap_ratio = self.stats.caps.get(key)
        f = "f=" + ("unk" if freq is None else str(freq))
        r = "r=" + ("unk" if cap_ratio is None else str(cap_ratio))
        c = "c=" + caps
        own = [
            "b",
            word,
            k,
            shape,
            c,
            c + "|" + k,
            f,
            r,
            f + "|" + c,
            r + "|" + c,
            "l=" + str(min(len(low), 9)),
        ]
        near = [word, k, c, f, shape, r + "|" + c]
        far = [word, k, c]
        # Word-cluster features exist only when the statistics carry clusters (scripts/train_ner.py --clusters);
        # without them the features, and so the shipped v1 weights, are exactly those of phi.ner.v1.
        clusters = self.stats.clusters.get(key) if self.stats.clusters else ()
        if clusters is None:
            own.append("cl=unk|" + c)
            near.append("cl=unk")
        elif clusters:
            for level, cluster in enumerate(clusters):
                feat = f"cl{level}={cluster}"
                own.extend((feat, feat + "|" + c))
                near.append(feat)
                if level == 0:
                    far.append(feat)
        if kind in _LETTERISH:
            for n in (1, 2, 3):
                if len(low) > n:
                    own.append(f"p{n}={low[:n]}")
            for n in (1, 2, 3, 4):
                if len(low) > n:
                    own.append(f"s{n}={low[-n:]}")
        if gaz:
            names = [name for flag, name in _GAZ_NAMES if gaz & flag]
            for name in names:
                own.extend(("g=" + name, "g=" + name + "|" + c, "g=" + name + "|" + f))
                near.append("g=" + name)
            combo = "G=" + "+".join(names)
            own.extend((combo, combo + "|" + c))
        else:
            own.append("g0|" + c)
        return own, near, far

    def hash(self, offset: int, features: list[str]) -> IdArray:
        mask = self.size - 1
        prefix = f"{offset}:"
        return np.fromiter(
            (zlib.crc32((prefix + feat).encode("utf-8")) & mask for feat in features),
            dtype=np.int64,
            count=len(features),
        )

    def word_ids(self, text: str, kind: int) -> list[IdArray]:
        """Feature ids this token contributes when it sits at each offset of OFFSETS from the tagged token.

        Index ``j`` of the result is for offset ``OFFSETS[j]``: the token is ``OFFSETS[j]`` positions *after* the
        tagged one.
        """
        own, near, far = self.describe(text, kind)
        return [
            self.hash(-2, far),
            self.hash(-1, near),
            self.hash(0, own),
            self.hash(1, near),
            self.hash(2, far),
        ]
