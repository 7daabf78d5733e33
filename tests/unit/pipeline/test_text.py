from rounds.pipeline.text import TextView, char_grams, mark_negation, normalize, tokenize


def test_normalize_replaces_urls_mentions_and_elongations() -> None:
    assert normalize("@Bob see https://x.co/a NOOOO") == " @user  see  <url>  noo"


def test_tokenize_keeps_emoticons_emoji_hashtags_and_collapses_punctuation() -> None:
    tokens = tokenize(normalize("Great #NHS staff :) 👍 !!!! 12:30"))
    assert tokens == ["great", "#nhs", "staff", ":)", "👍", "!!", "<num>"]


def test_negation_scope_ends_at_punctuation() -> None:
    marked = mark_negation(tokenize(normalize("I don't like the wait, but staff were kind")))
    assert "neg_like" in marked
    assert "neg_wait" in marked
    assert "kind" in marked
    assert "neg_kind" not in marked


def test_char_grams_have_boundaries() -> None:
    assert "c:^ca" in char_grams("cat")
    assert "c:^cat$" in char_grams("cat")


def test_text_view_is_lazy_and_shared() -> None:
    view = TextView("")
    assert view.tokens == []
    assert view.letters == 0
    assert TextView("😀😀").letters == 0
