"""Screening pages: paste a draft and see its findings (``/screen``); the organization's screening settings
(``/settings/screening``).

The draft travels only in a POST body and comes back in the answer (``Cache-Control: no-store``); it is never
stored or logged. Highlights are rendered on the server as ``<mark>`` spans, so the page works without
JavaScript; the script only adds copy buttons.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import pairwise
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from rounds.domain.errors import ValidationFailed
from rounds.domain.roles import Permission
from rounds.domain.screening import Finding, Kind, Policy, RuleMode, Screening, SpanType
from rounds.services import screening
from rounds.services.context import Actor
from rounds.services.screening import ScreeningSettings, ScreeningSettingsInput
from rounds.web.context import ActorDep, DbDep, OriginDep
from rounds.web.forms import checkbox, parse_model
from rounds.web.rendering import render

router = APIRouter()

KIND_LABELS: dict[Kind, str] = {
    Kind.POST: "Post",
    Kind.REPLY: "Reply",
    Kind.COMMENT: "Comment (someone else's, inbound)",
    Kind.REVIEW_RESPONSE: "Review response",
    Kind.DM: "Direct message",
    Kind.DRAFT: "Draft",
}

# Highlight categories, strongest first: a span covered by several findings takes the first that applies.
CATEGORIES: dict[str, str] = {
    "identifier": "Identifying detail (name, handle, date, place, room, number…)",
    "policy": "Organization policy",
    "health": "Health or care detail",
    "organizational": "The organization's own, or listed staff / public figure (not a patient)",
}
_HEALTH = frozenset({SpanType.CONDITION, SpanType.MEDICATION, SpanType.CARE_EVENT})

RULE_LABELS: dict[str, str] = {
    "medical_advice": "Individual medical advice",
    "undisclosed_employment": "Undisclosed employment",
    "patient_story_authorization": "Patient story without authorization",
    "unprofessional_language": "Unprofessional language about patients",
    "review_incentives": "Incentives for reviews",
    "identifier_requests": "Asking for identifiers in public",
}


def category(item: Finding) -> str:
    if item.organizational:
        return "organizational"
    if item.type is SpanType.POLICY:
        return "policy"
    if item.type in _HEALTH:
        return "health"
    return "identifier"


@dataclass
class Segment:
    """A run of the text: plain, or covered by findings (numbered as in the findings table)."""

    text: str
    category: str = ""
    refs: list[int] = field(default_factory=list)
    title: str = ""


def highlight(text: str, findings: list[Finding]) -> list[Segment]:
    """Split ``text`` into plain and highlighted runs. Overlapping findings share a run; its category is the
    strongest of them (identifier > policy > health > organizational) and its title lists every explanation."""
    order = list(CATEGORIES)
    spans = [
        (index, item)
        for index, item in enumerate(findings, start=1)
        if 0 <= item.start < item.end <= len(text)
    ]
    cuts = sorted({0, len(text), *(i.start for _, i in spans), *(i.end for _, i in spans)})
    segments: list[Segment] = []
    for start, end in pairwise(cuts):
        covering = [(index, item) for index, item in spans if item.start <= start and end <= item.end]
        piece = text[start:end]
        if not covering:
            segment = Segment(piece)
        else:
            segment = Segment(
                piece,
                category=min((category(item) for _, item in covering), key=order.index),
                refs=[index for index, _ in covering],
                title=" · ".join(dict.fromkeys(item.explanation for _, item in covering)),
            )
        previous = segments[-1] if segments else None
        if previous is not None and previous.refs == segment.refs:
            previous.text += segment.text
        else:
            segments.append(segment)
    return segments


@dataclass
class ScreenForm:
    text: str = ""
    kind: str = Kind.POST.value
    context_text: str = ""
    context_author: str = ""
    context_is_organization: bool = False

    def context(self) -> dict[str, Any] | None:
        if not self.context_text.strip():
            return None
        return {
            "text": self.context_text,
            "author": self.context_author.strip() or None,
            "is_organization": self.context_is_organization,
        }


def _screen_page(
    request: Request,
    actor: Actor,
    form: ScreenForm,
    result: Screening | None = None,
    error: Exception | None = None,
) -> Response:
    findings_rows = []
    if result is not None:
        for index, item in enumerate(result.findings, start=1):
            findings_rows.append(
                {
                    "number": index,
                    "finding": item,
                    "category": category(item),
                    "excerpt": form.text[item.start : item.end],
                }
            )
    segments = highlight(form.text, result.findings) if result is not None else []
    present = {segment.category for segment in segments if segment.category}
    response = render(
        request,
        "screening/screen.html",
        {
            "title": "Screen a draft",
            "form": form,
            "kinds": [(kind.value, label) for kind, label in KIND_LABELS.items()],
            "result": result,
            "segments": segments,
            "findings_rows": findings_rows,
            "legend": [(key, label) for key, label in CATEGORIES.items() if key in present],
            "error": error,
            "can_manage_settings": actor.can(Permission.MANAGE_SCREENING_POLICY),
        },
        status_code=getattr(error, "status", 200),
        section="screen",
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@router.get("/screen")
def screen_form(request: Request, actor: ActorDep) -> Response:
    screening.check_can_screen(actor)
    return _screen_page(request, actor, ScreenForm())


@router.post("/screen")
def screen_submit(
    request: Request,
    db: DbDep,
    actor: ActorDep,
    text: Annotated[str, Form()] = "",
    kind: Annotated[str, Form()] = Kind.POST.value,
    context_text: Annotated[str, Form()] = "",
    context_author: Annotated[str, Form()] = "",
    context_is_organization: Annotated[str | None, Form()] = None,
) -> Response:
    form = ScreenForm(text, kind, context_text, context_author, checkbox(context_is_organization))
    try:
        result = screening.screen_text(db, actor, form.text, form.kind, form.context())
    except ValidationFailed as error:
        return _screen_page(request, actor, form, error=error)
    return _screen_page(request, actor, form, result)


# --- settings ------------------------------------------------------------------------------------------------


def _lines(values: list[str]) -> str:
    return "\n".join(values)


def _settings_page(
    request: Request,
    current: ScreeningSettings,
    form: dict[str, Any] | None = None,
    error: Exception | None = None,
) -> Response:
    rules = []
    submitted_rules: dict[str, dict[str, str]] = (form or {}).get("policy", {})
    for name, rule in current.policy.rules().items():
        default = current.default_policy.rules()[name]
        shown = submitted_rules.get(name, {"mode": rule.mode.value, "reason": rule.reason})
        rules.append(
            {
                "name": name,
                "label": RULE_LABELS.get(name, name.replace("_", " ").capitalize()),
                "mode": shown.get("mode", ""),
                "reason": shown.get("reason", ""),
                "default": default,
            }
        )
    values = form or {
        "other_names": current.other_names,
        "public_figures": current.public_figures,
        "phones": current.phones,
        "emails": current.emails,
        "urls": current.urls,
        "patient_relations_contact": current.patient_relations_contact,
    }
    return render(
        request,
        "screening/settings.html",
        {
            "title": "Screening settings",
            "settings": current,
            "rules": rules,
            "modes": [(mode.value, mode.value.capitalize()) for mode in RuleMode],
            "values": {
                key: _lines(value) if isinstance(value, list) else value for key, value in values.items()
            },
            "error": error,
        },
        status_code=getattr(error, "status", 200),
        section="screen",
    )


@router.get("/settings/screening")
def settings_form(request: Request, db: DbDep, actor: ActorDep) -> Response:
    return _settings_page(request, screening.get_screening_settings(db, actor))


def _split_lines(value: Any) -> list[str]:
    return [line.strip() for line in str(value or "").splitlines() if line.strip()]


@router.post("/settings/screening")
async def settings_submit(request: Request, db: DbDep, actor: ActorDep, origin: OriginDep) -> Response:
    screening.check_can_manage_screening_settings(actor)
    form = await request.form()
    policy: dict[str, dict[str, str]] = {}
    for name in Policy.model_fields:
        mode, reason = form.get(f"rule_{name}_mode"), form.get(f"rule_{name}_reason")
        if mode is not None or reason is not None:
            policy[name] = {"mode": str(mode or ""), "reason": str(reason or "").strip()}
    raw: dict[str, Any] = {
        "policy": policy,
        "other_names": _split_lines(form.get("other_names")),
        "public_figures": _split_lines(form.get("public_figures")),
        "phones": _split_lines(form.get("phones")),
        "emails": _split_lines(form.get("emails")),
        "urls": _split_lines(form.get("urls")),
        "patient_relations_contact": str(form.get("patient_relations_contact") or ""),
    }
    try:
        body = parse_model(ScreeningSettingsInput, raw)
        await run_in_threadpool(screening.do_update_screening_settings, db, actor, body, origin=origin)
    except ValidationFailed as error:
        current = await run_in_threadpool(screening.get_screening_settings, db, actor)
        return _settings_page(request, current, raw, error)
    return RedirectResponse("/settings/screening?done=screening_settings_saved", status_code=303)
