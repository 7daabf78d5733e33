"""Safe replies: templates, screening, acknowledgement, override, approval, sending at most once.

A reply moves through::

    draft -> screened -> blocked | needs_ack | needs_approval | approved -> sending -> sent | failed | unknown

* Every reply is screened here (``kind=reply`` with the post it answers as the thread context) when drafted,
  when edited and again right before sending. ``block`` cannot be sent unless a person with
  OVERRIDE_SCREENING overrides it with a reason; ``warn`` needs an explicit acknowledgement; a reply from an
  account with ``requires_approval`` needs the approval of a second person (never its author).
* Sending records the intent (status ``sending``, the idempotency key) and commits, then calls the platform
  sender, then records the outcome in a new transaction. ``failed`` leaves the reply unsent with the error;
  ``unknown`` (timeout, lost connection, crash) is reconciled with ``find_sent_reply`` before any retry, so a
  reply is never sent twice.
* Platforms without a reply API, or without configured credentials: the reply is copied and marked sent by
  hand (who and when are recorded). Either way the sent reply is the archive (text, time, remote id) and the
  sending is audited (the audit event holds the text's SHA-256, not the text).
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import httpx
import sqlalchemy as sa
from sqlalchemy.orm import Session

from rounds.db import Database
from rounds.db.inbox import InboxCase, InboxReply, PrivacyIncident
from rounds.db.listening import ConnectorSource, StoredPost
from rounds.db.models import SocialAccount, utcnow
from rounds.domain.audit import AuditAction
from rounds.domain.errors import Conflict, NotFound, RoundsError, ValidationFailed
from rounds.domain.replies import ReplyRequest, ReplyResult, ReplySender, SendStatus
from rounds.domain.roles import Permission
from rounds.domain.screening import Kind, Screening, ThreadContext, Verdict
from rounds.screening.rewrite import offline_template
from rounds.services import audit, screening
from rounds.services.context import Actor, Origin
from rounds.services.inbox import CaseStatus, ReplyView, case_posts, load_case
from rounds.services.inbox_work import apply_status
from rounds.settings import Settings

logger = logging.getLogger(__name__)

MAX_REPLY_CHARS = 10_000
MIN_OVERRIDE_REASON = 10


class ReplyStatus(StrEnum):
    DRAFT = "draft"
    BLOCKED = "blocked"
    NEEDS_ACK = "needs_ack"
    NEEDS_APPROVAL = "needs_approval"
    APPROVED = "approved"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    UNKNOWN = "unknown"
    DISCARDED = "discarded"


EDITABLE = frozenset(
    {
        ReplyStatus.DRAFT,
        ReplyStatus.BLOCKED,
        ReplyStatus.NEEDS_ACK,
        ReplyStatus.NEEDS_APPROVAL,
        ReplyStatus.APPROVED,
        ReplyStatus.FAILED,
    }
)


class Template(StrEnum):
    THANKS = "thanks"
    TAKE_OFFLINE = "take_offline"
    CRISIS = "crisis"
    MISINFORMATION = "misinformation"


CRISIS_TEXT = (
    "We're concerned about what you shared. If you are in danger or having a medical emergency, call 911 now. "
    "If you are thinking about suicide or self-harm, call or text 988 (Suicide & Crisis Lifeline), any time, "
    "day or night. You are not alone."
)
THANKS_TEXT = "Thank you for taking the time to share this. We'll pass your kind words along to our team."


def render_template(
    db: Database, actor: Actor, template: Template | str, *, source_url: str | None = None
) -> str:
    """A template's text for the actor's organization (take-offline names its patient-relations contact)."""
    actor.require(Permission.RESPOND)
    name = _template(template)
    if name is Template.THANKS:
        return THANKS_TEXT
    if name is Template.CRISIS:
        return CRISIS_TEXT
    if name is Template.TAKE_OFFLINE:
        return offline_template(screening.build_profile(db, actor.organization_id))
    url = (source_url or "").strip()
    if not url.lower().startswith(("https://", "http://")) or len(url) > 500:
        raise ValidationFailed(
            "The misinformation correction needs a source link.",
            hint="Give the http(s) address of a trustworthy source (CDC, WHO, a peer-reviewed article).",
            details=[{"field": "source_url", "message": "an http(s) URL is required"}],
        )
    return (
        "Thanks for raising this. The best current evidence says otherwise; you can read more here: "
        f"{url} . For questions about your own health, please talk with your clinician."
    )


def _template(value: Template | str) -> Template:
    try:
        return value if isinstance(value, Template) else Template(str(value).strip().lower())
    except ValueError:
        allowed = ", ".join(t.value for t in Template)
        raise ValidationFailed(f"Unknown template {value!r}.", hint=f"Use one of: {allowed}.") from None


# --- senders -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SenderTarget:
    organization_id: int
    platform: str
    account_id: int | None
    account_handle: str | None


SenderFactory = Callable[[SenderTarget], ReplySender | None]
"""Returns the platform's sender, or None when replies must be copied and marked sent by hand."""


