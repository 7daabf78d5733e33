from hypothesis import given, settings
from hypothesis import strategies as st

from rounds.screening.ner.tokenize import Kind, tokenize


def surfaces(text: str) -> list[tuple[str, Kind]]:
    return [(text[t.start : t.end], t.kind) for t in tokenize(text)]


def test_words_punctuation_and_clitics() -> None:
    assert surfaces("Anna's mom, O'Brien!") == [
        ("Anna", Kind.WORD),
        ("'s", Kind.PUNCT),
        ("mom", Kind.WORD),
        (",", Kind.PUNCT),
        ("O'Brien", Kind.WORD),
        ("!", Kind.PUNCT),
    ]


def test_hashtag_is_split_into_camel_case_parts() -> None:
    assert surfaces("#PrayForAnna") == [
        ("Pray", Kind.HASHTAG_FIRST),
        ("For", Kind.HASHTAG_PART),
        ("Anna", Kind.HASHTAG_PART),
    ]


def test_handles_and_urls_are_single_tokens() -> None:
    assert surfaces("@nurse_jo see https://t.co/x1?a=b ok") == [
        ("@nurse_jo", Kind.HANDLE),
        ("see", Kind.WORD),
        ("https://t.co/x1?a=b", Kind.URL),
        ("ok", Kind.WORD),
    ]


def test_spaced_letters_merge_into_one_token() -> None:
    tokens = tokenize("pray for j o h n tonight")
    spaced = [t for t in tokens if t.kind is Kind.SPACED]
    assert len(spaced) == 1
    assert spaced[0].text == "john"
    assert "pray for j o h n tonight"[spaced[0].start : spaced[0].end] == "j o h n"


def test_zero_width_characters_do_not_split_a_name() -> None:
    text = "visit An\u200bna today"
    tokens = tokenize(text)
    assert [t.text for t in tokens] == ["visit", "Anna", "today"]
    assert text[tokens[1].start : tokens[1].end] == "An\u200bna"


def test_lookalike_letters_are_folded_in_features_only() -> None:
    text = "see \u0410nna"  # Cyrillic capital A
    (_, token) = tokenize(text)
    assert token.text == "Anna"
    assert text[token.start : token.end] == "\u0410nna"


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_offsets_are_valid_and_ordered_on_any_text(text: str) -> None:
    previous_end = 0
    for token in tokenize(text):
        assert 0 <= previous_end <= token.start < token.end <= len(text)
        assert text[token.start : token.end].strip()
        previous_end = token.end
