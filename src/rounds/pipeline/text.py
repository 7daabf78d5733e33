"""Shared text analysis: one pass of normalization and tokenization per post (CONVENTIONS.md 6).

Every enrichment component reads a :class:`TextView` instead of re-tokenizing. The feature functions here are
also what the training scripts use, so training and inference see exactly the same features.

Tokens are lower-cased; URLs become ``<url>``, mentions ``@user``, numbers ``<num>``; letters repeated three or
more times are shortened to two ("soooo" -> "soo"). Words after a negation cue ("not", "never", "n't", "no")
up to the next clause punctuation get a ``neg_`` prefix, so "not good" and "good" are different features.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any, Generic, TypeVar, overload

import regex

_URL = regex.compile(r"(?:https?://|www\.)\S+", regex.IGNORECASE)
_MENTION = regex.compile(r"(?<![\w@])@\w{1,30}")
_ELONGATED = regex.compile(r"(\p{L})\1{2,}")
_HTML_ENTITIES = {"&amp;": "&", "&lt;": "<", "&gt;": ">", "&quot;": '"', "&#39;": "'", "&apos;": "'"}
_ENTITY = regex.compile(r"&(?:amp|lt|gt|quot|#39|apos);")

# Order matters: placeholders, emoticons, words (with inner apostrophes/hyphens), hashtags, numbers,
# emoji and pictographs, then runs of ! and ?.
_TOKEN = regex.compile(
    r"""
    <url> | @user
    | (?:[<>]?[:;=8xX][\-o\*']?[\)\]\(\[dDpP/\\\|@3\}\{]+) | (?:[\)\]\(\[dDpP/\\\|@3\}\{]+[\-o\*']?[:;=8][<>]?)
    | <3+ | </3
    | \#?\p{L}[\p{L}\p{M}\p{N}_]*(?:['’\-][\p{L}\p{M}\p{N}_]+)*
    | \p{N}+(?:[.,:]\p{N}+)*%?
    | \p{Extended_Pictographic}
    | [!?]+ | [.,;:]
    """,
    regex.VERBOSE,
)
_NEGATIONS = frozenset(
    {
        "not",
        "no",
        "never",
        "nothing",
        "nobody",
        "none",
        "nowhere",
        "neither",
        "nor",
        "cannot",
        "without",
        "hardly",
        "barely",
        "dont",
        "cant",
        "wont",
        "isnt",
        "arent",
        "wasnt",
        "werent",
        "didnt",
        "doesnt",
        "havent",
        "hasnt",
        "hadnt",
        "couldnt",
        "shouldnt",
        "wouldnt",
        "aint",
    }
)
_CLAUSE_END = frozenset({".", ",", ";", ":", "!", "?", "but", "<url>"})


def normalize(text: str) -> str:
    """Lower-case, decode common HTML entities, replace URLs and mentions, shorten elongations."""
    if "&" in text:
        text = _ENTITY.sub(lambda m: _HTML_ENTITIES[m.group(0)], text)
    text = _URL.sub(" <url> ", text)
    if "@" in text:
        text = _MENTION.sub(" @user ", text)
    text = _ELONGATED.sub(r"\1\1", text)
    return text.lower().replace("’", "'")


def _is_negation(token: str) -> bool:
    return token in _NEGATIONS or token.endswith("n't")


def tokenize(normalized: str) -> list[str]:
    """Tokens of an already normalized text; ``!!!`` collapses to ``!!``."""
    tokens: list[str] = []
    for raw in _TOKEN.findall(normalized):
        if raw[0] in "!?" and len(raw) > 2:
            raw = raw[:2]
        elif raw[0].isdigit():
            raw = "<num>"
        tokens.append(raw)
    return tokens


def mark_negation(tokens: list[str]) -> list[str]:
    """Prefix ``neg_`` to word tokens in the scope of a negation cue (until clause punctuation)."""
    out: list[str] = []
    negated = False
    for token in tokens:
        if token in _CLAUSE_END or token[0] in "!?":
            negated = False
            out.append(token)
        elif _is_negation(token):
            negated = True
            out.append(token)
        elif negated and token[0].isalpha():
            out.append("neg_" + token)
        else:
            out.append(token)
    return out


@lru_cache(maxsize=200_000)
def char_grams(word: str) -> tuple[str, ...]:
    """Character 3- to 5-grams of one word, with ``^``/``$`` boundaries (cached: words repeat a lot)."""
    padded = "^" + word + "$"
    size = len(padded)
    grams: list[str] = []
    for n in (3, 4, 5):
        if size < n:
            break
        grams.extend("c:" + padded[i : i + n] for i in range(size - n + 1))
    return tuple(grams)


def word_features(marked: list[str]) -> list[str]:
    """Unigrams and bigrams over negation-marked tokens."""
    feats = list(marked)
    feats.extend(marked[i] + " " + marked[i + 1] for i in range(len(marked) - 1))
    return feats


def token_features(token: str) -> tuple[str, ...]:
    """A token's own features: itself plus, for words of 3+ letters and hashtags, its character n-grams."""
    if (len(token) > 2 and token[0].isalpha()) or token[0] == "#":
        return (token, *char_grams(token.lstrip("#")))
    return (token,)


