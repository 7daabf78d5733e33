"""The screening engine: run the registered components once per text, resolve overlaps, judge, rewrite.

Fail closed: a component that raises on a text records an ``ERROR`` finding and the verdict is at least
``warn``. Bad input (not a string, too long) raises :class:`~rounds.domain.errors.BadInput` with a hint.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from rounds.domain.errors import BadInput
from rounds.domain.screening import (
    Finding,
    Kind,
    Policy,
    Screening,
    ScreeningProfile,
    SpanType,
    ThreadContext,
    Verdict,
)
from rounds.screening.base import Context, Recognizer, finding
from rounds.screening.health import HealthRecognizer
from rounds.screening.identifiers import ContactRecognizer, NumberRecognizer, digits_only, url_host
from rounds.screening.judge import judge
from rounds.screening.model_names import ModelNameRecognizer
from rounds.screening.names import NameRecognizer
from rounds.screening.places import PlaceRecognizer
from rounds.screening.rewrite import offline_template, rewrite
from rounds.screening.temporal import AgeRecognizer, DateRecognizer
from rounds.screening.text import Prepared, prepare

logger = logging.getLogger(__name__)

MAX_CHARS = 1_000_000

# The one registration place for recognizers (CONVENTIONS.md 4). Order is priority on overlaps.
RECOGNIZERS: tuple[Callable[[], Recognizer], ...] = (
    ContactRecognizer,
    NumberRecognizer,
    DateRecognizer,
    AgeRecognizer,
    PlaceRecognizer,
    NameRecognizer,
    ModelNameRecognizer,
    HealthRecognizer,
)

# When two identifier spans overlap, the higher priority wins (exact patterns before lexicons and models).
_PRIORITY = {
    SpanType.EMAIL: 0,
    SpanType.URL: 1,
    SpanType.HANDLE: 2,
    SpanType.SSN: 3,
    SpanType.PHONE: 4,
    SpanType.FAX: 4,
    SpanType.MRN: 5,
    SpanType.HEALTH_PLAN: 5,
    SpanType.ACCOUNT: 5,
    SpanType.LICENSE: 5,
    SpanType.VEHICLE: 5,
    SpanType.DEVICE: 5,
    SpanType.IP: 5,
    SpanType.OTHER_ID: 6,
    SpanType.ROOM_BED: 7,
    SpanType.AGE: 8,
    SpanType.DATE: 9,
    SpanType.FACILITY_UNIT: 10,
    SpanType.LOCATION: 11,
    SpanType.NAME: 12,
    SpanType.BIOMETRIC: 13,
}


def _organization_facts(profile: ScreeningProfile) -> dict[str, Any]:
    contacts = {email.lower() for email in profile.emails}
    contacts |= {digits_only(phone)[-10:] for phone in profile.phones}
    contacts |= {host for host in map(url_host, profile.urls) if host}
    return {
        "org_handles": frozenset(h.lower() for h in profile.handles),
        "org_contacts": frozenset(contacts),
        "known_people": frozenset(name.lower() for name in (*profile.staff_names, *profile.public_figures)),
        "org_names": tuple(name.lower() for name in profile.organization_names if name.strip()),
    }


class Screener:
    """Load lexicons and models once; screen many texts."""

    def __init__(
        self,
        profile: ScreeningProfile | None = None,
        policy: Policy | None = None,
        *,
        name_model: str = "fast",
    ) -> None:
        """``name_model``: ``fast`` (default) or ``accurate`` — which trained name/place tagger to use."""
        self.profile = profile or ScreeningProfile()
        self.policy = policy or Policy()
        self._facts = _organization_facts(self.profile)
        self.recognizers: list[Recognizer] = [
            ModelNameRecognizer(name_model) if factory is ModelNameRecognizer else factory()
            for factory in RECOGNIZERS
        ]
        self.recognizers = [r for r in self.recognizers if getattr(r, "available", True)]

    @property
    def components(self) -> list[str]:
        return [r.name for r in self.recognizers]

    def screen(
        self,
        text: str,
        kind: str | Kind = Kind.POST,
        context: ThreadContext | str | dict[str, Any] | None = None,
    ) -> Screening:
        request = self._request(text, kind, context)
        if request.empty:
            return self._empty(request)
        prepared = prepare(request.text)
        return self._finish(request, prepared, self._findings(prepared, request.context))

    def screen_many(self, items: Iterable[Mapping[str, Any] | str]) -> list[Screening]:
        """Screen a batch: strings, or mappings with "text" and optional "kind" and "context".

        Every item is checked first (a bad one raises :class:`BadInput`, as :meth:`screen` would); components
        that can work on a whole batch (the name tagger's ``tag_many``) are called once for it."""
        requests: list[_Request] = []
        for item in items:
            if isinstance(item, str):
                requests.append(self._request(item, Kind.POST, None))
            else:
                text: Any = item.get("text")
                requests.append(self._request(text, item.get("kind") or Kind.POST, item.get("context")))
        work = [
            (i, request, prepare(request.text)) for i, request in enumerate(requests) if not request.empty
        ]
        raw: list[list[Finding]] = [[] for _ in work]
        for recognizer in self.recognizers:
            batch = getattr(recognizer, "find_many", None)
            found: list[list[Finding]] | None = None
            if batch is not None and len(work) > 1:
                try:
                    found = batch([p for _, _, p in work], [r.context for _, r, _ in work])
                except (
                    Exception
                ) as error:  # one text may be the cause: retry one by one, failing closed per text
                    logger.warning(
                        "screening component %s failed on a batch: %s", recognizer.name, type(error).__name__
                    )
                    found = None
                if found is not None and len(found) != len(work):
                    found = None
            for index, (_, request, prepared) in enumerate(work):
                if found is not None:
                    raw[index].extend(found[index])
                else:
                    raw[index].extend(_run(recognizer, prepared, request.context))
        results: list[Screening | None] = [None] * len(requests)
        for (position, request, prepared), findings in zip(work, raw, strict=True):
            results[position] = self._finish(request, prepared, _mapped(prepared, findings))
        return [
            result if result is not None else self._empty(request)
            for result, request in zip(results, requests, strict=True)
        ]

    def _request(
        self, text: Any, kind: str | Kind, context: ThreadContext | str | dict[str, Any] | None
    ) -> _Request:
        if isinstance(text, bytes | bytearray):
            raise BadInput(
                "Text must be decoded before screening.",
                hint="Decode the bytes as UTF-8 (invalid bytes are replaced with U+FFFD) and screen the string.",
            )
        if not isinstance(text, str):
            raise BadInput("Text must be a string.", hint="Pass the post text as a string.")
        if len(text) > MAX_CHARS:
            raise BadInput(
                f"Text is too long to screen ({len(text):,} characters; the limit is {MAX_CHARS:,}).",
                hint="Split the text into posts and screen each one.",
            )
        try:
            parsed_kind = Kind.parse(kind)
            thread = ThreadContext.coerce(context)
        except ValueError as error:
            raise BadInput(str(error), hint="Check the kind and context fields.") from None
        screen_context = Context(kind=parsed_kind, profile=self.profile, thread=thread, **self._facts)
        return _Request(text, parsed_kind, thread, screen_context, not text.strip())

    def _empty(self, request: _Request) -> Screening:
        return Screening(
            verdict=Verdict.OK,
            reasons=["The text is empty: there is nothing to screen."],
            findings=[],
            rewrite=request.text,
            kind=request.kind,
            components=self.components,
        )

    def _finish(self, request: _Request, prepared: Prepared, findings: list[Finding]) -> Screening:
        text, parsed_kind, thread = request.text, request.kind, request.thread
        # The parent post is read as text (echoed details, units, dates); its own findings are not needed.
        context_text = thread.text if thread and not thread.is_organization else ""
        errors = [f for f in findings if f.type is SpanType.ERROR]
        # The judge reads the caller's text; the folded text's cue mask stands for it when folding changed nothing.
        mask = prepared.cues if prepared.folded is text else None
        judged = judge(text, parsed_kind, findings, context_text, self.policy, mask)
        verdict, reasons = judged.verdict, judged.reasons
        if errors:
            verdict = verdict.at_least(Verdict.WARN)
            reasons = [*reasons, "A screening component failed on this text, so it needs a person's review."]
            if len(reasons) > 1 and reasons[0] == "Nothing patient-specific is disclosed.":
                reasons = reasons[1:]
        all_findings = sorted([*findings, *judged.extra], key=lambda f: (f.start, f.end))
        template = offline_template(self.profile) if parsed_kind.answers_someone else None
        return Screening(
            verdict=verdict,
            reasons=reasons,
            findings=all_findings,
            rewrite=rewrite(text, findings, judged.patient_linked),
            kind=parsed_kind,
            offline_template=template,
            patient_linked=judged.patient_linked,
            relationship_confirmation=judged.relationship_confirmation,
            quasi_identifier_score=judged.quasi_score,
            components=self.components,
        )

    def _findings(self, prepared: Prepared, context: Context) -> list[Finding]:
        if not prepared.original:
            return []
        raw: list[Finding] = []
        for recognizer in self.recognizers:
            raw.extend(_run(recognizer, prepared, context))
        return _mapped(prepared, raw)


@dataclass(slots=True)
class _Request:
    """One checked input: the text, its kind and thread, and the recognizers' context."""

    text: str
    kind: Kind
    thread: ThreadContext | None
    context: Context
    empty: bool


def _run(recognizer: Recognizer, prepared: Prepared, context: Context) -> list[Finding]:
    """One component on one text; a failure becomes an ERROR finding (fail closed), never an exception."""
    try:
        return recognizer.find(prepared, context)
    except Exception as error:
        logger.warning("screening component %s failed: %s", recognizer.name, type(error).__name__)
        return [
            finding(
                0,
                0,
                SpanType.ERROR,
                recognizer.name,
                "component.error",
                f"The {recognizer.name} check failed on this text ({type(error).__name__}); "
                "a person should review it.",
                1.0,
            )
        ]


def _mapped(prepared: Prepared, raw: list[Finding]) -> list[Finding]:
    """Findings mapped from the folded text to the caller's offsets, overlaps resolved."""
    for item in raw:
        if item.type is not SpanType.ERROR:
            item.start, item.end = prepared.span(item.start, item.end)
    return _resolve(raw)


def _resolve(findings: list[Finding]) -> list[Finding]:
    """Keep one identifier per overlapping region (priority, then length); health spans overlapping an
    identifier are kept (they are context, not identifiers)."""
    identifiers = [f for f in findings if f.type.identifier]
    others = [f for f in findings if not f.type.identifier]
    identifiers.sort(
        key=lambda f: (
            _PRIORITY.get(f.type, 20) + (10 if f.rule.startswith("model.") else 0),
            -(f.end - f.start),
            -f.score,
        )
    )
    kept: list[Finding] = []
    for item in identifiers:
        if item.end <= item.start:
            continue
        clash = next((k for k in kept if item.start < k.end and k.start < item.end), None)
        if clash is None:
            kept.append(item)
        elif item.organizational and not clash.organizational and clash.type is item.type:
            clash.organizational = True
    health: list[Finding] = []
    for item in sorted(others, key=lambda f: (f.start, -(f.end - f.start))):
        if item.type in (SpanType.ERROR, SpanType.POLICY):
            health.append(item)
            continue
        if any(item.start < k.end and k.start < item.end for k in kept if k.type is not SpanType.NAME):
            continue
        if any(item.start >= h.start and item.end <= h.end for h in health if h.type is not SpanType.ERROR):
            continue
        health.append(item)
    # Names that are really condition words ("Parkinson's disease") give way to health context.
    kept = [
        k
        for k in kept
        if not (
            k.type is SpanType.NAME
            and k.rule.startswith("lexicon")
            and any(h.start <= k.start and k.end <= h.end for h in health if h.type is SpanType.CONDITION)
        )
    ]
    return sorted([*kept, *health], key=lambda f: (f.start, f.end))