def no_sender(_target: SenderTarget) -> ReplySender | None:
    return None


def default_sender_factory(
    db: Database, settings: Settings, *, http_client: httpx.Client, clock: Any = None
) -> SenderFactory:
    """Senders from ``rounds.connectors.replies.reply_sender_for`` with the credentials of the organization's
    enabled connector source for the platform; None (the manual path) when there is none."""

    def factory(target: SenderTarget) -> ReplySender | None:
        from rounds.connectors import replies as connector_replies
        from rounds.connectors.clock import SystemClock
        from rounds.services.listening import decrypt_secret

        if target.platform not in connector_replies.REPLY_PLATFORMS:
            return None
        with db.session() as session:
            # Listening sources are named "<platform>.<kind>" (x.recent_search, mastodon.timeline...).
            row = session.execute(
                sa.select(ConnectorSource.credentials_encrypted, ConnectorSource.options)
                .where(
                    ConnectorSource.organization_id == target.organization_id,
                    sa.or_(
                        ConnectorSource.connector == target.platform,
                        ConnectorSource.connector.like(f"{target.platform}.%"),
                    ),
                    ConnectorSource.enabled.is_(True),
                    ConnectorSource.credentials_encrypted.is_not(None),
                )
                .order_by(ConnectorSource.id)
                .limit(1)
            ).first()
        if row is None or not row.credentials_encrypted:
            return None
        sender_class = connector_replies.sender_class(target.platform)
        source_options: dict[str, Any] = dict(row.options or {})
        # The sender takes only its own settings (instance URL, base URL, account id); a source may also carry
        # a "reply" object with reply-only settings (e.g. visibility).
        accepted = set(sender_class.Options.model_fields)
        options = {key: value for key, value in source_options.items() if key in accepted}
        reply_only = source_options.get("reply")
        if isinstance(reply_only, dict):
            options.update(reply_only)
        try:
            sender: ReplySender | None = connector_replies.reply_sender_for(
                target.platform,
                credentials=decrypt_secret(settings, row.credentials_encrypted),
                http_client=http_client,
                clock=clock or SystemClock(),
                options=options,
            )
        except (LookupError, ValueError, NotImplementedError, RoundsError):
            logger.warning("no usable reply sender for platform %s: settings incomplete", target.platform)
            return None
        return sender

    return factory


# --- loading and routing -------------------------------------------------------------------------------------


def _load(
    session: Session, actor: Actor, reply_id: int, *, for_update: bool = False
) -> tuple[InboxReply, InboxCase]:
    if not actor.can(Permission.VIEW_INBOX):
        raise NotFound(f"Reply {reply_id} was not found.")
    query = sa.select(InboxReply).where(
        InboxReply.id == reply_id, InboxReply.organization_id == actor.organization_id
    )
    if for_update:
        query = query.with_for_update()
    reply = session.execute(query).scalar_one_or_none()
    if reply is None:
        raise NotFound(f"Reply {reply_id} was not found.")
    return reply, load_case(session, actor, reply.case_id)


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _new_key() -> str:
    return f"rounds-reply-{secrets.token_hex(16)}"


def _route(reply: InboxReply) -> None:
    """The status that follows from the screening, acknowledgement, override and approval."""
    if reply.screening_verdict == Verdict.BLOCK.value and reply.override_at is None:
        reply.status = ReplyStatus.BLOCKED.value
    elif reply.screening_verdict == Verdict.WARN.value and reply.acknowledged_at is None:
        reply.status = ReplyStatus.NEEDS_ACK.value
    elif reply.approval_required and reply.approved_at is None:
        reply.status = ReplyStatus.NEEDS_APPROVAL.value
    else:
        reply.status = ReplyStatus.APPROVED.value


