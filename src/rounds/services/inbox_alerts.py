"""Inbox alerts through the listening notifier (in-app, email over SMTP, Slack/Teams/Mattermost webhooks):

* escalation: an emergency or self-harm case notifies the on-call contact at once (quiet hours never apply);
* breaches: an open case with no first response past its due time raises one alert, once (idempotent); an
  open case past its resolution due time raises one resolution-breach alert, once.

Alert reasons name the case, its category and the times, never the post text or the author.
``rounds.services.listening_alerts.deliver_notifications`` delivers them like any other alert; the messages link
to the case (``/inbox/cases/{id}``).
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from pydantic import BaseModel
from sqlalchemy.orm import Session

from rounds.db import Database
from rounds.db.inbox import InboxCase, InboxCaseItem, InboxSettings
from rounds.db.listening import Alert
from rounds.db.models import utcnow
from rounds.domain.audit import AuditAction
from rounds.domain.roles import Permission
from rounds.services import audit
from rounds.services.context import Actor, Origin
from rounds.services.inbox import CaseStatus
from rounds.services.listening_alerts import notify as notify_channels  # the listening notifier, reused

logger = logging.getLogger(__name__)

ESCALATION_KIND = "inbox_emergency"
BREACH_KIND = "inbox_breach"
RESOLUTION_BREACH_KIND = "inbox_resolution_breach"


def settings_row(session: Session, organization_id: int) -> InboxSettings:
    row = session.execute(
        sa.select(InboxSettings).where(InboxSettings.organization_id == organization_id)
    ).scalar_one_or_none()
    if row is None:
        row = InboxSettings(organization_id=organization_id, breach_channels=[], synced_post_id=0)
        session.add(row)
        session.flush()
    return row


def on_call_channels(row: InboxSettings) -> list[dict[str, Any]]:
    channels: list[dict[str, Any]] = []
    if row.on_call_email:
        channels.append({"type": "email", "target": row.on_call_email})
    if row.on_call_webhook_url:
        channels.append(
            {"type": "webhook", "target": row.on_call_webhook_url, "format": row.on_call_webhook_format}
        )
    return channels


def case_path(case: InboxCase) -> str:
    """Where delivered inbox alerts link: the case page."""
    return f"/inbox/cases/{case.id}"


def _first_post_id(session: Session, case: InboxCase) -> int | None:
    return session.execute(
        sa.select(sa.func.min(InboxCaseItem.post_id)).where(InboxCaseItem.case_id == case.id)
    ).scalar_one_or_none()


def escalate(session: Session, case: InboxCase, now: datetime) -> Alert | None:
    """Notify the on-call contact about an emergency case (once per case), inside the caller's transaction."""
    if case.escalation_alert_id is not None:
        return None
    row = settings_row(session, case.organization_id)
    alert = Alert(
        organization_id=case.organization_id,
        post_id=_first_post_id(session, case),
        kind=ESCALATION_KIND,
        score=float(case.priority),
        reason=f"Inbox case {case.id} shows an emergency or self-harm risk on {case.platform}. "
        "The crisis reply (call 911 / call or text 988) is ready in the case: respond now.",
        created_at=now,
    )
    session.add(alert)
    session.flush()
    notify_channels(session, alert, on_call_channels(row), now, link_path=case_path(case))
    case.escalation_alert_id = alert.id
    case.escalated_at = now
    if not row.on_call_email and not row.on_call_webhook_url:
        logger.warning("inbox case %s escalated but no on-call contact is configured", case.id)
    return alert


class BreachReport(BaseModel):
    checked: int
    breached: int
    case_ids: list[int]
    """First-response breaches alerted by this run."""
    resolution_breached: int = 0
    resolution_case_ids: list[int] = []
    """Resolution breaches alerted by this run."""


