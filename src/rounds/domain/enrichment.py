"""What enrichment says about a post: typed results that carry their component names, versions and reasons.

Every value here is traceable (DESIGN.md "Every verdict is explainable and traceable"): an
:class:`Explanation` names the versioned component that produced it (``enrich.sentiment.v1``), what it
decided and why, in words a person can check. Explanations never quote post text.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field


class Sentiment(StrEnum):
    NEGATIVE = "negative"
    NEUTRAL = "neutral"
    POSITIVE = "positive"


class Intent(StrEnum):
    COMPLAINT = "complaint"
    PRAISE = "praise"
    QUESTION = "question"
    APPOINTMENT_REQUEST = "appointment_request"
    ADVERSE_DRUG_EVENT = "adverse_drug_event"
    MISINFORMATION = "misinformation"
    EMERGENCY_SELF_HARM = "emergency_self_harm"
    OTHER = "other"


class AuthorKind(StrEnum):
    ORGANIZATION = "organization"
    CLINICIAN = "clinician"
    PATIENT_PUBLIC = "patient_public"
    MEDIA = "media"
    BOT = "bot"


class Explanation(BaseModel):
    """Why one component decided what it did."""

    model_config = ConfigDict(frozen=True)

    component: str = Field(description="Versioned component name, e.g. enrich.sentiment.v1")
    decision: str = Field(description="What was decided, e.g. 'negative' or 'complaint'")
    score: float | None = Field(
        default=None, description="The score the decision rests on, when there is one"
    )
    reason: str = Field(description="Human-readable reason; never quotes post text")
    evidence: tuple[str, ...] = Field(
        default=(), description="Short cues or features that weighed most (model features, lexicon cues)"
    )


Model = TypeVar("Model", bound=BaseModel)


def trusted(model: type[Model], values: dict[str, Any]) -> Model:
    """An instance of ``model`` from already typed values, without validation (enrichment hot loop only).

    ``values`` must hold every field with a value of its declared type; the result then equals
    ``model(**values)``. Every field counts as set.
    """
    made = object.__new__(model)
    object.__setattr__(made, "__dict__", values)
    object.__setattr__(made, "__pydantic_fields_set__", set(values))
    object.__setattr__(made, "__pydantic_extra__", None)
    object.__setattr__(made, "__pydantic_private__", None)
    return made


def explanation(
    *,
    component: str,
    decision: str,
    reason: str,
    score: float | None = None,
    evidence: tuple[str, ...] = (),
) -> Explanation:
    """An :class:`Explanation` built without validation, for the enrichment hot loop (several per post).

    The arguments are typed and the components pass plain ``str``, ``float`` and tuples of ``str``, which is
    all validation would check; the result equals ``Explanation(...)`` with the same values.
    """
    return trusted(
        Explanation,
        {
            "component": component,
            "decision": decision,
            "score": score,
            "reason": reason,
            "evidence": evidence,
        },
    )


class ComponentFailure(BaseModel):
    """A component that failed on this post: recorded, and the rest of the enrichment went on."""

    model_config = ConfigDict(frozen=True)

    component: str
    error: str


class Enrichment(BaseModel):
    """Everything the enrichment pipeline says about one post."""

    model_config = ConfigDict(frozen=True)

    language: str = "und"
    language_confidence: float = 0.0
    sentiment: Sentiment = Sentiment.NEUTRAL
    sentiment_scores: dict[str, float] = Field(default_factory=dict)
    intents: tuple[Intent, ...] = (Intent.OTHER,)
    intent_scores: dict[str, float] = Field(default_factory=dict)
    author_kind: AuthorKind = AuthorKind.PATIENT_PUBLIC
    influence: float = Field(default=0.0, ge=0.0, le=100.0)
    components: dict[str, str] = Field(
        default_factory=dict, description="Component name -> version that contributed, e.g. sentiment -> v1"
    )
    explanations: tuple[Explanation, ...] = ()
    failures: tuple[ComponentFailure, ...] = ()

    @property
    def component_versions(self) -> list[str]:
        """Versioned names (``enrich.sentiment.v1``) of every component that ran."""
        return [f"enrich.{name}.{version}" for name, version in sorted(self.components.items())]

    def has_intent(self, intent: Intent) -> bool:
        return intent in self.intents


class AlertKind(StrEnum):
    VOLUME_SPIKE = "volume_spike"
    NEGATIVE_SPIKE = "negative_spike"
    EMERGING_TERM = "emerging_term"
    EMERGENCY = "emergency"


class SignalAlert(BaseModel):
    """One alert raised by the listening signals on a topic's stream."""

    model_config = ConfigDict(frozen=True)

    at: datetime = Field(description="created_at of the post that raised the alert")
    kind: AlertKind
    score: float = Field(
        description="Strength: -log10 p-value for spikes and terms, intent score for emergencies"
    )
    reason: str = Field(description="Human-readable reason; never quotes post text")
    component: str = Field(description="Versioned signal component, e.g. signals.volume.v1")
    post_id: str | None = None
    term: str | None = None