def _apply_screening(reply: InboxReply, result: Screening, text: str) -> None:
    reply.screening_verdict = result.verdict.value
    reply.screening_reasons = list(result.reasons)
    reply.screening_findings = [
        {
            "type": str(f.type),
            "start": f.start,
            "end": f.end,
            "component": f.component,
            "rule": f.rule,
            "explanation": f.explanation,
        }
        for f in result.findings
    ]
    reply.screening_components = list(result.components)
    reply.screened_text_sha256 = _sha(text)
    reply.screened_at = utcnow()
    reply.acknowledged_at = reply.acknowledged_by_user_id = None
    reply.override_at = reply.override_by_user_id = None
    reply.override_reason = ""
    reply.approved_at = reply.approved_by_user_id = None


def _screening_after(reply: InboxReply) -> dict[str, Any]:
    return {
        "status": reply.status,
        "verdict": reply.screening_verdict,
        "reasons": list(reply.screening_reasons),
        "finding_types": sorted({str(f.get("type")) for f in reply.screening_findings}),
        "text_sha256": reply.screened_text_sha256,
        "template": reply.template,
    }


def _context(db: Database, actor: Actor, parent_post_id: int) -> ThreadContext:
    with db.session() as session:
        post = session.get(StoredPost, parent_post_id)
        if post is None:
            raise NotFound(f"Post {parent_post_id} was not found.")
        return ThreadContext(text=post.text, author=post.author_handle, is_organization=False)


def _screen(db: Database, actor: Actor, text: str, parent_post_id: int) -> Screening:
    return screening.screen_text(db, actor, text, Kind.REPLY, _context(db, actor, parent_post_id))


def _check_text(text: str) -> str:
    cleaned = text.strip()
    if not cleaned:
        raise ValidationFailed("The reply is empty.", details=[{"field": "text", "message": "empty"}])
    if len(cleaned) > MAX_REPLY_CHARS:
        raise ValidationFailed(f"The reply is longer than {MAX_REPLY_CHARS:,} characters.")
    return cleaned


def _answering(session: Session, case: InboxCase, parent_post_id: int | None) -> StoredPost:
    pairs = case_posts(session, case)
    if parent_post_id is None:
        originals = [post for item, post in pairs if not item.is_duplicate] or [post for _i, post in pairs]
        if not originals:
            raise Conflict(f"Case {case.id} has no post to answer.")
        return originals[-1]
    for _item, post in pairs:
        if post.id == parent_post_id:
            return post
    raise NotFound(f"Post {parent_post_id} is not in case {case.id}.")


def _account(session: Session, case: InboxCase) -> SocialAccount | None:
    if case.account_id is not None:
        return session.get(SocialAccount, case.account_id)
    from rounds.services.inbox_sync import platform_key

    for account in session.execute(
        sa.select(SocialAccount)
        .where(SocialAccount.organization_id == case.organization_id, SocialAccount.status == "active")
        .order_by(SocialAccount.id)
    ).scalars():
        if platform_key(account.platform) == platform_key(case.platform):
            return account
    return None


# --- drafting ------------------------------------------------------------------------------------------------


def do_create_reply(
    db: Database,
    actor: Actor,
    case_id: int,
    *,
    text: str | None = None,
    template: Template | str | None = None,
    source_url: str | None = None,
    parent_post_id: int | None = None,
    origin: Origin,
) -> ReplyView:
    """Draft a reply (own text or a template) and screen it at once."""
    actor.require(Permission.RESPOND)
    chosen = _template(template) if template is not None else None
    if text is None:
        if chosen is None:
            raise ValidationFailed("Write the reply or choose a template.")
        text = render_template(db, actor, chosen, source_url=source_url)
    body = _check_text(text)
    with db.session() as session:
        case = load_case(session, actor, case_id)
        if case.merged_into_case_id is not None:
            raise Conflict(f"Case {case.id} was merged into case {case.merged_into_case_id}.")
        parent = _answering(session, case, parent_post_id)
        parent_id = parent.id
    result = _screen(db, actor, body, parent_id)
    with db.session() as session:
        case = load_case(session, actor, case_id)
        account = _account(session, case)
        reply = InboxReply(
            organization_id=actor.organization_id,
            case_id=case.id,
            parent_post_id=parent_id,
            account_id=account.id if account else None,
            platform=case.platform,
            text=body,
            template=chosen.value if chosen else None,
            status=ReplyStatus.DRAFT.value,
            approval_required=bool(account.requires_approval) if account else True,
            idempotency_key=_new_key(),
            created_by_user_id=actor.user_id,
            created_at=utcnow(),
            updated_at=utcnow(),
        )
        _apply_screening(reply, result, body)
        _route(reply)
        session.add(reply)
        session.flush()
        audit.record(
            session,
            actor=actor,
            action=AuditAction.INBOX_REPLY_DRAFTED,
            object_type="inbox_reply",
            object_id=reply.id,
            after={"case_id": case.id, **_screening_after(reply)},
            origin=origin,
        )
        return ReplyView.of(reply)


