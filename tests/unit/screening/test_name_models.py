from __future__ import annotations

import pytest

from rounds.domain.screening import Kind, ScreeningProfile, SpanType
from rounds.screening import Screener
from rounds.screening.base import Context
from rounds.screening.text import prepare


@pytest.mark.parametrize(("name_model", "component"), [("fast", "phi.ner.v1"), ("accurate", "phi.ner.v2")])
def test_both_taggers_find_a_patient_name(name_model: str, component: str) -> None:
    screener = Screener(name_model=name_model)
    assert any(component in name for name in screener.components)
    text = "Please keep Rosalind Okafor in your prayers, she is in the ICU after surgery"
    result = screener.screen(text, "post")
    names = [f for f in result.findings if f.type is SpanType.NAME]
    assert names
    assert str(result.verdict) == "block"
    # The lexicon finds this name too (and wins the overlap), so ask the tagger itself.
    tagger = next(r for r in screener.recognizers if component in r.name)
    tagged = tagger.find(prepare(text), Context(kind=Kind.POST, profile=ScreeningProfile()))
    assert any(f.type is SpanType.NAME and text[f.start : f.end] == "Rosalind Okafor" for f in tagged)


def test_unknown_name_model_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown name model"):
        Screener(name_model="huge")
