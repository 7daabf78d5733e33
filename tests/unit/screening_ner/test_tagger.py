import socket
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rounds.screening.ner import COMPONENT, EnsembleTagger, EntitySpan, load_tagger, neural

Tagger = EnsembleTagger


@pytest.fixture(scope="module")
def tagger() -> Tagger:
    return load_tagger()


def found(tagger: Tagger, text: str) -> set[tuple[str, str]]:
    return {(text[s.start : s.end], s.label) for s in tagger.tag(text)}


def test_component_is_versioned_and_loading_is_cached(tagger: Tagger) -> None:
    assert COMPONENT.startswith("phi.ner.v")
    assert load_tagger() is tagger
    assert tagger.component == COMPONENT == "phi.ner.v2"
    assert tagger.v1.component == "phi.ner.v1"


def test_loading_needs_no_network_and_is_quick(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_network(*args: object, **kwargs: object) -> None:
        raise AssertionError("the tagger tried to open a socket")

    monkeypatch.setattr(socket, "socket", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    monkeypatch.setattr(neural, "_LOADED", {})
    started = time.perf_counter()
    fresh = load_tagger()
    assert time.perf_counter() - started < 5.0  # about 0.1-0.7 s; generous for shared CI machines
    assert ("Boston", "LOCATION") in found(fresh, "I met John Smith in Boston yesterday")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("I met John Smith in Boston yesterday", {("John Smith", "NAME"), ("Boston", "LOCATION")}),
        (
            "Prayers for Maria Gonzalez and her family in Phoenix",
            {("Maria Gonzalez", "NAME"), ("Phoenix", "LOCATION")},
        ),
        (
            "so proud of my cousin jessica , she starts college in denver",
            {("jessica", "NAME"), ("denver", "LOCATION")},
        ),
        ("#PrayForAnna", {("Anna", "NAME")}),
    ],
)
def test_obvious_names_and_places(tagger: Tagger, text: str, expected: set[tuple[str, str]]) -> None:
    assert expected <= found(tagger, text)


@pytest.mark.parametrize(
    "text",
    ["", "   ", "thanks for the follow !", "😀😀😀", "the weather is nice today and I am happy"],
)
def test_texts_without_entities(tagger: Tagger, text: str) -> None:
    assert tagger.tag(text) == []


def test_handles_and_urls_are_never_labelled(tagger: Tagger) -> None:
    text = "@JohnSmith wow https://example.org/JohnSmith"
    assert tagger.tag(text) == []


def test_tag_many_matches_tag(tagger: Tagger) -> None:
    texts = ["Anna is in Dallas", "", "call Bob", "Join Dr. Sally Horne in St. Louis", "😀 " * 40]
    assert tagger.tag_many(texts) == [tagger.tag(t) for t in texts]


@settings(max_examples=100, deadline=None)
@given(st.lists(st.text(max_size=200), max_size=8))
def test_batch_equals_single_on_arbitrary_unicode(texts: list[str]) -> None:
    tagger = load_tagger()
    assert tagger.tag_many(texts) == [tagger.tag(t) for t in texts]


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_spans_are_valid_on_arbitrary_unicode(text: str) -> None:
    for span in load_tagger().tag(text):
        assert isinstance(span, EntitySpan)
        assert 0 <= span.start < span.end <= len(text)
        assert span.label in ("NAME", "LOCATION", "ORG")
        assert 0.0 <= span.score <= 1.0