def do_update_reply_text(
    db: Database, actor: Actor, reply_id: int, text: str, *, origin: Origin
) -> ReplyView:
    """Edit a reply that is not sent: screened again; acknowledgement, override and approval start over."""
    actor.require(Permission.RESPOND)
    body = _check_text(text)
    with db.session() as session:
        reply, _case = _load(session, actor, reply_id)
        if ReplyStatus(reply.status) not in EDITABLE:
            raise Conflict(f"Reply {reply.id} is {reply.status}; it can no longer be edited.")
        parent_id = reply.parent_post_id
    result = _screen(db, actor, body, parent_id)
    with db.session() as session:
        reply, _case = _load(session, actor, reply_id, for_update=True)
        if ReplyStatus(reply.status) not in EDITABLE:
            raise Conflict(f"Reply {reply.id} is {reply.status}; it can no longer be edited.")
        before = _screening_after(reply)
        reply.text = body
        reply.idempotency_key = _new_key()
        reply.last_error_code, reply.last_error_detail = None, ""
        _apply_screening(reply, result, body)
        _route(reply)
        reply.updated_at = utcnow()
        audit.record(
            session,
            actor=actor,
            action=AuditAction.INBOX_REPLY_EDITED,
            object_type="inbox_reply",
            object_id=reply.id,
            before=before,
            after=_screening_after(reply),
            origin=origin,
        )
        return ReplyView.of(reply)


def do_acknowledge_warning(db: Database, actor: Actor, reply_id: int, *, origin: Origin) -> ReplyView:
    """The person sending confirms they read the warnings."""
    actor.require(Permission.RESPOND)
    with db.session() as session:
        reply, _case = _load(session, actor, reply_id, for_update=True)
        if reply.status != ReplyStatus.NEEDS_ACK.value:
            raise Conflict(f"Reply {reply.id} is {reply.status}: there is no warning to acknowledge.")
        reply.acknowledged_at, reply.acknowledged_by_user_id = utcnow(), actor.user_id
        _route(reply)
        audit.record(
            session,
            actor=actor,
            action=AuditAction.INBOX_REPLY_WARNING_ACKNOWLEDGED,
            object_type="inbox_reply",
            object_id=reply.id,
            after={"status": reply.status, "reasons": list(reply.screening_reasons)},
            origin=origin,
        )
        return ReplyView.of(reply)


def do_override_block(db: Database, actor: Actor, reply_id: int, reason: str, *, origin: Origin) -> ReplyView:
    """A privacy officer (OVERRIDE_SCREENING) lets a blocked reply through, giving a reason (audited)."""
    actor.require(Permission.OVERRIDE_SCREENING)
    why = " ".join(reason.split())
    if len(why) < MIN_OVERRIDE_REASON:
        raise ValidationFailed(
            "An override needs a reason.",
            hint=f"Say why this reply is safe to send (at least {MIN_OVERRIDE_REASON} characters).",
            details=[{"field": "reason", "message": "too short"}],
        )
    with db.session() as session:
        reply, _case = _load(session, actor, reply_id, for_update=True)
        if reply.status != ReplyStatus.BLOCKED.value:
            raise Conflict(f"Reply {reply.id} is {reply.status}, not blocked.")
        reply.override_at, reply.override_by_user_id, reply.override_reason = (
            utcnow(),
            actor.user_id,
            why[:1000],
        )
        reply.acknowledged_at, reply.acknowledged_by_user_id = reply.override_at, actor.user_id
        _route(reply)
        audit.record(
            session,
            actor=actor,
            action=AuditAction.INBOX_REPLY_BLOCK_OVERRIDDEN,
            object_type="inbox_reply",
            object_id=reply.id,
            before={"status": ReplyStatus.BLOCKED.value, "reasons": list(reply.screening_reasons)},
            after={"status": reply.status, "override_reason": reply.override_reason},
            origin=origin,
        )
        return ReplyView.of(reply)


