"""Tokenizer for informal social text, with character offsets into the original string.

Tokens carry a *kind* that the tagger uses as a feature and to keep identifiers it never labels (handles, URLs)
out of its output. Hashtags are split into their camel-case parts (``#PrayForAnna`` -> ``Pray``, ``For``,
``Anna``), so a name inside a hashtag gets its own span. Runs of single letters separated by single spaces or dots
(``J o h n``, ``j.o.h.n``) are merged into one ``SPACED`` token, the usual way names are obfuscated.

Zero-width characters and soft hyphens are skipped (they are a common way to split a name so that filters miss
it); offsets always point into the text as given. Look-alike Cyrillic and Greek letters are folded to Latin in
the token's *normalized* form only (used for features), never in offsets.
"""

from __future__ import annotations

import re
from enum import IntEnum
from typing import Final, NamedTuple

import regex


class Kind(IntEnum):
    WORD = 0
    HASHTAG_FIRST = 1
    HASHTAG_PART = 2
    HANDLE = 3
    URL = 4
    NUMBER = 5
    PUNCT = 6
    SYMBOL = 7
    SPACED = 8
    ALNUM = 9


class Token(NamedTuple):
    start: int
    end: int
    text: str  # normalized surface form used for features
    kind: Kind


_INVISIBLE: Final = re.compile("[\u200b-\u200f\u2060-\u2064\ufeff\u00ad\u034f\u180e]")

# One alternative per token class; the order matters (URLs before words, handles before symbols). Stdlib ``re``
# (``[^\W\d_]`` is "a letter"): it is measurably faster than ``regex`` here, and this runs on every text.
_TOKEN: Final = re.compile(
    r"""
    (?P<url>(?:https?://|www\.)\S+)
  | (?P<handle>@\w+)
  | (?P<hashtag>\#\w+)
  | (?P<word>[^\W\d_]+(?:['’](?!(?:s|t|ll|re|ve|d|m)\b)[^\W\d_]+|-[^\W\d_]+)*)
  | (?P<number>\d+(?:[.,:/]\d+)*)
  | (?P<alnum>\w+)
  | (?P<punct>['’][^\W\d_]+|[.,!?;:"“”‘’()\[\]{}…'-]+)
  | (?P<symbol>[^\w\s.,!?;:"“”‘’()\[\]{}…'-]+)
    """,
    re.VERBOSE,
)
_CAMEL: Final = regex.compile(r"\p{Lu}+(?=\p{Lu}\p{Ll})|\p{Lu}?\p{Ll}+|\p{Lu}+|\p{L}+|\d+|_+")

# Folded look-alike letters (Cyrillic and Greek capitals and small letters that render like Latin ones).
_LOOKALIKE: Final = str.maketrans(
    "АВЕКМНОРСТХаеорсухіјѕԁΑΒΕΗΙΚΜΝΟΡΤΥΧοαινρτυ",
    "ABEKMHOPCTXaeopcyxijsdABEHIKMNOPTYXoaivptu",
)
_NON_ASCII_LETTER: Final = re.compile("[\u0370-\u04ff]")

_KIND_OF_GROUP: Final[dict[str | None, Kind]] = {
    "url": Kind.URL,
    "handle": Kind.HANDLE,
    "word": Kind.WORD,
    "number": Kind.NUMBER,
    "alnum": Kind.ALNUM,
    "punct": Kind.PUNCT,
    "symbol": Kind.SYMBOL,
}


def _normalize(surface: str) -> str:
    if _NON_ASCII_LETTER.search(surface):
        return surface.translate(_LOOKALIKE)
    return surface


def _raw_tokens(text: str) -> list[Token]:
    out: list[Token] = []
    append = out.append
    kinds = _KIND_OF_GROUP
    for match in _TOKEN.finditer(text):
        group = match.lastgroup
        start, end = match.span()
        surface = match.group()
        if group == "hashtag":
            first = True
            for part in _CAMEL.finditer(surface, 1):
                piece = part.group()
                if piece.startswith("_"):
                    continue
                kind = Kind.HASHTAG_FIRST if first else Kind.HASHTAG_PART
                append(Token(start + part.start(), start + part.end(), _normalize(piece), kind))
                first = False
        elif group == "url" or group == "handle" or surface.isascii():
            append(Token(start, end, surface, kinds[group]))
        else:
            append(Token(start, end, _normalize(surface), kinds[group]))
    return out


_SPACED_HINT: Final = re.compile(r"(?<!\w)[^\W\d_][ .][^\W\d_][ .][^\W\d_](?!\w)")


def _merge_spaced(tokens: list[Token], text: str) -> list[Token]:
    """Merge runs of >= 3 single letters separated by one space or one dot into one SPACED token."""
    if not _SPACED_HINT.search(text):
        return tokens
    out: list[Token] = []
    i = 0
    n = len(tokens)
    while i < n:
        tok = tokens[i]
        if tok.kind is Kind.WORD and len(tok.text) == 1:
            j = i
            while j + 1 < n:
                nxt = tokens[j + 1]
                gap = text[tokens[j].end : nxt.start]
                if nxt.kind is Kind.WORD and len(nxt.text) == 1 and gap in (" ", "", "."):
                    j += 1
                    continue
                # "j.o.h.n": the dot is its own punctuation token between the letters
                if (
                    nxt.kind is Kind.PUNCT
                    and nxt.text == "."
                    and j + 2 < n
                    and tokens[j + 2].kind is Kind.WORD
                    and len(tokens[j + 2].text) == 1
                    and nxt.start == tokens[j].end
                    and tokens[j + 2].start == nxt.end
                ):
                    j += 2
                    continue
                break
            letters = [t.text for t in tokens[i : j + 1] if t.kind is Kind.WORD]
            if len(letters) >= 3:
                out.append(Token(tok.start, tokens[j].end, "".join(letters), Kind.SPACED))
                i = j + 1
                continue
        out.append(tok)
        i += 1
    return out


def tokenize(text: str) -> list[Token]:
    """Split ``text`` into tokens whose ``start``/``end`` index ``text`` itself."""
    if not _INVISIBLE.search(text):
        return _merge_spaced(_raw_tokens(text), text)
    # Drop invisible characters, tokenize the visible text and map offsets back.
    keep = [i for i, ch in enumerate(text) if not _INVISIBLE.match(ch)]
    visible = "".join(text[i] for i in keep)
    keep.append(len(text))
    mapped: list[Token] = []
    for tok in _merge_spaced(_raw_tokens(visible), visible):
        start = keep[tok.start]
        end = keep[tok.end - 1] + 1 if tok.end > tok.start else start
        mapped.append(Token(start, end, tok.text, tok.kind))
    return mapped
