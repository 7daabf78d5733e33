"""Hand-off exports of a case (legal/risk, patient relations) and inbox metrics.

A hand-off carries the case's facts, timeline and the screening's *rewrite* of every post and reply: the
identifiers screening finds (names, dates, phones, rooms, handles...) are replaced, so the export does not
spread PHI. The author's handle and the post links are left out: the recipient opens the case in Rounds.
Internal notes are left out. The export is audited (who, which case, for whom, which format), not stored.

Metrics: first-response and resolution times, response-target compliance by team (queue) and category, and
volume by intent; CSV export (audited).
"""

from __future__ import annotations

import csv
import io
import statistics
from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from pydantic import BaseModel

from rounds.db import Database
from rounds.db.inbox import InboxCase, InboxQueue
from rounds.db.models import utcnow
from rounds.domain.audit import AuditAction
from rounds.domain.errors import ConfigurationError, ValidationFailed
from rounds.domain.roles import Permission
from rounds.domain.screening import Kind
from rounds.services import audit, screening
from rounds.services.context import Actor, Origin
from rounds.services.inbox import access_case

# --- hand-off ------------------------------------------------------------------------------------------------


class Audience(StrEnum):
    LEGAL_RISK = "legal_risk"
    PATIENT_RELATIONS = "patient_relations"

    @property
    def label(self) -> str:
        return "Legal / risk management" if self is Audience.LEGAL_RISK else "Patient relations"


class ExportFormat(StrEnum):
    PDF = "pdf"
    TEXT = "text"


def _redact(db: Database, actor: Actor, text: str, kind: Kind) -> str:
    if not text.strip():
        return text
    return screening.screen_text(db, actor, text, kind).rewrite


def handoff_text(db: Database, actor: Actor, case_id: int, audience: Audience | str) -> str:
    """The plain-text hand-off (also the email body), with identifiers redacted by the screening rewrite."""
    actor.require(Permission.EXPORT_CASES)
    chosen = Audience(audience)
    detail = access_case(db, actor, case_id)
    case = detail.case
    lines = [
        f"Rounds case {case.id}: hand-off to {chosen.label}",
        f"Generated {utcnow():%Y-%m-%d %H:%M} UTC by {actor.label}. Identifiers were removed by screening; "
        f"open case {case.id} in Rounds for the author and links.",
        "",
        f"Platform: {case.platform}    Source: {case.source}    Category: {case.category}    Status: {case.status}",
        f"Priority: {case.priority} ({case.priority_reason})",
        f"Opened: {case.opened_at:%Y-%m-%d %H:%M} UTC    Due: "
        + (f"{case.due_at:%Y-%m-%d %H:%M} UTC" if case.due_at else "-")
        + "    First response: "
        + (f"{case.first_response_at:%Y-%m-%d %H:%M} UTC" if case.first_response_at else "none yet"),
        f"Self-disclosed health details: {'yes' if case.self_disclosed_phi else 'no'}    "
        f"Emergency: {'yes' if case.emergency else 'no'}    Tags: {', '.join(case.tags) or '-'}",
        "",
        "Posts (redacted):",
    ]
    for number, post in enumerate(detail.posts, start=1):
        lines.append(
            f"  {number}. {post.created_at:%Y-%m-%d %H:%M} UTC, sentiment {post.sentiment}, "
            f"intents {', '.join(post.intents) or '-'}, screening {post.screening_verdict}"
        )
        lines.append("     " + _redact(db, actor, post.text, Kind.COMMENT).replace("\n", "\n     "))
    sent = [reply for reply in detail.replies if reply.status == "sent"]
    lines += ["", "Replies sent (redacted):" if sent else "Replies sent: none"]
    for reply in sent:
        how = "by hand" if reply.sent_manually else "through the platform"
        lines.append(
            f"  - {reply.sent_at:%Y-%m-%d %H:%M} UTC {how}, screening {reply.screening_verdict}"
            + (f", overridden: {reply.override_reason}" if reply.override_by_user_id else "")
        )
        lines.append("     " + _redact(db, actor, reply.text, Kind.REPLY).replace("\n", "\n     "))
    lines += ["", "Timeline:"]
    lines += [
        f"  {entry.occurred_at:%Y-%m-%d %H:%M} UTC  {entry.action}  ({entry.actor_label})"
        for entry in detail.history
    ]
    return "\n".join(lines) + "\n"