def do_approve_reply(db: Database, actor: Actor, reply_id: int, *, origin: Origin) -> ReplyView:
    """The second person's approval; the reply's author cannot approve their own reply."""
    actor.require(Permission.APPROVE_REPLIES)
    with db.session() as session:
        reply, _case = _load(session, actor, reply_id, for_update=True)
        if reply.status != ReplyStatus.NEEDS_APPROVAL.value:
            raise Conflict(f"Reply {reply.id} is {reply.status}, not waiting for approval.")
        if reply.created_by_user_id is not None and reply.created_by_user_id == actor.user_id:
            raise Conflict(
                "You wrote this reply, so you cannot approve it.", hint="Ask a colleague to approve it."
            )
        reply.approved_at, reply.approved_by_user_id = utcnow(), actor.user_id
        _route(reply)
        audit.record(
            session,
            actor=actor,
            action=AuditAction.INBOX_REPLY_APPROVED,
            object_type="inbox_reply",
            object_id=reply.id,
            after={"status": reply.status, "text_sha256": reply.screened_text_sha256},
            origin=origin,
        )
        return ReplyView.of(reply)


def do_discard_reply(db: Database, actor: Actor, reply_id: int, *, origin: Origin) -> ReplyView:
    actor.require(Permission.RESPOND)
    with db.session() as session:
        reply, _case = _load(session, actor, reply_id, for_update=True)
        if ReplyStatus(reply.status) not in EDITABLE:
            raise Conflict(f"Reply {reply.id} is {reply.status}; it cannot be discarded.")
        before = reply.status
        reply.status = ReplyStatus.DISCARDED.value
        audit.record(
            session,
            actor=actor,
            action=AuditAction.INBOX_REPLY_DISCARDED,
            object_type="inbox_reply",
            object_id=reply.id,
            before={"status": before},
            after={"status": reply.status},
            origin=origin,
        )
        return ReplyView.of(reply)


# --- sending -------------------------------------------------------------------------------------------------


def _target(reply: InboxReply, session: Session) -> SenderTarget:
    account = session.get(SocialAccount, reply.account_id) if reply.account_id else None
    return SenderTarget(
        organization_id=reply.organization_id,
        platform=reply.platform,
        account_id=reply.account_id,
        account_handle=account.handle if account else None,
    )


def _request(reply: InboxReply, parent: StoredPost, target: SenderTarget) -> ReplyRequest:
    return ReplyRequest(
        platform=reply.platform,
        parent_remote_id=parent.remote_id,
        text=reply.text,
        idempotency_key=reply.idempotency_key,
        account_handle=target.account_handle,
    )


def _mark_sent(
    session: Session,
    actor: Actor,
    reply: InboxReply,
    case: InboxCase,
    *,
    remote_id: str | None,
    remote_url: str | None,
    manually: bool,
    action: AuditAction,
    origin: Origin,
    extra: dict[str, Any] | None = None,
) -> None:
    now = utcnow()
    reply.status = ReplyStatus.SENT.value
    reply.remote_id = remote_id[:512] if remote_id else None
    reply.remote_url = remote_url[:2000] if remote_url else None
    reply.sent_at = now
    reply.sent_by_user_id = actor.user_id
    reply.sent_manually = manually
    reply.last_error_code, reply.last_error_detail = None, ""
    reply.updated_at = now
    if case.first_response_at is None:
        case.first_response_at = now
    if case.status in (CaseStatus.NEW.value, CaseStatus.ASSIGNED.value):
        apply_status(case, CaseStatus.WAITING, now)
    case.updated_at = now
    audit.record(
        session,
        actor=actor,
        action=action,
        object_type="inbox_reply",
        object_id=reply.id,
        after={
            "case_id": case.id,
            "status": reply.status,
            "remote_id": reply.remote_id,
            "sent_manually": manually,
            "text_sha256": _sha(reply.text),
            "override": reply.override_at is not None,
            "approved_by_user_id": reply.approved_by_user_id,
            "case_status": case.status,
            **(extra or {}),
        },
        origin=origin,
    )


