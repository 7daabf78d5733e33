r"""A cheap prefilter shared by every recognizer: which patterns can possibly match a text.

Most screening patterns need a word from a list ("patient", "room", "fax", a month name) or a digit somewhere in
every match. :func:`cue_pattern` compiles a pattern and reads those required literals from the parsed pattern
itself (so a pattern edit can never leave its gate stale). :func:`scan` finds all the cue words of all gated patterns in one
Aho-Corasick pass over the lower-cased text and returns a bit mask; a :class:`CuePattern` whose bit is not in
the mask cannot match, and its (slow, position-by-position) regex search is skipped.

The gate is conservative by construction: a pattern whose matches do not all contain a literal of at least
:data:`MIN_CUE` characters, or a digit, gets no gate and always runs. Case-sensitive literals are gated on the
lower-cased text too, which only lets more texts through.

**Number starts.** A pattern given as alternatives (``cue_pattern((alt1, alt2, ...))``) is also read for the
alternatives whose every match starts with a digit that no digit precedes (``\b`` or a look-behind such as
``(?<![\d/.-])`` in front of a digit). Those alternatives can only match where a run of digits starts, so on a
text with few numbers the whole pattern is tried only there (``regex.match`` at each number start) and at the
matches of its other alternatives, instead of at every position. The result is exactly ``regex.finditer``'s:
the full pattern decides at each candidate position, in its own alternative order.
"""

from __future__ import annotations

import importlib
import re
import threading
from collections.abc import Iterator, Sequence
from typing import Any, Final

import ahocorasick

_parser: Any = importlib.import_module("re._parser")
_constants: Any = importlib.import_module("re._constants")

MIN_CUE: Final = 2  # shorter literal prefixes ("a", "u") gate nothing
MAX_CUE: Final = 6  # longer prefixes are cut: "patient" and "patients" share the cue "patien"
_MAX_CUES_PER_PATTERN: Final = 4096
_MAX_EXACT: Final = 512  # alternatives expanded into literal strings, at most
DIGIT: Final = "\x00digit"  # pseudo-cue: the match starts with a digit

_ZERO_WIDTH = frozenset({_constants.AT, _constants.ASSERT, _constants.ASSERT_NOT})
_REPEATS = frozenset({_constants.MAX_REPEAT, _constants.MIN_REPEAT, _constants.POSSESSIVE_REPEAT})
_DIGIT_CHARS = frozenset(range(ord("0"), ord("9") + 1))


class _Unbounded(Exception):
    """The pattern can start with something that is not a literal cue."""


def _is_digit_class(op: Any, av: Any) -> bool:
    if op is _constants.IN:
        return all(_is_digit_class(item_op, item_av) for item_op, item_av in av)
    if op is _constants.CATEGORY:
        return bool(av is _constants.CATEGORY_DIGIT)
    if op is _constants.LITERAL:
        return int(av) in _DIGIT_CHARS
    if op is _constants.RANGE:
        low, high = av
        return bool(ord("0") <= low <= high <= ord("9"))
    return False


def _quality(cues: set[str]) -> int:
    """How selective a cue set is: its shortest cue (a digit or a non-ASCII character counts as 3)."""
    return min((3 if cue == DIGIT or not cue.isascii() else len(cue)) for cue in cues)


def _exact(items: Any) -> set[str] | None:
    """Every lower-case string ``items`` can match when it is made of literals, alternatives and ``?`` only."""
    strings = {""}
    for op, av in items:
        if op in _ZERO_WIDTH:
            continue
        if op is _constants.LITERAL:
            lowered = chr(av).lower()
            if len(lowered) != 1:
                return None
            options: set[str] | None = {lowered}
        elif op is _constants.SUBPATTERN:
            options = _exact(av[-1])
        elif op is _constants.BRANCH:
            options = set()
            for alternative in av[1]:
                found = _exact(alternative)
                if found is None:
                    return None
                options |= found
        elif op in _REPEATS and av[0] == 0 and av[1] == 1:
            body = _exact(av[2])
            options = None if body is None else body | {""}
        else:
            return None
        if options is None or len(strings) * len(options) > _MAX_EXACT:
            return None
        strings = {prefix + option for prefix in strings for option in options}
    return strings


