"""Text preparation, done once per text and shared by every recognizer.

``prepare`` folds the text for matching: invisible format characters (zero-width joiners, bidi marks) and
letter-splitting emoji or dots between single letters are dropped, look-alike letters (Cyrillic, Greek,
full-width) become their Latin letters, and letters spaced one by one ("j o h n") are joined. Recognizers run
on the folded string; :meth:`Prepared.span` maps a folded span back to the caller's offsets.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass, field

from rounds.screening.gate import number_starts, scan

# Look-alike letters seen in obfuscated names. Cyrillic and Greek capitals/lower-case that render as Latin.
_CONFUSABLES = {
    "а": "a",
    "в": "b",
    "е": "e",
    "к": "k",
    "м": "m",
    "н": "h",
    "о": "o",
    "р": "p",
    "с": "c",
    "т": "t",
    "у": "y",
    "х": "x",
    "і": "i",
    "ј": "j",
    "ѕ": "s",
    "ԁ": "d",
    "ɡ": "g",
    "ӏ": "l",
    "А": "A",
    "В": "B",
    "Е": "E",
    "К": "K",
    "М": "M",
    "Н": "H",
    "О": "O",
    "Р": "P",
    "С": "C",
    "Т": "T",
    "У": "Y",
    "Х": "X",
    "І": "I",
    "Ј": "J",
    "Ѕ": "S",
    "α": "a",
    "ο": "o",
    "ρ": "p",
    "ν": "v",
    "τ": "t",
    "ι": "i",
    "κ": "k",
    "Α": "A",
    "Β": "B",
    "Ε": "E",
    "Ζ": "Z",
    "Η": "H",
    "Ι": "I",
    "Κ": "K",
    "Μ": "M",
    "Ν": "N",
    "Ο": "O",
    "Ρ": "P",
    "Τ": "T",
    "Υ": "Y",
    "Χ": "X",
    "ı": "i",  # dotless i and long s: regex IGNORECASE reads them as i and s, so fold them before the cue gate
    "ſ": "s",
    "‘": "'",
    "’": "'",
    "ʼ": "'",
    "“": '"',
    "”": '"',
    "‐": "-",
    "‑": "-",
    "‒": "-",
    "–": "-",
    "—": "-",
    "\u00a0": " ",
    "\u2007": " ",
    "\u202f": " ",
    "\u3000": " ",
}

# Runs of single letters separated by one space, dot, dash, underscore or a symbol: "j o h n", "J.O.H.N".
_SPACED = re.compile(r"(?<![\w])(?:[^\W\d_][ ._\-*·•]){2,}[^\W\d_](?![\w])")

_NON_ASCII = re.compile(r"[^\x00-\x7f]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")

_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*", re.UNICODE)


@dataclass(slots=True)
class Token:
    start: int
    end: int
    text: str
    lower: str


@dataclass(slots=True)
class Prepared:
    """The caller's text, its folded form and the offset map between them."""

    original: str
    folded: str
    # folded index -> original index; None when the two strings are identical in length and position.
    index: list[int] | None
    lower: str = ""
    tokens: list[Token] = field(default_factory=list)
    # Bit mask of the cue-gated patterns that may match the folded text (rounds.screening.gate).
    cues: int = -1
    # Where each run of digits in the folded text starts (rounds.screening.gate.number_starts); None: not known.
    starts: list[int] | None = None

    def span(self, start: int, end: int) -> tuple[int, int]:
        """Map a folded span to the original text."""
        if self.index is None:
            return start, end
        if end <= start:
            position = self.index[start] if start < len(self.index) else len(self.original)
            return position, position
        return self.index[start], self.index[end - 1] + 1


def _fold_char(char: str) -> str | None:
    """A replacement for one character, '' to drop it, or None to keep it."""
    mapped = _CONFUSABLES.get(char)
    if mapped is not None:
        return mapped
    category = unicodedata.category(char)
    if category == "Cf" or (category == "Cc" and char not in "\n\t\r"):
        return ""
    if category == "Cc":
        return " "
    if category == "Mn":
        # Combining marks stay (accents on names); variation selectors and enclosing marks go.
        return "" if 0xFE00 <= ord(char) <= 0xFE0F else None
    if category in ("Lu", "Ll", "Nd") and not ("a" <= char.lower() <= "z"):
        decomposed = unicodedata.normalize("NFKC", char)
        if len(decomposed) == 1 and decomposed.isascii():
            return decomposed
    return None


@functools.lru_cache(maxsize=4096)
def _fold_cached(char: str) -> str | None:
    return _fold_char(char)


def prepare(text: str) -> Prepared:
    """Fold ``text`` for matching and tokenize it once."""
    if not _has_control(text) and (
        text.isascii() or all(_fold_cached(char) is None for char in set(_NON_ASCII.findall(text)))
    ):
        folded, index = text, None
    else:
        pieces: list[str] = []
        positions: list[int] = []
        changed = False
        for position, char in enumerate(text):
            if char.isascii() and (char >= " " or char in "\n\t\r"):
                pieces.append(char)
                positions.append(position)
                continue
            replacement = _fold_cached(char)
            if replacement is None:
                pieces.append(char)
                positions.append(position)
                continue
            changed = True
            for piece in replacement:
                pieces.append(piece)
                positions.append(position)
        if changed:
            folded, index = "".join(pieces), positions
        else:
            folded, index = text, None
    if _SPACED.search(folded):
        folded, index = _join_spaced(folded, index)
    lower = folded.lower()
    if len(lower) != len(folded):  # "İ" lowers to two characters: keep offsets aligned with the folded text
        lower = "".join(c if len(c.lower()) != 1 else c.lower() for c in folded)
    prepared = Prepared(
        original=text,
        folded=folded,
        index=index,
        lower=lower,
        cues=scan(lower, folded),
        starts=number_starts(folded),
    )
    prepared.tokens = [
        Token(match.start(), match.end(), match.group(), match.group().lower())
        for match in _WORD.finditer(folded)
    ]
    return prepared


def _has_control(text: str) -> bool:
    return _CONTROL.search(text) is not None


def _join_spaced(folded: str, index: list[int] | None) -> tuple[str, list[int] | None]:
    """Join letters spaced one by one: 'j o h n' -> 'john' (only runs of 4+ letters, so 'a b c' lists stay)."""
    base = index if index is not None else list(range(len(folded)))
    pieces: list[str] = []
    positions: list[int] = []
    cursor = 0
    joined = False
    for match in _SPACED.finditer(folded):
        letters = [(i, c) for i, c in enumerate(match.group(), start=match.start()) if c.isalpha()]
        if len(letters) < 4:
            continue
        pieces.append(folded[cursor : match.start()])
        positions.extend(base[cursor : match.start()])
        for i, char in letters:
            pieces.append(char)
            positions.append(base[i])
        cursor = match.end()
        joined = True
    if not joined:
        return folded, index
    pieces.append(folded[cursor:])
    positions.extend(base[cursor:])
    return "".join(pieces), positions