def _pdf(text: str, title: str) -> bytes:
    try:
        from fpdf import FPDF
    except ImportError:  # pragma: no cover - depends on the installation
        raise ConfigurationError(
            "PDF export needs the fpdf2 package.", hint="Install it (pip install fpdf2) or export as text."
        ) from None
    document = FPDF(format="Letter")
    document.set_title(title)
    document.set_creator("Rounds")
    document.add_page()
    document.set_font("Helvetica", size=10)
    for line in text.splitlines():
        safe = line.encode("latin-1", "replace").decode("latin-1")  # core fonts are Latin-1
        document.multi_cell(0, 5, safe or " ", new_x="LMARGIN", new_y="NEXT")
    return bytes(document.output())


def export_case(
    db: Database,
    actor: Actor,
    case_id: int,
    *,
    audience: Audience | str,
    fmt: ExportFormat | str = ExportFormat.PDF,
    origin: Origin,
) -> bytes:
    """The hand-off as PDF bytes, or UTF-8 text (an email body). Audited."""
    actor.require(Permission.EXPORT_CASES)
    try:
        chosen, form = Audience(audience), ExportFormat(fmt)
    except ValueError:
        raise ValidationFailed(
            "Unknown audience or format.",
            hint="Audience: legal_risk or patient_relations; format: pdf or text.",
        ) from None
    text = handoff_text(db, actor, case_id, chosen)
    body = _pdf(text, f"Rounds case {case_id}") if form is ExportFormat.PDF else text.encode("utf-8")
    with db.session() as session:
        audit.record(
            session,
            actor=actor,
            action=AuditAction.INBOX_CASE_EXPORTED,
            object_type="inbox_case",
            object_id=case_id,
            after={"audience": chosen.value, "format": form.value, "bytes": len(body)},
            origin=origin,
        )
    return body


# --- metrics -------------------------------------------------------------------------------------------------


class MetricRow(BaseModel):
    team: str
    category: str
    cases: int
    responded: int
    within_target: int
    missed_target: int
    compliance: float | None
    """First response: within / (within + missed); cases still inside their target are not counted yet."""
    median_first_response_minutes: float | None
    mean_first_response_minutes: float | None
    resolved: int
    median_resolution_minutes: float | None
    resolution_within_target: int = 0
    resolution_missed_target: int = 0
    resolution_compliance: float | None = None
    """Resolution: resolved by the resolution due time / (that + resolved late or open past it)."""


class InboxMetrics(BaseModel):
    since: datetime | None
    until: datetime | None
    total_cases: int
    overall: MetricRow
    by_category: list[MetricRow]
    by_team: list[MetricRow]
    volume_by_intent: dict[str, int]


def _minutes(start: datetime, end: datetime | None) -> float | None:
    return None if end is None else max(0.0, (end - start).total_seconds() / 60)


