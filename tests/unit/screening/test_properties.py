"""Property-based tests for the recognizers: spans in bounds, no crash, rewrite idempotence."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rounds.domain.screening import Verdict
from rounds.screening import Screener

SCREENER = Screener()
PIECES = st.sampled_from(
    [
        "pt ",
        "John Smith ",
        "in bed 12 ",
        "on 6 East ",
        "DOB 3/4/1950 ",
        "call 687-588-2495 ",
        "@jdoe ",
        "with sepsis ",
        "#PrayForAnna ",
        "87M ",
        "maría ",
        "J\u200bo\u200bhn ",
        "😀",
        "\u202e",
        "MRN 40791524 ",
        "ssn 123-45-6789 ",
        "gofundme.com/f/x ",
        "Dr. Lee ",
        "cama 8 ",
        "today ",
        "\x00",
        "مرحبا ",
        "  ",
    ]
)
TEXTS = st.one_of(st.text(max_size=300), st.lists(PIECES, max_size=20).map("".join))
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(text=TEXTS, kind=st.sampled_from(["post", "reply", "comment", "review_response", "dm", "draft"]))
def test_spans_within_bounds_and_no_crash(text: str, kind: str) -> None:
    result = SCREENER.screen(text, kind, "my mom was in your ER with sepsis")
    assert result.verdict in set(Verdict)
    for item in result.findings:
        assert 0 <= item.start <= item.end <= len(text)
        assert item.component and item.explanation


@SETTINGS
@given(text=TEXTS)
def test_rewrite_removes_identifiers_idempotently(text: str) -> None:
    strict = ("PHONE", "EMAIL", "SSN", "MRN", "ROOM_BED", "AGE", "URL", "IP", "ACCOUNT", "HANDLE")
    first = SCREENER.screen(text, "post")
    again = SCREENER.screen(first.rewrite, "post")
    before = [f for f in first.identifiers if not f.organizational and f.type.value in strict]
    after = [f for f in again.identifiers if not f.organizational and f.type.value in strict]
    # Replacements never create identifiers, and the rewrite never has more of them than the original.
    for item in after:
        value = first.rewrite[item.start : item.end]
        assert not any(word in value for word in ("removed", "person in their", "over 89", "recently"))
    assert len(after) <= len(before)


@SETTINGS
@given(text=TEXTS)
def test_screening_is_deterministic(text: str) -> None:
    assert SCREENER.screen(text, "post").to_dict() == SCREENER.screen(text, "post").to_dict()
