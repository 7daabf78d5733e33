"""Screening domain objects: what the screening engine reads and returns.

``Finding`` is one typed span with the component that produced it and a sentence a communications person
understands. ``Screening`` is the post-level result: a :class:`Verdict` with reasons, the findings, a safe
rewrite and, for replies, a take-it-offline template. ``ScreeningProfile`` holds the organization's own facts
(its names, handles, public contacts, listed staff) and ``Policy`` its rules, each with a mode and a reason.

Findings and results are plain slotted dataclasses (the engine builds thousands per second); the organization
configuration is pydantic so it can be stored as JSON per organization and validated when loaded.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator


class Verdict(StrEnum):
    """Post-level decision. Ordered: ``block`` > ``warn`` > ``ok``."""

    BLOCK = "block"
    WARN = "warn"
    OK = "ok"

    @property
    def rank(self) -> int:
        return _VERDICT_RANK[self]

    def at_least(self, other: Verdict) -> Verdict:
        """The stricter of the two verdicts."""
        return self if self.rank >= other.rank else other


_VERDICT_RANK = {Verdict.OK: 0, Verdict.WARN: 1, Verdict.BLOCK: 2}


class Kind(StrEnum):
    """What kind of text is screened. Outbound kinds are written by the organization or its staff."""

    POST = "post"
    REPLY = "reply"
    COMMENT = "comment"
    REVIEW_RESPONSE = "review_response"
    DM = "dm"
    DRAFT = "draft"

    @property
    def outbound(self) -> bool:
        return self is not Kind.COMMENT

    @property
    def answers_someone(self) -> bool:
        """Kinds that address a person, so they can confirm that person's relationship with the organization."""
        return self in (Kind.REPLY, Kind.REVIEW_RESPONSE, Kind.DM)

    @classmethod
    def parse(cls, value: str | Kind) -> Kind:
        """Accept our kinds and the dataset kinds (``staff_post``, ``public_comment``...)."""
        if isinstance(value, Kind):
            return value
        key = str(value).strip().lower().replace("-", "_").replace(" ", "_")
        key = _KIND_ALIASES.get(key, key)
        try:
            return cls(key)
        except ValueError:
            allowed = ", ".join(k.value for k in cls)
            raise ValueError(f"unknown kind {value!r}; expected one of: {allowed}") from None


_KIND_ALIASES = {
    "staff_post": "post",
    "public_comment": "comment",
    "inbound": "comment",
    "review_reply": "review_response",
    "direct_message": "dm",
    "message": "dm",
}


class SpanType(StrEnum):
    """Span types: the identifier types of the screening data sets plus non-identifier kinds."""

    NAME = "NAME"
    HANDLE = "HANDLE"
    AGE = "AGE"
    DATE = "DATE"
    PHONE = "PHONE"
    FAX = "FAX"
    EMAIL = "EMAIL"
    URL = "URL"
    IP = "IP"
    SSN = "SSN"
    MRN = "MRN"
    HEALTH_PLAN = "HEALTH_PLAN"
    ACCOUNT = "ACCOUNT"
    LICENSE = "LICENSE"
    VEHICLE = "VEHICLE"
    DEVICE = "DEVICE"
    OTHER_ID = "OTHER_ID"
    LOCATION = "LOCATION"
    FACILITY_UNIT = "FACILITY_UNIT"
    ROOM_BED = "ROOM_BED"
    BIOMETRIC = "BIOMETRIC"
    # Non-identifier kinds: health context, policy findings, component errors.
    CONDITION = "CONDITION"
    MEDICATION = "MEDICATION"
    CARE_EVENT = "CARE_EVENT"
    POLICY = "POLICY"
    ERROR = "ERROR"

    @property
    def identifier(self) -> bool:
        return self not in _NON_IDENTIFIERS


_NON_IDENTIFIERS = frozenset(
    {SpanType.CONDITION, SpanType.MEDICATION, SpanType.CARE_EVENT, SpanType.POLICY, SpanType.ERROR}
)