def _required(items: Any) -> set[str] | None:
    """Cues one of which every match of ``items`` contains, or None when there is no such set."""
    candidates: list[set[str]] = []
    run = {""}

    def flush() -> None:
        nonlocal run
        if run != {""} and "" not in run:
            candidates.append(
                {DIGIT if value.isdigit() and len(value) < MIN_CUE else value[:MAX_CUE] for value in run}
            )
        run = {""}

    for op, av in items:
        if op in _ZERO_WIDTH:
            continue  # consumes nothing: the literals on either side stay contiguous
        exact = _exact([(op, av)])
        if exact is not None and len(run) * len(exact) <= _MAX_EXACT:
            run = {prefix + option for prefix in run for option in exact}
            continue
        flush()
        if exact is not None:
            run = exact
            continue
        inner: set[str] | None = None
        if op is _constants.SUBPATTERN:
            inner = _required(av[-1])
        elif op is _constants.BRANCH:
            union: set[str] = set()
            for alternative in av[1]:
                found = _required(alternative)
                if found is None:
                    union = set()
                    break
                union |= found
            inner = union or None
        elif op in _REPEATS:
            inner = _required(av[2]) if av[0] >= 1 else None
        elif _is_digit_class(op, av):
            inner = {DIGIT}
        if inner is not None:
            candidates.append(inner)
        if sum(len(c) for c in candidates) > _MAX_CUES_PER_PATTERN:
            raise _Unbounded
    flush()
    if not candidates:
        return None
    return max(candidates, key=lambda cues: (_quality(cues), -len(cues)))


def required_cues(pattern: re.Pattern[str]) -> frozenset[str] | None:
    """Lower-case literals (cut to :data:`MAX_CUE`) one of which every match contains, or None if there are none.

    :data:`DIGIT` in the set stands for "a digit"."""
    try:
        cues = _required(_parser.parse(pattern.pattern, pattern.flags))
    except (_Unbounded, RecursionError, ValueError, TypeError, AttributeError):
        return None
    if not cues or _quality(cues) < MIN_CUE:
        return None
    # A cue that contains another cue adds nothing: "bay" already lets "bay#" through.
    return frozenset(cue for cue in cues if not any(cue != other and other in cue for other in cues))


def _guards_digit(op: Any, av: Any) -> bool:
    r"""True for a zero-width assertion that fails when a digit precedes: ``\b`` (before a word character), a
    negative one-character look-behind whose class holds ``\d`` or ``\w``, or a positive one-character
    look-behind for a literal that is not a digit (``(?<=\()``)."""
    if op is _constants.AT:
        return bool(av is _constants.AT_BOUNDARY)
    if op not in (_constants.ASSERT, _constants.ASSERT_NOT):
        return False
    direction, body = av
    if direction != -1 or len(body) != 1:
        return False
    body_op, body_av = body[0]
    if op is _constants.ASSERT:
        return bool(body_op is _constants.LITERAL and not chr(body_av).isdigit())
    words = (_constants.CATEGORY_DIGIT, _constants.CATEGORY_WORD)
    if body_op is _constants.IN:
        return any(item_op is _constants.CATEGORY and item_av in words for item_op, item_av in body_av)
    return bool(body_op is _constants.CATEGORY and body_av in words)


def _number_led(items: Any, guarded: bool = False) -> bool:
    """Every match of ``items`` starts with a digit that no digit precedes."""
    items = list(items)
    for index, (op, av) in enumerate(items):
        if op in _ZERO_WIDTH:
            guarded = guarded or _guards_digit(op, av)
            continue
        if op is _constants.SUBPATTERN:
            return _number_led(av[-1], guarded)
        if op is _constants.BRANCH:
            return all(_number_led(alternative, guarded) for alternative in av[1])
        if op in _REPEATS:
            if av[0] >= 1:
                return _number_led(av[2], guarded)
            # Optional: the match starts in it or, when it is skipped, in what follows.
            return _number_led(av[2], guarded) and _number_led(items[index + 1 :], guarded)
        return guarded and _is_digit_class(op, av)
    return False


def number_led(pattern: str, flags: int = 0) -> bool:
    """True when every match of ``pattern`` starts where a run of digits starts (see the module docstring)."""
    if flags & re.ASCII:
        return False  # \b and \d would disagree with the Unicode digit runs the text is split on
    try:
        return _number_led(_parser.parse(pattern, flags))
    except (RecursionError, ValueError, TypeError, AttributeError, re.error):
        return False


