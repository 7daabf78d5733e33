"""Duplicate fingerprints: a normalized-text hash for exact copies and a MinHash signature for near copies.

Retweets (``RT @x: ...``), cross-posts with different links, and copy-paste campaigns normalize to the same
text (same ``content_hash``). Edited copies (a name or a number changed) keep most of their words: the MinHash
signature (12 minima of independent hashes over the set of longer words) estimates the Jaccard similarity of
two posts' word sets, and two posts at or above :data:`NEAR_SIMILARITY` are near duplicates. For look-up the
signature is cut into four bands of three minima, stored in indexed columns: a post with Jaccard 0.875 (one word
in 16 changed) shares a band with probability 1 - (1 - 0.875**3)**4 = 0.99, one with Jaccard 0.75 0.88, an
unrelated post (Jaccard 0.05) 5e-4; candidates are then verified on the whole signature.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

SIGNATURE_SIZE = 12
BANDS = 4
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
    text = _RETWEET.sub("", text, count=1)
    text = _VIA.sub("", text)
    text = _URL.sub(" ", text)
    text = text.casefold()
    if not text.isascii():
        text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return _WORD.findall(text)


def _hash32(feature: str) -> int:
    return int.from_bytes(hashlib.blake2b(feature.encode(), digest_size=4).digest(), "little")


def minhash(tokens: list[str]) -> list[int]:
    """SIGNATURE_SIZE minima of (a*h + b) mod p over the distinct words' 32-bit hashes. Words of one or two
    characters ("a", "to", "rt") are left out: they make unrelated short posts look alike."""
    distinct = {token for token in tokens if len(token) > 2} or set(tokens)
    hashes = np.fromiter((_hash32(t) for t in distinct), dtype=np.int64, count=len(distinct))
    values = (hashes[:, None] * _A[None, :] + _B[None, :]) % _PRIME
    return [int(v) for v in values.min(axis=0)]


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
    rows = SIGNATURE_SIZE // BANDS
    out = []
    for band in range(BANDS):
        chunk = ",".join(str(v) for v in values[band * rows : (band + 1) * rows])
        out.append(_hash32(f"{band}:{chunk}") & 0x7FFFFFFF)
    return (out[0], out[1], out[2], out[3])


def fingerprint(text: str) -> Fingerprint:
    tokens = normalize_tokens(text)
    if len(tokens) < MIN_EXACT_TOKENS:
        return Fingerprint(None, None, None)
    content_hash = hashlib.blake2b(" ".join(tokens).encode(), digest_size=8).hexdigest()
    if len(set(tokens)) < MIN_NEAR_TOKENS:
        return Fingerprint(content_hash, None, None)
    values = minhash(tokens)
    return Fingerprint(content_hash, encode_signature(values), _bands(values))