def _alert(
    session: Session, row: InboxSettings, case: InboxCase, kind: str, late: int, reason: str, now: datetime
) -> Alert:
    alert = Alert(
        organization_id=case.organization_id,
        post_id=_first_post_id(session, case),
        kind=kind,
        score=float(late),
        reason=reason,
        created_at=now,
    )
    session.add(alert)
    session.flush()
    channels = list(row.breach_channels) + (on_call_channels(row) if case.emergency else [])
    notify_channels(session, alert, channels, now, link_path=case_path(case))
    return alert


def check_breaches(
    db: Database, actor: Actor, now: datetime | None = None, *, origin: Origin
) -> BreachReport:
    """Raise one alert per open case past its first-response target with no first response, and one per open
    case past its resolution target. Idempotent: a case is alerted at most once for each target."""
    actor.require(Permission.VIEW_INBOX)
    now = now or utcnow()
    open_statuses = [status.value for status in CaseStatus if status.open]
    breached: list[int] = []
    resolution_breached: list[int] = []
    with db.session() as session:
        base = sa.select(InboxCase).where(
            InboxCase.organization_id == actor.organization_id,
            InboxCase.status.in_(open_statuses),
            InboxCase.merged_into_case_id.is_(None),
        )
        late_response = list(
            session.execute(
                base.where(
                    InboxCase.first_response_at.is_(None),
                    InboxCase.breach_alert_id.is_(None),
                    InboxCase.due_at.is_not(None),
                    InboxCase.due_at < now,
                )
                .order_by(InboxCase.id)
                .with_for_update()
            ).scalars()
        )
        late_resolution = list(
            session.execute(
                base.where(
                    InboxCase.resolution_breach_alert_id.is_(None),
                    InboxCase.resolution_due_at.is_not(None),
                    InboxCase.resolution_due_at < now,
                )
                .order_by(InboxCase.id)
                .with_for_update()
            ).scalars()
        )
        if not late_response and not late_resolution:
            return BreachReport(checked=0, breached=0, case_ids=[])
        row = settings_row(session, actor.organization_id)
        for case in late_response:
            assert case.due_at is not None
            late = int((now - case.due_at).total_seconds() // 60)
            alert = _alert(
                session,
                row,
                case,
                BREACH_KIND,
                late,
                f"Inbox case {case.id} ({case.category}) has had no response for {late} minutes past "
                f"its target (due {case.due_at:%Y-%m-%d %H:%M} UTC).",
                now,
            )
            case.breach_alert_id = alert.id
            case.breached_at = now
            audit.record(
                session,
                actor=actor,
                action=AuditAction.INBOX_RESPONSE_TARGET_BREACHED,
                object_type="inbox_case",
                object_id=case.id,
                after={"alert_id": alert.id, "due_at": case.due_at.isoformat(), "minutes_late": late},
                origin=origin,
            )
            breached.append(case.id)
        for case in late_resolution:
            assert case.resolution_due_at is not None
            late = int((now - case.resolution_due_at).total_seconds() // 60)
            alert = _alert(
                session,
                row,
                case,
                RESOLUTION_BREACH_KIND,
                late,
                f"Inbox case {case.id} ({case.category}) is still unresolved {late} minutes past its "
                f"resolution target (due {case.resolution_due_at:%Y-%m-%d %H:%M} UTC).",
                now,
            )
            case.resolution_breach_alert_id = alert.id
            case.resolution_breached_at = now
            audit.record(
                session,
                actor=actor,
                action=AuditAction.INBOX_RESOLUTION_TARGET_BREACHED,
                object_type="inbox_case",
                object_id=case.id,
                after={
                    "alert_id": alert.id,
                    "resolution_due_at": case.resolution_due_at.isoformat(),
                    "minutes_late": late,
                },
                origin=origin,
            )
            resolution_breached.append(case.id)
    return BreachReport(
        checked=len({c.id for c in late_response} | {c.id for c in late_resolution}),
        breached=len(breached),
        case_ids=breached,
        resolution_breached=len(resolution_breached),
        resolution_case_ids=resolution_breached,
    )