def bigrams(marked: list[str]) -> list[str]:
    return [marked[i] + " " + marked[i + 1] for i in range(len(marked) - 1)]


def sentiment_features(marked: list[str]) -> list[str]:
    """Word uni/bigrams plus in-word character n-grams of alphabetic tokens (hashtags without ``#``).

    Counted features: the list repeats a feature as often as it occurs. It equals the concatenation of
    :func:`token_features` of every token and the :func:`bigrams`, which is what lets the run-time scorer
    cache per-token sums.
    """
    feats: list[str] = []
    for token in marked:
        feats.extend(token_features(token))
    feats.extend(bigrams(marked))
    return feats


_Value = TypeVar("_Value")


class _computed_once(Generic[_Value]):
    """``functools.cached_property`` without its per-instance lock (Python 3.11 takes an RLock on every first
    access, a measurable share of a post's cost here; a TextView is never shared between threads while it is
    being computed). The value is stored in the instance ``__dict__``, so later reads are plain attribute reads.
    """

    def __init__(self, compute: Callable[[Any], _Value]) -> None:
        self.compute = compute
        self.name = compute.__name__
        self.__doc__ = compute.__doc__

    @overload
    def __get__(self, instance: None, owner: type[Any]) -> _computed_once[_Value]: ...
    @overload
    def __get__(self, instance: object, owner: type[Any]) -> _Value: ...
    def __get__(self, instance: object | None, owner: type[Any]) -> _Value | _computed_once[_Value]:
        if instance is None:
            return self
        value = self.compute(instance)
        instance.__dict__[self.name] = value
        return value


class TextView:
    """The analysis of one text, computed lazily and at most once, shared by every component."""

    __slots__ = ("__dict__", "text")

    def __init__(self, text: str) -> None:
        self.text = text

    @_computed_once
    def normalized(self) -> str:
        return normalize(self.text)

    @_computed_once
    def tokens(self) -> list[str]:
        return tokenize(self.normalized)

    @_computed_once
    def marked(self) -> list[str]:
        return mark_negation(self.tokens)

    @_computed_once
    def token_set(self) -> frozenset[str]:
        return frozenset(self.tokens)

    @_computed_once
    def bigrams(self) -> list[str]:
        return bigrams(self.marked)

    @_computed_once
    def word_features(self) -> list[str]:
        """Unigrams and bigrams over the negation-marked tokens (:func:`word_features`)."""
        return self.marked + self.bigrams

    @_computed_once
    def sentiment_features(self) -> list[str]:
        return sentiment_features(self.marked)

    @_computed_once
    def letters(self) -> int:
        """Alphabetic characters outside links and mentions (0 for emoji-only, empty or link-only text)."""
        text = self.normalized.replace("<url>", "").replace("@user", "")
        return sum(map(str.isalpha, text))