def _row(team: str, category: str, cases: Sequence[InboxCase], now: datetime) -> MetricRow:
    firsts = [m for m in (_minutes(c.opened_at, c.first_response_at) for c in cases) if m is not None]
    resolutions = [m for m in (_minutes(c.opened_at, c.resolved_at) for c in cases) if m is not None]
    within = sum(
        1
        for c in cases
        if c.first_response_at is not None and c.due_at is not None and c.first_response_at <= c.due_at
    )
    missed = sum(
        1
        for c in cases
        if c.due_at is not None
        and (
            (c.first_response_at is not None and c.first_response_at > c.due_at)
            or (c.first_response_at is None and c.due_at < now)
        )
    )
    resolved_within = sum(
        1
        for c in cases
        if c.resolved_at is not None
        and c.resolution_due_at is not None
        and c.resolved_at <= c.resolution_due_at
    )
    resolved_missed = sum(
        1
        for c in cases
        if c.resolution_due_at is not None
        and (
            (c.resolved_at is not None and c.resolved_at > c.resolution_due_at)
            or (c.resolved_at is None and c.resolution_due_at < now)
        )
    )
    return MetricRow(
        team=team,
        category=category,
        cases=len(cases),
        responded=len(firsts),
        within_target=within,
        missed_target=missed,
        compliance=round(within / (within + missed), 4) if within + missed else None,
        median_first_response_minutes=round(statistics.median(firsts), 1) if firsts else None,
        mean_first_response_minutes=round(statistics.fmean(firsts), 1) if firsts else None,
        resolved=len(resolutions),
        median_resolution_minutes=round(statistics.median(resolutions), 1) if resolutions else None,
        resolution_within_target=resolved_within,
        resolution_missed_target=resolved_missed,
        resolution_compliance=round(resolved_within / (resolved_within + resolved_missed), 4)
        if resolved_within + resolved_missed
        else None,
    )


def inbox_metrics(
    db: Database, actor: Actor, *, since: datetime | None = None, until: datetime | None = None
) -> InboxMetrics:
    """Metrics over the cases opened in [since, until) (merged duplicates left out)."""
    actor.require(Permission.VIEW_INBOX_METRICS)
    now = utcnow()
    with db.session() as session:
        query = sa.select(InboxCase).where(
            InboxCase.organization_id == actor.organization_id, InboxCase.merged_into_case_id.is_(None)
        )
        if since is not None:
            query = query.where(InboxCase.opened_at >= since)
        if until is not None:
            query = query.where(InboxCase.opened_at < until)
        cases = list(session.execute(query).scalars())
        queues = dict(
            session.execute(
                sa.select(InboxQueue.id, InboxQueue.name).where(
                    InboxQueue.organization_id == actor.organization_id
                )
            ).all()
        )
    by_category: dict[str, list[InboxCase]] = {}
    by_team: dict[tuple[str, str], list[InboxCase]] = {}
    intents: Counter[str] = Counter()
    for case in cases:
        team = queues.get(case.queue_id, "no queue") if case.queue_id is not None else "no queue"
        by_category.setdefault(case.category, []).append(case)
        by_team.setdefault((team, case.category), []).append(case)
        intents.update(set(case.intents) or {"other"})
    return InboxMetrics(
        since=since,
        until=until,
        total_cases=len(cases),
        overall=_row("all", "all", cases, now),
        by_category=[_row("all", category, rows, now) for category, rows in sorted(by_category.items())],
        by_team=[_row(team, category, rows, now) for (team, category), rows in sorted(by_team.items())],
        volume_by_intent=dict(sorted(intents.items())),
    )


CSV_FIELDS = list(MetricRow.model_fields)


def export_metrics_csv(
    db: Database,
    actor: Actor,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    origin: Origin,
) -> str:
    """One CSV: the overall row, rows by category, rows by team and category, then volume by intent."""
    metrics = inbox_metrics(db, actor, since=since, until=until)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=["section", *CSV_FIELDS, "intent"])
    writer.writeheader()
    writer.writerow({"section": "overall", **metrics.overall.model_dump()})
    for row in metrics.by_category:
        writer.writerow({"section": "category", **row.model_dump()})
    for row in metrics.by_team:
        writer.writerow({"section": "team", **row.model_dump()})
    for intent, count in metrics.volume_by_intent.items():
        writer.writerow({"section": "intent_volume", "intent": intent, "cases": count})
    with db.session() as session:
        audit.record(
            session,
            actor=actor,
            action=AuditAction.INBOX_METRICS_EXPORTED,
            object_type="inbox_metrics",
            after={
                "since": since.isoformat() if since else None,
                "until": until.isoformat() if until else None,
                "cases": metrics.total_cases,
            },
            origin=origin,
        )
    return buffer.getvalue()