@dataclass(slots=True)
class Finding:
    """One typed span. ``start``/``end`` are character offsets into the screened text (Python str indexing)."""

    start: int
    end: int
    type: SpanType
    component: str
    rule: str
    score: float
    explanation: str
    # True when the span belongs to the organization or a listed staff member / public figure.
    organizational: bool = False

    def to_dict(self, text: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {
            "start": self.start,
            "end": self.end,
            "type": str(self.type),
            "component": self.component,
            "rule": self.rule,
            "score": round(self.score, 3),
            "explanation": self.explanation,
        }
        if self.organizational:
            body["organizational"] = True
        if text is not None:
            body["text"] = text[self.start : self.end]
        return body


@dataclass(slots=True)
class Screening:
    """The post-level result of screening one text."""

    verdict: Verdict
    reasons: list[str]
    findings: list[Finding]
    rewrite: str
    kind: Kind
    offline_template: str | None = None
    patient_linked: bool = False
    relationship_confirmation: bool = False
    quasi_identifier_score: float = 0.0
    components: list[str] = field(default_factory=list)

    @property
    def identifiers(self) -> list[Finding]:
        return [f for f in self.findings if f.type.identifier]

    def to_dict(self) -> dict[str, Any]:
        return {
            "verdict": str(self.verdict),
            "kind": str(self.kind),
            "reasons": list(self.reasons),
            "findings": [f.to_dict() for f in self.findings],
            "rewrite": self.rewrite,
            "offline_template": self.offline_template,
            "patient_linked": self.patient_linked,
            "relationship_confirmation": self.relationship_confirmation,
            "quasi_identifier_score": round(self.quasi_identifier_score, 3),
            "components": list(self.components),
        }


@dataclass(slots=True, frozen=True)
class ThreadContext:
    """The post a text answers: its text, its author, and whether that author is the organization."""

    text: str = ""
    author: str | None = None
    is_organization: bool = False

    @classmethod
    def coerce(cls, value: ThreadContext | str | dict[str, Any] | None) -> ThreadContext | None:
        """Build from the accepted shapes: a context, the parent's text, or {"text","author","is_organization"}."""
        if value is None or isinstance(value, ThreadContext):
            return value
        if isinstance(value, str):
            return cls(text=value) if value.strip() else None
        if isinstance(value, dict):
            text = value.get("text") or ""
            author = value.get("author")
            if not isinstance(text, str):
                raise ValueError("context.text must be a string")
            if author is not None and not isinstance(author, str):
                raise ValueError("context.author must be a string")
            return cls(text=text, author=author, is_organization=bool(value.get("is_organization", False)))
        raise ValueError("context must be a string, an object {text, author, is_organization} or null")


class ScreeningProfile(BaseModel):
    """Facts about the organization. Its own names, handles and contacts are not patient identifiers; listed
    staff and public figures are not patients."""

    model_config = ConfigDict(extra="forbid")

    organization_names: list[str] = Field(default_factory=list)
    handles: list[str] = Field(default_factory=list)
    phones: list[str] = Field(default_factory=list)
    emails: list[str] = Field(default_factory=list)
    urls: list[str] = Field(default_factory=list)
    staff_names: list[str] = Field(default_factory=list)
    public_figures: list[str] = Field(default_factory=list)
    patient_relations_contact: str = "our Patient Relations team"

    @field_validator("handles")
    @classmethod
    def _handles(cls, value: list[str]) -> list[str]:
        return [h if h.startswith("@") else "@" + h for h in (v.strip() for v in value) if h]


class RuleMode(StrEnum):
    BLOCK = "block"
    WARN = "warn"
    OFF = "off"


class PolicyRule(BaseModel):
    model_config = ConfigDict(extra="forbid")

    mode: RuleMode
    reason: str = Field(min_length=1)


def _rule(mode: RuleMode, reason: str) -> PolicyRule:
    return PolicyRule(mode=mode, reason=reason)


class Policy(BaseModel):
    """Organization policy rules (FSMB/AMA social-media guidance). Each has a mode and a reason; the default
    is documented in docs/screening.md."""

    model_config = ConfigDict(extra="forbid")

    medical_advice: PolicyRule = Field(
        default_factory=lambda: _rule(
            RuleMode.WARN,
            "Individual medical advice on social media creates a care relationship; move it to a visit.",
        )
    )
    undisclosed_employment: PolicyRule = Field(
        default_factory=lambda: _rule(
            RuleMode.WARN,
            "Employees who praise or promote the organization must disclose that they work there.",
        )
    )
    patient_story_authorization: PolicyRule = Field(
        default_factory=lambda: _rule(
            RuleMode.BLOCK,
            "A patient story or testimonial needs the patient's written authorization on file before it is posted.",
        )
    )
    unprofessional_language: PolicyRule = Field(
        default_factory=lambda: _rule(
            RuleMode.WARN,
            "Derogatory or mocking language about patients breaks the professionalism policy.",
        )
    )
    review_incentives: PolicyRule = Field(
        default_factory=lambda: _rule(
            RuleMode.BLOCK,
            "Offering rewards for reviews breaks platform rules and consumer-protection law.",
        )
    )
    identifier_requests: PolicyRule = Field(
        default_factory=lambda: _rule(
            RuleMode.WARN,
            "Asking someone to post identifiers or clinical details in public exposes them; move to a private channel.",
        )
    )

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> Policy:
        """Build from stored JSON; rules that are missing keep their default."""
        return cls.model_validate(data or {})

    def rules(self) -> dict[str, PolicyRule]:
        return {name: getattr(self, name) for name in type(self).model_fields}