def do_send_reply(
    db: Database, actor: Actor, reply_id: int, *, sender_factory: SenderFactory, origin: Origin
) -> ReplyView:
    """Send an approved (or failed) reply through the platform, at most once. An ``unknown`` or interrupted
    send is reconciled first. Raises Conflict when the reply is not ready, or when the platform cannot send
    (then copy it and use :func:`do_mark_sent_manually`)."""
    actor.require(Permission.RESPOND)
    with db.session() as session:
        reply, _case = _load(session, actor, reply_id)
        status, text, parent_id = ReplyStatus(reply.status), reply.text, reply.parent_post_id
        target = _target(reply, session)
    if status in (ReplyStatus.UNKNOWN, ReplyStatus.SENDING):
        view = do_reconcile_reply(db, actor, reply_id, sender_factory=sender_factory, origin=origin)
        if view.status != ReplyStatus.FAILED.value:
            return view
        status = ReplyStatus.FAILED
    if status not in (ReplyStatus.APPROVED, ReplyStatus.FAILED):
        raise Conflict(
            f"Reply {reply_id} is {status.value}; it cannot be sent yet.",
            hint=_NEXT_STEP.get(status, "Check the reply's status."),
        )
    sender = sender_factory(target)
    if sender is None:
        raise Conflict(
            f"Rounds cannot post replies on {target.platform} for this account.",
            hint="Copy the reply, post it on the platform, then mark it sent by hand.",
        )
    result = _screen(db, actor, text, parent_id)  # screened again right before it leaves
    with db.session() as session:  # transaction 1: the intent, committed before the platform is called
        reply, _case = _load(session, actor, reply_id, for_update=True)
        if reply.status not in (ReplyStatus.APPROVED.value, ReplyStatus.FAILED.value) or reply.text != text:
            raise Conflict(f"Reply {reply.id} changed meanwhile ({reply.status}); look again.")
        if reply.status == ReplyStatus.FAILED.value and not _cleared(reply):
            _route(reply)
            if reply.status != ReplyStatus.APPROVED.value:
                raise Conflict(f"Reply {reply.id} is {reply.status}; it cannot be sent yet.")
        if result.verdict.rank > Verdict(reply.screening_verdict or "ok").rank:
            before = _screening_after(reply)
            _apply_screening(reply, result, text)
            _route(reply)
            audit.record(
                session,
                actor=actor,
                action=AuditAction.INBOX_REPLY_EDITED,
                object_type="inbox_reply",
                object_id=reply.id,
                before=before,
                after={**_screening_after(reply), "rescreened_before_send": True},
                origin=origin,
            )
            blocked = ReplyView.of(reply)
        else:
            blocked = None
            parent = session.get(StoredPost, reply.parent_post_id)
            if parent is None:
                raise NotFound("The post this reply answers is gone.")
            request = _request(reply, parent, target)
            reply.status = ReplyStatus.SENDING.value
            reply.send_attempts += 1
            reply.send_started_at = utcnow()
            audit.record(
                session,
                actor=actor,
                action=AuditAction.INBOX_REPLY_SEND_STARTED,
                object_type="inbox_reply",
                object_id=reply.id,
                after={"attempt": reply.send_attempts, "idempotency_key": reply.idempotency_key},
                origin=origin,
            )
    if blocked is not None:
        raise Conflict(
            f"Screening now finds this reply {result.verdict.value}; it was not sent.",
            hint="Review the reasons again: " + " ".join(result.reasons),
        )
    try:
        outcome = sender.send_reply(request)
    except Exception as error:  # anything after the call started may have posted: reconcile, never resend
        logger.warning("reply %s: sender raised %s; outcome unknown", reply_id, type(error).__name__)
        outcome = ReplyResult(status=SendStatus.UNKNOWN, error_code="exception", detail=type(error).__name__)
    return _record_outcome(db, actor, reply_id, outcome, origin=origin)


