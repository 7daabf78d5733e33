"""The one shape every screening component shares, and the one place components are registered.

A recognizer reads a :class:`~rounds.screening.text.Prepared` text (tokenized once) and the screening
:class:`Context`, and returns findings with offsets into the folded text; the engine maps them back. Adding a
recognizer is one class and one line in :data:`RECOGNIZERS` (see ``engine.py``). A recognizer whose work is
cheaper in batches may also define ``find_many`` (:class:`BatchRecognizer`); ``Screener.screen_many`` calls it
once per batch, and falls back to ``find`` text by text when it raises.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from rounds.domain.screening import Finding, Kind, ScreeningProfile, SpanType, ThreadContext
from rounds.screening.text import Prepared


@dataclass(slots=True)
class Context:
    """What a recognizer may know besides the text."""

    kind: Kind
    profile: ScreeningProfile
    thread: ThreadContext | None = None
    # Lower-cased organization facts, precomputed once per Screener.
    org_handles: frozenset[str] = field(default_factory=frozenset)
    org_contacts: frozenset[str] = field(default_factory=frozenset)
    known_people: frozenset[str] = field(default_factory=frozenset)
    org_names: tuple[str, ...] = ()


class Recognizer(Protocol):
    """A component: ``name`` is versioned (``phi.phone.v1``); a behaviour change is a new version."""

    name: str

    def find(self, prepared: Prepared, context: Context) -> list[Finding]: ...


class BatchRecognizer(Recognizer, Protocol):
    """A component that can also screen a batch: one list of findings per text, in order."""

    def find_many(self, prepared: list[Prepared], contexts: list[Context]) -> list[list[Finding]]: ...


def finding(
    start: int,
    end: int,
    span_type: SpanType,
    component: str,
    rule: str,
    explanation: str,
    score: float = 0.9,
) -> Finding:
    return Finding(
        start=start,
        end=end,
        type=span_type,
        component=component,
        rule=rule,
        score=score,
        explanation=explanation,
    )
