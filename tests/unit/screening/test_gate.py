"""The cue gate: a gated pattern is skipped only when it cannot match (soundness), and gates are selective."""

from __future__ import annotations

import importlib
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rounds.screening.gate import DIGIT, CuePattern, required_cues, scan
from rounds.screening.text import prepare

MODULES = ("judge", "places", "identifiers", "temporal", "names", "health", "text", "model_names")


def all_gated() -> list[tuple[str, CuePattern]]:
    found = []
    for module_name in MODULES:
        module = importlib.import_module(f"rounds.screening.{module_name}")
        found += [(f"{module_name}.{n}", v) for n, v in vars(module).items() if isinstance(v, CuePattern)]
    return found


GATED = all_gated()

# Words that occur in the screening patterns, in several casings, plus digits, look-alikes and punctuation.
VOCABULARY = [
    "patient",
    "Pt",
    "PATIENTS",
    "room",
    "rm",
    "bed",
    "Bay",
    "fax",
    "your",
    "visit",
    "stay",
    "chart",
    "March",
    "mar",
    "Tuesday",
    "last",
    "on",
    "in",
    "the",
    "Christmas",
    "Eve",
    "years",
    "old",
    "yo",
    "aged",
    "de",
    "marzo",
    "años",
    "ninety-one",
    "year-old",
    "6",
    "12",
    "3/14",
    "2024-03-14",
    "555-867-5309",
    "South",
    "6 East",
    "Pod",
    "B",
    "unit",
    "Mercy",
    "Regional",
    "Medical",
    "Center",
    "Hospital",
    "pray",
    "for",
    "#PrayForAnna",
    "family",
    "Nguyen",
    "glad",
    "surgery",
    "went",
    "well",
    "please",
    "call",
    "us",
    "at",
    "review",
    "gift",
    "card",
    "lol",
    "😂",
    "frequent",
    "flyer",
    "ſtay",
    "patıent",
    "K",
    "İ",
    "PATİENT",
    "my",
    "own",
    "i",
    "was",
    "diagnosed",
    "denies",
    "signs",
    "of",
    "stroke",
    "MRN",
    "4417730",
    "SSN",
    "ssn:",
    "@anna_b",
    "www.gofundme.com/x",
    "a@b.org",
]


@pytest.mark.parametrize(("name", "gated"), GATED, ids=[name for name, _ in GATED])
def test_gated_patterns_have_cues_or_always_run(name: str, gated: CuePattern) -> None:
    assert gated.bit > 0
    if gated.cues is not None:
        assert all(len(cue) >= 2 or not cue.isascii() for cue in gated.cues if cue != DIGIT)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.sampled_from(VOCABULARY), min_size=1, max_size=12),
    st.sampled_from([" ", "  ", "\n", "-", ", "]),
)
def test_the_gate_never_hides_a_match(words: list[str], separator: str) -> None:
    text = separator.join(words)
    prepared = prepare(text)
    raw_mask = scan(text.lower(), text)
    for name, gated in GATED:
        if gated.regex.search(prepared.folded):
            assert gated.possible(prepared.cues), name
        if gated.regex.search(text):
            assert gated.possible(raw_mask), name


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=60))
def test_the_gate_never_hides_a_match_on_any_text(text: str) -> None:
    prepared = prepare(text)
    for name, gated in GATED:
        if gated.regex.search(prepared.folded):
            assert gated.possible(prepared.cues), name


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        (r"\b(?:patients?|pts?)\b", {"patien", "pt"}),
        (r"\bfax\s*#?\s*\d+", {"fax"}),
        (r"\b\d{1,2}\s?(?:East|West)\b", {"east", "west"}),
        (r"\b\d{1,2}\s?[NSEW]\b", {DIGIT}),
        (r"(?i:\b(?:last|next)\s+)?(?:Mon|Tues)day", {"monday", "tuesda"}),
        (r"[A-Z][a-z]+\s+(?:Hospital|Clinic)", {"hospit", "clinic"}),
        (r"\b(?:a|u)\b", None),  # one-letter cues gate nothing
        (r"\w+@\w+", None),
    ],
)
def test_required_cues(pattern: str, expected: set[str] | None) -> None:
    cues = required_cues(re.compile(pattern, re.IGNORECASE))
    assert (set(cues) if cues is not None else None) == expected


def test_gated_search_skips_only_impossible_texts() -> None:
    gated = CuePattern(r"\bbed\s+\d+", re.IGNORECASE)
    assert gated.search("moved to BED 12", prepare("moved to BED 12").cues)
    assert gated.search("nothing here", prepare("nothing here").cues) is None


NUMBER_SPLIT = [(name, gated) for name, gated in GATED if gated.split]
NUMBER_VOCABULARY = [
    *VOCABULARY,
    "3",
    "07",
    "1999",
    "3/14/24",
    "12.5",
    "10.0.0.1",
    "(87M)",
    "87M,",
    "4111 1111 1111 1111",
    "123-45-6789",
    "5N",
    "6East",
    "1234",
    "Tower",
    "Main",
    "St",
    "de",
    "abril",
    "٣",
    "x12",
    "/",
    ".",
    "-",
    "(",
]


def test_number_led_patterns_are_found() -> None:
    names = {name for name, _ in NUMBER_SPLIT}
    assert {"temporal._NUMERIC_DATE", "temporal._AGE", "places._UNIT", "identifiers._SSN"} <= names


@settings(max_examples=400, deadline=None)
@given(
    st.lists(st.sampled_from(NUMBER_VOCABULARY), min_size=1, max_size=14),
    st.sampled_from([" ", "", "-", ", ", "/"]),
)
def test_number_starts_find_exactly_what_the_regex_finds(words: list[str], separator: str) -> None:
    text = separator.join(words)
    prepared = prepare(text)
    assert prepared.starts is not None
    for name, gated in NUMBER_SPLIT:
        expected = [(m.span(), m.group()) for m in gated.regex.finditer(prepared.folded)]
        found = [(m.span(), m.group()) for m in gated.finditer(prepared.folded, -1, prepared.starts)]
        assert found == expected, name
        first = gated.search(prepared.folded, -1, prepared.starts)
        assert (first.span() if first else None) == (expected[0][0] if expected else None), name


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from("0123456789٣ ./-(),:MFNEWSabdeyo"), max_size=40))
def test_number_starts_on_digit_soup(text: str) -> None:
    prepared = prepare(text)
    for name, gated in NUMBER_SPLIT:
        expected = [m.span() for m in gated.regex.finditer(prepared.folded)]
        assert [m.span() for m in gated.finditer(prepared.folded, -1, prepared.starts)] == expected, name