_NEXT_STEP = {
    ReplyStatus.BLOCKED: "Screening blocked it: edit the reply, or ask a privacy officer to override with a reason.",
    ReplyStatus.NEEDS_ACK: "Acknowledge the screening warnings first.",
    ReplyStatus.NEEDS_APPROVAL: "A second person must approve it first.",
    ReplyStatus.SENT: "It was already sent.",
    ReplyStatus.DISCARDED: "It was discarded; draft a new reply.",
    ReplyStatus.DRAFT: "It has not been screened yet.",
}


def _cleared(reply: InboxReply) -> bool:
    if reply.screening_verdict == Verdict.BLOCK.value and reply.override_at is None:
        return False
    if reply.screening_verdict == Verdict.WARN.value and reply.acknowledged_at is None:
        return False
    return not (reply.approval_required and reply.approved_at is None)


def _record_outcome(
    db: Database, actor: Actor, reply_id: int, outcome: ReplyResult, *, origin: Origin
) -> ReplyView:
    with db.session() as session:  # transaction 2: the outcome
        reply, case = _load(session, actor, reply_id, for_update=True)
        if outcome.status is SendStatus.SENT:
            _mark_sent(
                session,
                actor,
                reply,
                case,
                remote_id=outcome.remote_id,
                remote_url=outcome.url,
                manually=False,
                action=AuditAction.INBOX_REPLY_SENT,
                origin=origin,
            )
        else:
            failed = outcome.status is SendStatus.FAILED
            reply.status = ReplyStatus.FAILED.value if failed else ReplyStatus.UNKNOWN.value
            reply.last_error_code = (outcome.error_code or ("failed" if failed else "unknown"))[:60]
            reply.last_error_detail = outcome.detail[:500]
            reply.updated_at = utcnow()
            audit.record(
                session,
                actor=actor,
                action=AuditAction.INBOX_REPLY_SEND_FAILED
                if failed
                else AuditAction.INBOX_REPLY_SEND_UNKNOWN,
                object_type="inbox_reply",
                object_id=reply.id,
                after={
                    "status": reply.status,
                    "error_code": reply.last_error_code,
                    "retryable": outcome.retryable,
                },
                origin=origin,
            )
        return ReplyView.of(reply)


def do_reconcile_reply(
    db: Database, actor: Actor, reply_id: int, *, sender_factory: SenderFactory, origin: Origin
) -> ReplyView:
    """After an ``unknown`` outcome (or a crash while ``sending``): ask the platform whether the reply is
    there. Found: recorded as sent. Not found: marked failed, safe to send again with the same key."""
    actor.require(Permission.RESPOND)
    with db.session() as session:
        reply, _case = _load(session, actor, reply_id)
        if reply.status not in (ReplyStatus.UNKNOWN.value, ReplyStatus.SENDING.value):
            raise Conflict(f"Reply {reply.id} is {reply.status}: there is nothing to reconcile.")
        target = _target(reply, session)
        parent = session.get(StoredPost, reply.parent_post_id)
        if parent is None:
            raise NotFound("The post this reply answers is gone.")
        request = _request(reply, parent, target)
    sender = sender_factory(target)
    if sender is None:
        raise Conflict(
            "Rounds cannot check the platform for this reply.",
            hint="Look for the reply on the platform: if it is there, mark it sent by hand.",
        )
    found = sender.find_sent_reply(request)  # errors propagate: the reply stays unknown
    with db.session() as session:
        reply, case = _load(session, actor, reply_id, for_update=True)
        if reply.status not in (ReplyStatus.UNKNOWN.value, ReplyStatus.SENDING.value):
            return ReplyView.of(reply)
        if found is not None and found.status is SendStatus.SENT:
            _mark_sent(
                session,
                actor,
                reply,
                case,
                remote_id=found.remote_id,
                remote_url=found.url,
                manually=False,
                action=AuditAction.INBOX_REPLY_RECONCILED,
                origin=origin,
                extra={"outcome": "found"},
            )
        else:
            reply.status = ReplyStatus.FAILED.value
            reply.last_error_code = "not_sent"
            reply.last_error_detail = "The platform does not have this reply: it is safe to send again."
            reply.updated_at = utcnow()
            audit.record(
                session,
                actor=actor,
                action=AuditAction.INBOX_REPLY_RECONCILED,
                object_type="inbox_reply",
                object_id=reply.id,
                after={"outcome": "not_found", "status": reply.status},
                origin=origin,
            )
        return ReplyView.of(reply)


