"""Duplicate fingerprints: a normalized-text hash for exact copies and a MinHash signature for near copies.

Retweets (``RT @x: ...``), cross-posts with different links, and copy-paste campaigns normalize to the same
text (same ``content_hash``). Edited copies (a name or a number changed) keep most of their words: the MinHash
signature (12 minima of independent hashes over the set of longer words) estimates the Jaccard similarity of
two posts' word sets, and two posts at or above :data:`NEAR_SIMILARITY` are near duplicates. For look-up the
signature is cut into four bands of three minima, stored in indexed columns: a post with Jaccard 0.875 (one word
in 16 changed) shares a band with probability 1 - (1 - 0.875**3)**4 = 0.99, one with Jaccard 0.75 0.88, an
unrelated post (Jaccard 0.05) 5e-4; candidates are then verified on the whole signature.

Ingest fingerprints a whole batch with :func:`fingerprint_many`: word hashes come from a bounded cache (words
repeat across posts), and the MinHash of every post in the batch is one numpy expression with a segmented
minimum, so the per-post cost is the tokenizing. The values are exactly those of :func:`fingerprint`.
"""

from __future__ import annotations

import hashlib
import itertools
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

SIGNATURE_SIZE = 12
BANDS = 4  # _bands spells out the 4 bands of 3 values
NEAR_SIMILARITY = 0.75
MIN_EXACT_TOKENS = 3
MIN_NEAR_TOKENS = 6

_PRIME = (1 << 31) - 1
_rng = np.random.default_rng(20261122)  # fixed: stored signatures must stay comparable across runs
_A = _rng.integers(1, _PRIME, size=SIGNATURE_SIZE, dtype=np.int64)
_B = _rng.integers(0, _PRIME, size=SIGNATURE_SIZE, dtype=np.int64)

_RETWEET = re.compile(r"^\s*(?:rt|mt)\s+@[\w.]+:?\s*", re.IGNORECASE)
_VIA = re.compile(r"\s*\b(?:via|h/t|ht)\s+@[\w.]+\s*$", re.IGNORECASE)
_URL = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
_WORD = re.compile(r"\w+", re.UNICODE)


@dataclass(frozen=True, slots=True)
class Fingerprint:
    content_hash: str | None
    signature: str | None
    """MinHash signature: SIGNATURE_SIZE minima as 8-hex-digit groups (96 characters)."""
    bands: tuple[int, int, int, int] | None


def normalize_tokens(text: str) -> list[str]:
    """Words of the text with retweet prefixes, trailing "via @x", links, case and accents removed."""
    if "@" in text:  # both patterns need an @: skip two regex scans on most posts
        text = _RETWEET.sub("", text, count=1)
        text = _VIA.sub("", text)
    text = _URL.sub(" ", text)
    text = text.casefold()
    if not text.isascii():
        text = unicodedata.normalize("NFKD", text)
        if any(map(unicodedata.combining, text)):  # most non-ASCII posts have emoji, not accents
            text = "".join(c for c in text if not unicodedata.combining(c))
    return _WORD.findall(text)


def _hash32(feature: str) -> int:
    return int.from_bytes(hashlib.blake2b(feature.encode(), digest_size=4).digest(), "little")


_WORD_HASHES: dict[str, int] = {}
_WORD_HASHES_MAX = 200_000
"""Bound on the word-hash cache (about 30 MB at the bound); cleared, not evicted, when full."""


def _word_hash(word: str) -> int:
    value = _WORD_HASHES.get(word)
    if value is None:
        if len(_WORD_HASHES) >= _WORD_HASHES_MAX:
            _WORD_HASHES.clear()
        value = _WORD_HASHES[word] = _hash32(word)
    return value


def _distinct_words(tokens: list[str]) -> set[str]:
    """Words of one or two characters ("a", "to", "rt") are left out (unless nothing else is left): they make
    unrelated short posts look alike."""
    return {token for token in tokens if len(token) > 2} or set(tokens)