class _Registry:
    """Every gated pattern's cues and bit; the automaton is rebuilt when a pattern is added after a scan."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._cues: dict[str, int] = {}
        self._count = 1  # bit 0 is ALWAYS: set in every mask, given to patterns that have no gate
        self._automaton: Any = None

    def add(self, cues: frozenset[str]) -> int:
        with self._lock:
            bit = 1 << self._count
            self._count += 1
            for cue in cues:
                self._cues[cue] = self._cues.get(cue, 0) | bit
            self._automaton = None
            return bit

    def automaton(self) -> Any:
        automaton = self._automaton
        if automaton is None:
            with self._lock:
                automaton = ahocorasick.Automaton()
                for cue, bits in self._cues.items():
                    if cue != DIGIT:
                        automaton.add_word(cue, bits)
                if len(automaton) == 0:
                    automaton.add_word("\x00\x00", 0)
                automaton.make_automaton()
                self._automaton = automaton
        return automaton

    @property
    def digit_bits(self) -> int:
        return self._cues.get(DIGIT, 0)


ALWAYS: Final = 1
_REGISTRY = _Registry()
_HAS_DIGIT = re.compile(r"\d")


# Characters that a case-insensitive pattern matches against an ASCII letter although ``str.lower`` does not
# turn them into it (sre's simple case folding and its i/ı, s/ſ equivalences).
_CASE_EQUIVALENTS: Final = str.maketrans({"ı": "i", "ſ": "s", "İ": "i", "\u212a": "k", "\u0307": None})
_HAS_CASE_EQUIVALENT: Final = re.compile("[ıſİ\u212a\u0307]")


def scan(lower: str, folded: str) -> int:
    """The bit mask of gated patterns that may match: one pass over the lower-cased text."""
    if not lower.isascii() and _HAS_CASE_EQUIVALENT.search(lower):
        lower = lower.translate(_CASE_EQUIVALENTS)
    mask = ALWAYS | _REGISTRY.digit_bits if _HAS_DIGIT.search(folded) else ALWAYS
    for _end, bits in _REGISTRY.automaton().iter(lower):
        mask |= bits
    return mask


# Above this many number starts in a text, the regex's own scan is cheaper than one match call per start.
MAX_NUMBER_STARTS: Final = 64
_NUMBER_RUN: Final = re.compile(r"\d+")


def number_starts(text: str) -> list[int]:
    """Where each run of digits in ``text`` starts (:meth:`CuePattern.finditer`'s ``starts``)."""
    return [match.start() for match in _NUMBER_RUN.finditer(text)]


class CuePattern:
    """A compiled pattern with its gate. ``search``/``finditer`` take the text's cue mask from :func:`scan`, and
    optionally the text's :func:`number_starts`.

    ``pattern`` may be a sequence of alternatives (joined with ``|``): the alternatives that start at a number are
    then found at number starts only, the others by a regex of their own (itself gated)."""

    __slots__ = ("bit", "cues", "others", "regex", "split")

    def __init__(self, pattern: str | re.Pattern[str] | Sequence[str], flags: int = 0) -> None:
        alternatives: Sequence[str] | None = None
        if isinstance(pattern, re.Pattern):
            self.regex: re.Pattern[str] = pattern
        elif isinstance(pattern, str):
            self.regex = re.compile(pattern, flags)
        else:
            alternatives = tuple(pattern)
            self.regex = re.compile("|".join(alternatives), flags)
        self.cues = required_cues(self.regex)
        self.bit = ALWAYS if self.cues is None else _REGISTRY.add(self.cues)
        # split: some alternatives start at numbers; others: a gated pattern for the rest (None: there are none).
        self.split = False
        self.others: CuePattern | None = None
        if alternatives is not None:
            rest = [alt for alt in alternatives if not number_led(alt, flags)]
            self.split = len(rest) < len(alternatives)
            if self.split and rest:
                self.others = CuePattern("|".join(rest), flags)

    def possible(self, mask: int) -> bool:
        """False only when the pattern cannot match the text ``mask`` was scanned from."""
        return bool(mask & self.bit)

    def search(self, text: str, mask: int, starts: Sequence[int] | None = None) -> re.Match[str] | None:
        if not mask & self.bit:
            return None
        if starts is None or not self.split or len(starts) > MAX_NUMBER_STARTS:
            return self.regex.search(text)
        return next(self._at_starts(text, mask, starts), None)

    def finditer(self, text: str, mask: int, starts: Sequence[int] | None = None) -> Iterator[re.Match[str]]:
        if not mask & self.bit:
            return iter(())
        if starts is None or not self.split or len(starts) > MAX_NUMBER_STARTS:
            return self.regex.finditer(text)
        return self._at_starts(text, mask, starts)

    def _at_starts(self, text: str, mask: int, starts: Sequence[int]) -> Iterator[re.Match[str]]:
        """``regex.finditer(text)``, trying the regex only at number starts and where its other alternatives
        match: no match can start anywhere else."""
        regex, others = self.regex, self.others
        position = 0
        index = 0
        count = len(starts)
        other = others.regex.search(text) if others is not None and others.possible(mask) else None
        while True:
            while index < count and starts[index] < position:
                index += 1
            while other is not None and other.start() < position:
                other = others.regex.search(text, position) if others is not None else None
            candidate = starts[index] if index < count else -1
            if other is not None and (candidate < 0 or other.start() < candidate):
                candidate = other.start()
            if candidate < 0:
                return
            match = regex.match(text, candidate)
            if match is None:
                if index < count and starts[index] == candidate:
                    index += 1
                else:
                    position = candidate + 1
                continue
            yield match
            position = match.end() if match.end() > candidate else candidate + 1


def cue_pattern(pattern: str | re.Pattern[str] | Sequence[str], flags: int = 0) -> CuePattern:
    return CuePattern(pattern, flags)
