"""Adapter for the trained name/place tagger (``rounds.screening.ner``).

The tagger's spans join the lexicon and context recognizers: names become NAME, places LOCATION; ORG spans
are not identifiers. When the tagger's weights are not installed the adapter reports itself unavailable and
the engine runs on lexicons and context alone (logged once at INFO).
"""

from __future__ import annotations

import logging
from typing import Any

from rounds.domain.screening import Finding, SpanType
from rounds.screening.base import Context, finding
from rounds.screening.lexicons import COMMON_WORDS, STATES_AND_COUNTRIES
from rounds.screening.text import Prepared

logger = logging.getLogger(__name__)

MIN_SCORE = 0.5
NAME_MODELS = ("accurate", "fast")
_LABELS = {"NAME": SpanType.NAME, "LOCATION": SpanType.LOCATION}


class ModelNameRecognizer:
    name = "phi.ner_model.v1"

    def __init__(self, variant: str = "fast") -> None:
        """``fast`` (default): the perceptron tagger (v1); ``accurate``: v2, BiLSTM + perceptron, higher
        name/place recall on real tweets at about a third of the throughput (docs/ner.md)."""
        self._tagger: Any = None
        self.available = False
        try:
            from rounds.screening.ner import load_tagger, load_v1_tagger

            if variant not in NAME_MODELS:
                raise ValueError(f"unknown name model {variant!r}; use one of {', '.join(NAME_MODELS)}")
            self._tagger = load_v1_tagger() if variant == "fast" else load_tagger()
            self.name = f"phi.ner_model.v1+{getattr(self._tagger, 'component', 'ner')}"
            self.available = True
        except ValueError:
            raise
        except Exception as error:
            logger.info(
                "name/place model not loaded (%s); using lexicons and context only", type(error).__name__
            )

    def find(self, prepared: Prepared, context: Context) -> list[Finding]:
        if self._tagger is None:
            return []
        return self._findings(prepared.folded, self._tagger.tag(prepared.folded))

    def find_many(self, prepared: list[Prepared], contexts: list[Context]) -> list[list[Finding]]:
        """A batch in one ``tag_many`` call (a batched tagger amortizes its work over the texts)."""
        if self._tagger is None:
            return [[] for _ in prepared]
        texts = [item.folded for item in prepared]
        tagged = self._tagger.tag_many(texts)
        return [self._findings(text, spans) for text, spans in zip(texts, tagged, strict=True)]

    def _findings(self, text: str, spans: Any) -> list[Finding]:
        out: list[Finding] = []
        for span in spans:
            span_type = _LABELS.get(str(span.label))
            if span_type is None or float(span.score) < MIN_SCORE:
                continue
            value = text[span.start : span.end].strip().lower()
            if not value or value in COMMON_WORDS or value.startswith(("@", "#", "http")):
                continue
            if span_type is SpanType.LOCATION and (
                value in STATES_AND_COUNTRIES or text[span.start : span.end].islower()
            ):
                continue
            out.append(
                finding(
                    span.start,
                    span.end,
                    span_type,
                    self.name,
                    "model." + span_type.lower(),
                    "The name/place model reads this as a person's name."
                    if span_type is SpanType.NAME
                    else "The name/place model reads this as a place below state level.",
                    float(span.score),
                )
            )
        return out
