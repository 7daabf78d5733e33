"""Health context: conditions, medications, procedures and care events, with negation, hypotheticals and
whose health it is (the writer's own or a patient's)."""

from __future__ import annotations

import functools
import re

import ahocorasick

from rounds.domain.screening import Finding, SpanType
from rounds.screening.base import Context, finding
from rounds.screening.gate import cue_pattern
from rounds.screening.lexicons import CARE_EVENTS, CONDITIONS, MEDICATIONS, PROCEDURES
from rounds.screening.text import Prepared

_I = re.IGNORECASE
_NEGATION = cue_pattern(
    r"\b(?:no|not|never|denies|denied|without|negative\s+for|ruled\s+out|free\s+of|sin|nunca)\s+(?:\w+\s+){0,2}$",
    _I,
)
_HYPOTHETICAL = cue_pattern(
    r"\b(?:if\s+you|if\s+your|signs?\s+of|symptoms?\s+of|risk\s+of|prevent(?:ing)?|awareness|screenings?\s+for|"
    r"learn\s+about|know\s+the|what\s+is|could|might|may\s+have|in\s+case\s+of|vaccin\w*\s+(?:against|for)|"
    r"protect\s+(?:yourself|against))\s+(?:\w+\s+){0,2}$",
    _I,
)
# Medical shorthand that is a condition only in upper case ("PE", "MI", "ED" is not listed).
_UPPER_ONLY = frozenset(
    {"pe", "mi", "aids", "std", "tbi", "gsw", "dka", "chf", "copd", "uti", "rsv", "dnr", "pt"}
)


@functools.cache
def health_automaton() -> ahocorasick.Automaton:
    automaton = ahocorasick.Automaton()
    for terms, span_type in (
        (CARE_EVENTS, SpanType.CARE_EVENT),
        (MEDICATIONS, SpanType.MEDICATION),
        (PROCEDURES, SpanType.CONDITION),
        (CONDITIONS, SpanType.CONDITION),
    ):
        for term in terms:
            automaton.add_word(term, (term, str(span_type)))
    automaton.make_automaton()
    return automaton


_EXPLANATIONS = {
    SpanType.CONDITION: "Health information: a condition, symptom or procedure.",
    SpanType.MEDICATION: "Health information: a medication.",
    SpanType.CARE_EVENT: "A care event or patient cue: it says someone is or was a patient.",
}


class HealthRecognizer:
    name = "health.context.v1"

    def __init__(self) -> None:
        self._automaton = health_automaton()

    def find(self, prepared: Prepared, context: Context) -> list[Finding]:
        text, lower = prepared.folded, prepared.lower
        out: list[Finding] = []
        negation, hypothetical = _NEGATION.possible(prepared.cues), _HYPOTHETICAL.possible(prepared.cues)
        for end_index, (term, type_name) in self._automaton.iter_long(lower):
            start = end_index - len(term) + 1
            end = end_index + 1
            if (start > 0 and (lower[start - 1].isalnum())) or (end < len(lower) and lower[end].isalnum()):
                continue
            if term in _UPPER_ONLY and not text[start:end].isupper():
                continue
            span_type = SpanType(type_name)
            rule = "lexicon." + span_type.lower()
            score = 0.9
            if negation and _NEGATION.regex.search(lower, max(0, start - 40), start):
                rule += ".negated"
                score = 0.3
            elif hypothetical and _HYPOTHETICAL.regex.search(lower, max(0, start - 40), start):
                rule += ".generic"
                score = 0.5
            out.append(finding(start, end, span_type, self.name, rule, _EXPLANATIONS[span_type], score))
        return out