def minhash(tokens: list[str]) -> list[int]:
    """SIGNATURE_SIZE minima of (a*h + b) mod p over the distinct words' 32-bit hashes."""
    distinct = _distinct_words(tokens)
    hashes = np.fromiter((_word_hash(t) for t in distinct), dtype=np.int64, count=len(distinct))
    values = (hashes[:, None] * _A[None, :] + _B[None, :]) % _PRIME
    return [int(v) for v in values.min(axis=0)]


def _minhash_many(word_sets: Sequence[set[str]]) -> np.ndarray:
    """:func:`minhash` of every (non-empty) word set at once: one (posts x SIGNATURE_SIZE) int64 array."""
    sizes = np.fromiter(map(len, word_sets), dtype=np.int64, count=len(word_sets))
    total = int(sizes.sum())
    cache = _WORD_HASHES
    missing = set().union(*word_sets).difference(cache)
    if len(cache) + len(missing) > _WORD_HASHES_MAX:
        cache.clear()
        missing = set().union(*word_sets)
    for word in missing:
        cache[word] = _hash32(word)
    hashes = np.fromiter(
        map(cache.__getitem__, itertools.chain.from_iterable(word_sets)), dtype=np.int64, count=total
    )
    values = (hashes[:, None] * _A[None, :] + _B[None, :]) % _PRIME
    starts = np.zeros(len(word_sets), dtype=np.int64)
    np.cumsum(sizes[:-1], out=starts[1:])
    result: np.ndarray = np.minimum.reduceat(values, starts, axis=0)
    return result


def encode_signature(values: list[int]) -> str:
    return "".join(f"{value:08x}" for value in values)


def decode_signature(text: str) -> list[int]:
    return [int(text[index : index + 8], 16) for index in range(0, len(text), 8)]


def similarity(left: str, right: str) -> float:
    """Estimated Jaccard similarity of two signatures."""
    return similarity_values(decode_signature(left), decode_signature(right))


def similarity_values(left: Sequence[int], right: Sequence[int]) -> float:
    return sum(1 for x, y in zip(left, right, strict=True) if x == y) / len(left)


def _bands(values: list[int]) -> tuple[int, int, int, int]:
    """Each band: the 31-bit hash of "band:v,v,v" over its SIGNATURE_SIZE // BANDS values."""
    v = values
    return (
        _hash32(f"0:{v[0]},{v[1]},{v[2]}") & 0x7FFFFFFF,
        _hash32(f"1:{v[3]},{v[4]},{v[5]}") & 0x7FFFFFFF,
        _hash32(f"2:{v[6]},{v[7]},{v[8]}") & 0x7FFFFFFF,
        _hash32(f"3:{v[9]},{v[10]},{v[11]}") & 0x7FFFFFFF,
    )


def fingerprint(text: str) -> Fingerprint:
    return fingerprint_many((text,))[0]


_NO_FINGERPRINT = Fingerprint(None, None, None)


def fingerprint_many(texts: Iterable[str]) -> list[Fingerprint]:
    """:func:`fingerprint` of each text, in order; the MinHash signatures of the batch computed together."""
    results: list[Fingerprint] = []
    near: list[tuple[int, str]] = []  # (position in results, content hash) of texts that get a signature
    word_sets: list[set[str]] = []
    for text in texts:
        tokens = normalize_tokens(text)
        if len(tokens) < MIN_EXACT_TOKENS:
            results.append(_NO_FINGERPRINT)
            continue
        content_hash = hashlib.blake2b(" ".join(tokens).encode(), digest_size=8).hexdigest()
        results.append(Fingerprint(content_hash, None, None))
        if len(set(tokens)) >= MIN_NEAR_TOKENS:
            near.append((len(results) - 1, content_hash))
            word_sets.append(_distinct_words(tokens))
    if near:
        matrix = _minhash_many(word_sets)
        for (position, content_hash), row in zip(near, matrix.tolist(), strict=True):
            results[position] = Fingerprint(content_hash, encode_signature(row), _bands(row))
    return results
