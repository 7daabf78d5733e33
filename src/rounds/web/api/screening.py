"""API: screen drafts (single and batch) and the organization's screening settings.

Screening is not a state change, but it is a POST: the text belongs in a body, never in a URL or an access log.
Like every unsafe call it needs the session's CSRF token.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body
from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag

from rounds.domain.screening import Kind, Screening, SpanType, Verdict
from rounds.services import screening
from rounds.services.screening import ScreeningSettings, ScreeningSettingsInput, TextToScreen
from rounds.web.api.models import ERROR_RESPONSES
from rounds.web.context import ActorDep, DbDep, OriginDep

router = APIRouter(tags=["screening"], responses=ERROR_RESPONSES)


class ThreadContextBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(default="", description="The parent post's text.")
    author: str | None = Field(default=None, description="The parent post's author (a handle or name).")
    is_organization: bool = Field(
        default=False, description="Whether the organization wrote the parent post."
    )


class ScreenItem(BaseModel):
    """One text to screen."""

    model_config = ConfigDict(extra="forbid")

    text: str = Field(description="The draft (at most 1 MB, not empty). Never stored or logged.")
    kind: Kind = Field(default=Kind.POST, description="What the text is.")
    context: ThreadContextBody | str | None = Field(
        default=None, description="The post it answers: its text, or {text, author, is_organization}."
    )
    id: str | None = Field(default=None, max_length=200, description="Your id, echoed in a batch's results.")


class ScreenBatch(BaseModel):
    """Up to 500 texts, screened in order."""

    model_config = ConfigDict(extra="forbid")

    items: list[ScreenItem] = Field(description=f"At most {screening.MAX_BATCH_ITEMS} items.")


def _shape(value: Any) -> str:
    """Which body this is: a batch has ``items``; anything else is validated as a single text."""
    if isinstance(value, ScreenBatch) or (isinstance(value, dict) and "items" in value):
        return "batch"
    return "single"


ScreenRequest = Annotated[
    Annotated[ScreenItem, Tag("single")] | Annotated[ScreenBatch, Tag("batch")],
    Discriminator(_shape),
]


class FindingOut(BaseModel):
    start: int = Field(description="Character offset (Python str index) where the span starts.")
    end: int
    type: SpanType
    component: str = Field(description="The component and its version, e.g. phi.names.v2.")
    rule: str
    score: float
    explanation: str
    organizational: bool = Field(
        default=False, description="The organization's own name, handle or contact, or a listed person."
    )


class ScreeningOut(BaseModel):
    id: str | None = None
    verdict: Verdict
    kind: Kind
    reasons: list[str]
    findings: list[FindingOut]
    rewrite: str = Field(description="A safer version: identifiers removed or generalized.")
    offline_template: str | None = Field(
        description="For replies, review responses and DMs: take it offline."
    )
    patient_linked: bool
    relationship_confirmation: bool
    quasi_identifier_score: float
    components: list[str]

    @classmethod
    def of(cls, result: Screening, item_id: str | None = None) -> ScreeningOut:
        return cls.model_validate({**result.to_dict(), "id": item_id})


class ScreeningBatchOut(BaseModel):
    results: list[ScreeningOut]


def _context(value: ThreadContextBody | str | None) -> dict[str, Any] | str | None:
    return value.model_dump() if isinstance(value, ThreadContextBody) else value


@router.post(
    "/screen",
    response_model=ScreeningOut | ScreeningBatchOut,
    summary="Screen a draft, or a batch of up to 500",
    description="Send `{text, kind, context}` for one text, or `{items: [...]}` for a batch. Screening uses "
    "the organization's profile and policy; nothing is stored or logged.",
)
def screen(
    body: Annotated[ScreenRequest, Body()], db: DbDep, actor: ActorDep
) -> ScreeningOut | ScreeningBatchOut:
    if isinstance(body, ScreenBatch):
        items = [TextToScreen(item.text, item.kind, _context(item.context)) for item in body.items]
        results = screening.screen_batch(db, actor, items)
        return ScreeningBatchOut(
            results=[
                ScreeningOut.of(result, item.id) for result, item in zip(results, body.items, strict=True)
            ]
        )
    result = screening.screen_text(db, actor, body.text, body.kind, _context(body.context))
    return ScreeningOut.of(result, body.id)


@router.get("/screening/settings", response_model=ScreeningSettings)
def read_settings(db: DbDep, actor: ActorDep) -> ScreeningSettings:
    return screening.get_screening_settings(db, actor)


@router.put("/screening/settings", response_model=ScreeningSettings)
def update_settings(
    body: ScreeningSettingsInput, db: DbDep, actor: ActorDep, origin: OriginDep
) -> ScreeningSettings:
    return screening.do_update_screening_settings(db, actor, body, origin=origin)
