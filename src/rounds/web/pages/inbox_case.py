"""Inbox pages, one case: ``/inbox/cases/{id}`` (the thread with its context, the author, enrichment and screening
explanations, the self-disclosure banner and its actions, history, notes, status / assignment / queue / tags) and
the reply composer with every step a reply goes through (screened, acknowledged, overridden, approved, sent,
failed, unknown → reconciled, or copied and marked sent by hand), plus the hand-off exports.

Each action is a POST form that redirects back to the case (post/redirect/get); a refused action shows the case
again with the reason and what to do. The services decide who may do what; the page only hides the controls a
role cannot use. Post and reply text is never logged.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from rounds.db import Database
from rounds.domain.errors import NotFound, RoundsError, ValidationFailed
from rounds.domain.roles import Permission
from rounds.services import inbox, inbox_config, inbox_export, inbox_replies, inbox_work
from rounds.services.context import Actor
from rounds.services.inbox import CaseStatus
from rounds.services.inbox_replies import ReplyStatus, SenderTarget, Template
from rounds.web.context import ActorDep, DbDep, OriginDep
from rounds.web.forms import checkbox, optional_int
from rounds.web.pages.inbox import page
from rounds.web.pages.inbox_support import assignable_people, sender_factory, timers
from rounds.web.pages.listening import highlight

router = APIRouter()

CASE_NOTICES: dict[str, str] = {
    "assigned": "Assignment saved.",
    "status": "Status saved.",
    "tags": "Tags saved.",
    "queue": "Queue saved.",
    "note": "Note added. Everyone you @mentioned was notified.",
    "reply_drafted": "Reply drafted and screened: see the result below before sending.",
    "reply_edited": "Reply changed and screened again.",
    "acknowledged": "Warnings acknowledged.",
    "overridden": "Block overridden; the reason is in the audit log.",
    "approved": "Reply approved.",
    "sent": "Reply sent.",
    "send_failed": "The reply was NOT sent. The reason is shown on the reply.",
    "send_unknown": "Rounds could not tell whether the platform posted the reply. Check the platform before "
    "anything else (reconcile).",
    "reconciled": "Checked with the platform.",
    "marked_sent": "Reply marked sent by hand.",
    "discarded": "Reply discarded.",
    "hidden": "The comment is hidden on the platform.",
    "incident": "Privacy incident recorded.",
}
TEMPLATE_OPTIONS = [
    (Template.TAKE_OFFLINE.value, "Take it offline (patient relations contact)"),
    (Template.THANKS.value, "Thanks"),
    (Template.CRISIS.value, "Emergency: call 911 / call or text 988"),
    (Template.MISINFORMATION.value, "Misinformation correction (needs a source link)"),
]
OFFER_LABELS = {
    "hide_comment": "Hide the comment",
    "reply_take_offline": "Reply with the take-it-offline template",
    "record_privacy_incident": "Record a privacy incident",
    "reply_crisis": "Reply with the crisis template (911 / 988)",
}
STATUS_WORDS = {
    ReplyStatus.DRAFT.value: "Draft",
    ReplyStatus.BLOCKED.value: "Blocked by screening",
    ReplyStatus.NEEDS_ACK.value: "Needs acknowledgement",
    ReplyStatus.NEEDS_APPROVAL.value: "Waiting for approval",
    ReplyStatus.APPROVED.value: "Ready to send",
    ReplyStatus.SENDING.value: "Sending (outcome not recorded yet)",
    ReplyStatus.SENT.value: "Sent",
    ReplyStatus.FAILED.value: "Not sent: failed",
    ReplyStatus.UNKNOWN.value: "Outcome unknown: reconcile",
    ReplyStatus.DISCARDED.value: "Discarded",
}


def _can_send_on(request: Request, actor: Actor, platform: str) -> bool:
    factory = sender_factory(request)
    try:
        return factory(SenderTarget(actor.organization_id, platform, None, None)) is not None
    except Exception:  # a misconfigured source: the manual path still works
        return False


def _safe_url(url: str | None) -> str | None:
    return url if url and url.lower().startswith(("https://", "http://")) else None


def _names(db: Database, actor: Actor) -> dict[int, str]:
    try:
        from rounds.services import users

        return {person.id: person.display_name for person in users.list_users(db, actor)}
    except RoundsError:
        return {}


def case_page(
    request: Request,
    db: Database,
    actor: Actor,
    case_id: int,
    *,
    error: RoundsError | None = None,
    form: dict[str, str] | None = None,
) -> Response:
    detail = inbox.access_case(db, actor, case_id)
    case = detail.case
    queues = inbox_config.list_queues(db, actor)
    replies = []
    for reply in reversed(detail.replies):
        replies.append(
            {
                "reply": reply,
                "words": STATUS_WORDS.get(reply.status, reply.status),
                "segments": highlight(reply.text, reply.screening_findings),
                "findings": [
                    {**item, "number": number, "excerpt": reply.text[int(item["start"]) : int(item["end"])]}
                    for number, item in enumerate(reply.screening_findings, start=1)
                ],
                "own": reply.created_by_user_id is not None and reply.created_by_user_id == actor.user_id,
                "remote_url": _safe_url(reply.remote_url),
            }
        )
    posts = [
        {
            "post": post,
            "segments": highlight(post.text, [finding.model_dump() for finding in post.findings]),
            "url": _safe_url(post.url),
        }
        for post in detail.posts
    ]
    done = request.query_params.get("done", "")
    return page(
        request,
        actor,
        "inbox/case.html",
        "cases",
        {
            "title": f"Case {case.id}",
            "detail": detail,
            "case": case,
            "timer": timers(case),
            "posts": posts,
            "replies": replies,
            "people": assignable_people(db, actor),
            "names": _names(db, actor),
            "queues": [(str(queue.id), queue.name) for queue in queues],
            "queue_name": next((queue.name for queue in queues if queue.id == case.queue_id), None),
            "statuses": [(status.value, status.value.capitalize()) for status in CaseStatus],
            "templates": TEMPLATE_OPTIONS,
            "offers": [(offer, OFFER_LABELS.get(offer, offer)) for offer in detail.offers],
            "can_send": _can_send_on(request, actor, case.platform),
            "error": error,
            "form": form or {},
            "notice": CASE_NOTICES.get(done, ""),
            "P": Permission,
        },
        status_code=error.status if error else 200,
    )


@router.get("/inbox/cases/{case_id}")
def case_view(request: Request, db: DbDep, actor: ActorDep, case_id: int) -> Response:
    return case_page(request, db, actor, case_id)


def _back(case_id: int, done: str, anchor: str = "") -> RedirectResponse:
    return RedirectResponse(f"/inbox/cases/{case_id}?done={done}{anchor}", status_code=303)


def _or_page(
    request: Request,
    db: Database,
    actor: Actor,
    case_id: int,
    error: RoundsError,
    form: dict[str, str] | None = None,
) -> Response:
    """A refused action: the case again, with the reason (forbidden and not-found still raise)."""
    if error.status in (401, 403, 404):
        raise error
    return case_page(request, db, actor, case_id, error=error, form=form)


# --- work ----------------------------------------------------------------------------------------------------


@router.post("/inbox/cases/{case_id}/assign")
def case_assign(
    request: Request,
    db: DbDep,
    actor: ActorDep,
    origin: OriginDep,
    case_id: int,
    assignee: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "",
) -> Response:
    try:
        if assignee == "round_robin":
            inbox_work.do_assign_round_robin(db, actor, case_id, origin=origin)
        else:
            user_id = (
                actor.user_id
                if assignee == "me"
                else (None if assignee in ("", "none") else optional_int(assignee, "assignee"))
            )
            inbox_work.do_assign_case(db, actor, case_id, user_id, origin=origin)
    except RoundsError as error:
        return _or_page(request, db, actor, case_id, error)
    if next.startswith("/inbox") and "//" not in next:
        return RedirectResponse(next + ("&" if "?" in next else "?") + "done=taken", status_code=303)
    return _back(case_id, "assigned")


@router.post("/inbox/cases/{case_id}/status")
def case_status(
    request: Request,
    db: DbDep,
    actor: ActorDep,
    origin: OriginDep,
    case_id: int,
    status: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "",
) -> Response:
    try:
        inbox_work.do_set_status(db, actor, case_id, status, origin=origin)
    except RoundsError as error:
        return _or_page(request, db, actor, case_id, error)
    if next.startswith("/inbox") and "//" not in next:
        return RedirectResponse(next + ("&" if "?" in next else "?") + "done=resolved", status_code=303)
    return _back(case_id, "status")


@router.post("/inbox/cases/{case_id}/tags")
def case_tags(
    request: Request,
    db: DbDep,
    actor: ActorDep,
    origin: OriginDep,
    case_id: int,
    tags: Annotated[str, Form()] = "",
) -> Response:
    try:
        inbox_work.do_set_tags(db, actor, case_id, [t for t in tags.split(",") if t.strip()], origin=origin)
    except RoundsError as error:
        return _or_page(request, db, actor, case_id, error)
    return _back(case_id, "tags")


@router.post("/inbox/cases/{case_id}/queue")
def case_queue(
    request: Request,
    db: DbDep,
    actor: ActorDep,
    origin: OriginDep,
    case_id: int,
    queue_id: Annotated[str, Form()] = "",
) -> Response:
    try:
        inbox_work.do_set_queue(db, actor, case_id, optional_int(queue_id, "queue_id"), origin=origin)
    except RoundsError as error:
        return _or_page(request, db, actor, case_id, error)
    return _back(case_id, "queue")


@router.post("/inbox/cases/{case_id}/notes")
def case_note(
    request: Request,
    db: DbDep,
    actor: ActorDep,
    origin: OriginDep,
    case_id: int,
    body: Annotated[str, Form()] = "",
) -> Response:
    try:
        inbox_work.do_add_note(db, actor, case_id, body, origin=origin)
    except RoundsError as error:
        return _or_page(request, db, actor, case_id, error, {"note": body})
    return _back(case_id, "note", "#notes")


# --- replies -------------------------------------------------------------------------------------------------


@router.post("/inbox/cases/{case_id}/replies")
def case_reply_create(
    request: Request,
    db: DbDep,
    actor: ActorDep,
    origin: OriginDep,
    case_id: int,
    text: Annotated[str, Form()] = "",
    template: Annotated[str, Form()] = "",
    source_url: Annotated[str, Form()] = "",
    parent_post_id: Annotated[str, Form()] = "",
) -> Response:
    """Draft a reply: own words, or a template (own words win when both are given)."""
    try:
        view = inbox_replies.do_create_reply(
            db,
            actor,
            case_id,
            text=text if text.strip() else None,
            template=template or None,
            source_url=source_url or None,
            parent_post_id=optional_int(parent_post_id, "parent_post_id"),
            origin=origin,
        )
    except RoundsError as error:
        form = {"text": text, "template": template, "source_url": source_url}
        return _or_page(request, db, actor, case_id, error, form)
    return _back(case_id, "reply_drafted", f"#reply-{view.id}")


def _check_reply_in_case(db: Database, actor: Actor, case_id: int, reply_id: int) -> None:
    if reply_id not in {reply.id for reply in inbox.access_case(db, actor, case_id).replies}:
        raise NotFound(f"Reply {reply_id} is not in case {case_id}.")


def _reply_action(
    request: Request,
    db: Database,
    actor: Actor,
    case_id: int,
    reply_id: int,
    done: str,
    action: Any,
) -> Response:
    _check_reply_in_case(db, actor, case_id, reply_id)
    try:
        view = action()
    except RoundsError as error:
        return _or_page(request, db, actor, case_id, error)
    if isinstance(view, inbox.ReplyView):
        if view.status == ReplyStatus.FAILED.value and done == "sent":
            done = "send_failed"
        elif view.status == ReplyStatus.UNKNOWN.value and done in ("sent", "reconciled"):
            done = "send_unknown"
    return _back(case_id, done, f"#reply-{reply_id}")


@router.post("/inbox/cases/{case_id}/replies/{reply_id}/edit")
def reply_edit(
    request: Request,
    db: DbDep,
    actor: ActorDep,
    origin: OriginDep,
    case_id: int,
    reply_id: int,
    text: Annotated[str, Form()] = "",
) -> Response:
    return _reply_action(
        request,
        db,
        actor,
        case_id,
        reply_id,
        "reply_edited",
        lambda: inbox_replies.do_update_reply_text(db, actor, reply_id, text, origin=origin),
    )


@router.post("/inbox/cases/{case_id}/replies/{reply_id}/acknowledge")
def reply_acknowledge(
    request: Request,
    db: DbDep,
    actor: ActorDep,
    origin: OriginDep,
    case_id: int,
    reply_id: int,
    confirm: Annotated[str | None, Form()] = None,
) -> Response:
    def act() -> inbox.ReplyView:
        if not checkbox(confirm):
            raise ValidationFailed(
                "Tick the box to confirm you read the warnings.",
                details=[{"field": "confirm", "message": "required"}],
            )
        return inbox_replies.do_acknowledge_warning(db, actor, reply_id, origin=origin)

    return _reply_action(request, db, actor, case_id, reply_id, "acknowledged", act)


@router.post("/inbox/cases/{case_id}/replies/{reply_id}/override")
def reply_override(
    request: Request,
    db: DbDep,
    actor: ActorDep,
    origin: OriginDep,
    case_id: int,
    reply_id: int,
    reason: Annotated[str, Form()] = "",
) -> Response:
    return _reply_action(
        request,
        db,
        actor,
        case_id,
        reply_id,
        "overridden",
        lambda: inbox_replies.do_override_block(db, actor, reply_id, reason, origin=origin),
    )


@router.post("/inbox/cases/{case_id}/replies/{reply_id}/approve")
def reply_approve(
    request: Request, db: DbDep, actor: ActorDep, origin: OriginDep, case_id: int, reply_id: int
) -> Response:
    return _reply_action(
        request,
        db,
        actor,
        case_id,
        reply_id,
        "approved",
        lambda: inbox_replies.do_approve_reply(db, actor, reply_id, origin=origin),
    )


@router.post("/inbox/cases/{case_id}/replies/{reply_id}/send")
def reply_send(
    request: Request, db: DbDep, actor: ActorDep, origin: OriginDep, case_id: int, reply_id: int
) -> Response:
    factory = sender_factory(request)
    return _reply_action(
        request,
        db,
        actor,
        case_id,
        reply_id,
        "sent",
        lambda: inbox_replies.do_send_reply(db, actor, reply_id, sender_factory=factory, origin=origin),
    )


@router.post("/inbox/cases/{case_id}/replies/{reply_id}/reconcile")
def reply_reconcile(
    request: Request, db: DbDep, actor: ActorDep, origin: OriginDep, case_id: int, reply_id: int
) -> Response:
    factory = sender_factory(request)
    return _reply_action(
        request,
        db,
        actor,
        case_id,
        reply_id,
        "reconciled",
        lambda: inbox_replies.do_reconcile_reply(db, actor, reply_id, sender_factory=factory, origin=origin),
    )


@router.post("/inbox/cases/{case_id}/replies/{reply_id}/mark-sent")
def reply_mark_sent(
    request: Request,
    db: DbDep,
    actor: ActorDep,
    origin: OriginDep,
    case_id: int,
    reply_id: int,
    remote_url: Annotated[str, Form()] = "",
) -> Response:
    return _reply_action(
        request,
        db,
        actor,
        case_id,
        reply_id,
        "marked_sent",
        lambda: inbox_replies.do_mark_sent_manually(
            db, actor, reply_id, remote_url=remote_url.strip() or None, origin=origin
        ),
    )


@router.post("/inbox/cases/{case_id}/replies/{reply_id}/discard")
def reply_discard(
    request: Request, db: DbDep, actor: ActorDep, origin: OriginDep, case_id: int, reply_id: int
) -> Response:
    return _reply_action(
        request,
        db,
        actor,
        case_id,
        reply_id,
        "discarded",
        lambda: inbox_replies.do_discard_reply(db, actor, reply_id, origin=origin),
    )


# --- self-disclosed PHI --------------------------------------------------------------------------------------


@router.post("/inbox/cases/{case_id}/hide")
def case_hide_comment(
    request: Request,
    db: DbDep,
    actor: ActorDep,
    origin: OriginDep,
    case_id: int,
    post_id: Annotated[str, Form()] = "",
) -> Response:
    factory = sender_factory(request)
    try:
        chosen = optional_int(post_id, "post_id")
        if chosen is None:
            raise ValidationFailed("Choose the comment to hide.")
        inbox_replies.do_hide_comment(db, actor, case_id, chosen, sender_factory=factory, origin=origin)
    except RoundsError as error:
        return _or_page(request, db, actor, case_id, error)
    return _back(case_id, "hidden")


@router.post("/inbox/cases/{case_id}/incidents")
def case_incident(
    request: Request,
    db: DbDep,
    actor: ActorDep,
    origin: OriginDep,
    case_id: int,
    description: Annotated[str, Form()] = "",
    post_id: Annotated[str, Form()] = "",
    actions: Annotated[list[str] | None, Form()] = None,
) -> Response:
    try:
        inbox_replies.do_record_privacy_incident(
            db,
            actor,
            case_id,
            description=description,
            post_id=optional_int(post_id, "post_id"),
            actions=[a for a in (actions or []) if a.strip()],
            origin=origin,
        )
    except RoundsError as error:
        return _or_page(request, db, actor, case_id, error, {"incident": description})
    return _back(case_id, "incident")


# --- hand-off ------------------------------------------------------------------------------------------------


@router.get("/inbox/cases/{case_id}/export")
def case_export(
    db: DbDep, actor: ActorDep, origin: OriginDep, case_id: int, audience: str = "", fmt: str = "pdf"
) -> Response:
    body = inbox_export.export_case(db, actor, case_id, audience=audience, fmt=fmt, origin=origin)
    pdf = fmt == "pdf"
    filename = f"rounds-case-{case_id}-{audience}.{'pdf' if pdf else 'txt'}"
    return Response(
        body,
        media_type="application/pdf" if pdf else "text/plain; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"},
    )