def do_mark_sent_manually(
    db: Database, actor: Actor, reply_id: int, *, remote_url: str | None = None, origin: Origin
) -> ReplyView:
    """The reply was copied and posted by hand (or found on the platform after an unknown outcome)."""
    actor.require(Permission.RESPOND)
    if remote_url and not remote_url.lower().startswith(("https://", "http://")):
        raise ValidationFailed("The link must start with https:// or http://.")
    with db.session() as session:
        reply, case = _load(session, actor, reply_id, for_update=True)
        if reply.status not in (
            ReplyStatus.APPROVED.value,
            ReplyStatus.UNKNOWN.value,
            ReplyStatus.FAILED.value,
        ):
            raise Conflict(
                f"Reply {reply.id} is {reply.status}; only a cleared reply can be marked sent.",
                hint=_NEXT_STEP.get(ReplyStatus(reply.status), ""),
            )
        if reply.status == ReplyStatus.FAILED.value and not _cleared(reply):
            raise Conflict(f"Reply {reply.id} has not cleared screening and approval.")
        _mark_sent(
            session,
            actor,
            reply,
            case,
            remote_id=None,
            remote_url=remote_url,
            manually=True,
            action=AuditAction.INBOX_REPLY_MARKED_SENT,
            origin=origin,
        )
        return ReplyView.of(reply)


# --- self-disclosed PHI --------------------------------------------------------------------------------------


def do_hide_comment(
    db: Database,
    actor: Actor,
    case_id: int,
    post_id: int,
    *,
    sender_factory: SenderFactory,
    origin: Origin,
) -> bool:
    """Hide a public comment on the platform where supported. Raises Conflict when it is not (hide it on the
    platform by hand, then record it in a privacy incident)."""
    actor.require(Permission.REPORT_PRIVACY_INCIDENTS)
    with db.session() as session:
        case = load_case(session, actor, case_id)
        post = _answering(session, case, post_id)
        account = _account(session, case)
        target = SenderTarget(
            case.organization_id,
            case.platform,
            account.id if account else None,
            account.handle if account else None,
        )
        remote_id = post.remote_id
    sender = sender_factory(target)
    if sender is None or not sender.supports_hide:
        raise Conflict(
            f"Rounds cannot hide comments on {target.platform}.",
            hint="Hide or delete it on the platform, then record a privacy incident.",
        )
    result = sender.hide_comment(remote_id)
    if not result.ok:
        raise Conflict(
            f"The platform refused to hide the comment ({result.error_code or 'error'}).",
            hint=result.detail or "Try again later or hide it on the platform.",
        )
    with db.session() as session:
        case = load_case(session, actor, case_id)
        if "comment_hidden" not in case.tags:
            case.tags = [*case.tags, "comment_hidden"]
        audit.record(
            session,
            actor=actor,
            action=AuditAction.INBOX_COMMENT_HIDDEN,
            object_type="inbox_case",
            object_id=case.id,
            after={"post_id": post_id},
            origin=origin,
        )
    return True


def do_record_privacy_incident(
    db: Database,
    actor: Actor,
    case_id: int,
    *,
    kind: str = "self_disclosure",
    description: str = "",
    post_id: int | None = None,
    actions: list[str] | None = None,
    origin: Origin,
) -> int:
    actor.require(Permission.REPORT_PRIVACY_INCIDENTS)
    if len(description) > 5000:
        raise ValidationFailed("The description is longer than 5,000 characters.")
    with db.session() as session:
        case = load_case(session, actor, case_id)
        if post_id is not None:
            _answering(session, case, post_id)
        incident = PrivacyIncident(
            organization_id=actor.organization_id,
            case_id=case.id,
            post_id=post_id,
            kind=kind[:40],
            description=description.strip(),
            actions=[a[:80] for a in (actions or [])][:20],
            reported_by_user_id=actor.user_id,
            created_at=utcnow(),
        )
        session.add(incident)
        session.flush()
        audit.record(
            session,
            actor=actor,
            action=AuditAction.PRIVACY_INCIDENT_RECORDED,
            object_type="privacy_incident",
            object_id=incident.id,
            after={
                "case_id": case.id,
                "kind": incident.kind,
                "post_id": post_id,
                "actions": incident.actions,
            },
            origin=origin,
        )
        return incident.id
