from __future__ import annotations

import pytest

from rounds.domain.screening import SpanType
from rounds.screening import Screener


@pytest.mark.parametrize(("name_model", "component"), [("fast", "phi.ner.v1"), ("accurate", "phi.ner.v2")])
def test_both_taggers_find_a_patient_name(name_model: str, component: str) -> None:
    screener = Screener(name_model=name_model)
    assert any(component in name for name in screener.components)
    result = screener.screen(
        "Please keep Rosalind Okafor in your prayers, she is in the ICU after surgery", "post"
    )
    names = [f for f in result.findings if f.type is SpanType.NAME]
    assert names
    assert str(result.verdict) == "block"


def test_unknown_name_model_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown name model"):
        Screener(name_model="huge")
