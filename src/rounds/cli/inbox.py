"""Inbox commands: ``rounds inbox list``, ``show``, ``sync``, ``breaches`` (scripting; the work is in the web)."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from rounds.cli.common import (
    DataDirOption,
    JsonOption,
    configure_logging,
    console,
    handle_errors,
    open_database,
    print_json,
    settings_for,
)
from rounds.services import organizations
from rounds.services.context import Origin
from rounds.services.inbox import CaseFilter, access_case, list_cases
from rounds.services.inbox_alerts import check_breaches
from rounds.services.inbox_sync import do_sync_cases

inbox_app = typer.Typer(help="The engagement inbox: cases, replies, response targets.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(inbox_app, name="inbox")


@inbox_app.command("list")
@handle_errors
def list_command(
    status: str | None = typer.Option(
        None, "--status", help="new, assigned, waiting, resolved, closed or open."
    ),
    queue: int | None = typer.Option(None, "--queue", help="Queue id."),
    limit: int = typer.Option(100, "--limit", min=1, max=1000),
    data_dir: Path | None = DataDirOption,
    as_json: bool = JsonOption,
) -> None:
    """Cases, most urgent first."""
    db = open_database(settings_for(data_dir))
    actor = organizations.system_actor(db)
    cases, total = list_cases(db, actor, CaseFilter(status=status, queue_id=queue), limit=limit)
    if as_json:
        print_json({"total": total, "cases": [case.model_dump(mode="json") for case in cases]})
        return
    table = Table("id", "priority", "status", "category", "platform", "author", "due", "assignee")
    for case in cases:
        due = f"{case.due_at:%Y-%m-%d %H:%M}" if case.due_at else "-"
        table.add_row(
            str(case.id),
            str(case.priority),
            case.status,
            case.category + (" !" if case.emergency else ""),
            case.platform,
            case.author_handle or "-",
            due + (" OVERDUE" if case.overdue else ""),
            case.assignee_name or "-",
        )
    console.print(table)
    console.print(f"{len(cases)} of {total} cases.", highlight=False)


@inbox_app.command("show")
@handle_errors
def show_command(
    case_id: int = typer.Argument(..., help="The case id."),
    data_dir: Path | None = DataDirOption,
    as_json: bool = JsonOption,
) -> None:
    """One case: posts with their explanations, replies, notes and history."""
    db = open_database(settings_for(data_dir))
    detail = access_case(db, organizations.system_actor(db), case_id)
    if as_json:
        print_json(detail.model_dump(mode="json"))
        return
    case = detail.case
    console.print(
        f"[bold]Case {case.id}[/] {case.platform} {case.source} [{case.status}] {case.category}, "
        f"priority {case.priority}: {case.priority_reason}",
        highlight=False,
    )
    if case.self_disclosed_phi:
        console.print(f"[yellow]Self-disclosed health details:[/] {case.phi_reason}", highlight=False)
    for post in detail.posts:
        console.print(
            f"- {post.created_at:%Y-%m-%d %H:%M} @{post.author_handle or '?'} ({post.screening_verdict}): "
            f"{post.text}",
            highlight=False,
        )
    for reply in detail.replies:
        console.print(
            f"  reply {reply.id} [{reply.status}] screening {reply.screening_verdict}: {reply.text}",
            highlight=False,
        )
    for entry in detail.history:
        console.print(
            f"  {entry.occurred_at:%Y-%m-%d %H:%M} {entry.action} ({entry.actor_label})", highlight=False
        )


@inbox_app.command("sync")
@handle_errors
def sync_command(data_dir: Path | None = DataDirOption, as_json: bool = JsonOption) -> None:
    """Create or join cases from the posts stored since the last sync (safe to re-run)."""
    configure_logging()
    db = open_database(settings_for(data_dir))
    report = do_sync_cases(db, organizations.system_actor(db), origin=Origin.cli())
    if as_json:
        print_json(report.model_dump())
        return
    console.print(
        f"Scanned {report.scanned} posts: {report.created} new cases, {report.joined} joined existing cases, "
        f"{report.escalated} emergencies escalated.",
        highlight=False,
    )


@inbox_app.command("breaches")
@handle_errors
def breaches_command(data_dir: Path | None = DataDirOption, as_json: bool = JsonOption) -> None:
    """Raise an alert for each open case past its response target (once per case)."""
    configure_logging()
    db = open_database(settings_for(data_dir))
    report = check_breaches(db, organizations.system_actor(db), origin=Origin.cli())
    if as_json:
        print_json(report.model_dump())
        return
    console.print(f"{report.breached} new breaches: {report.case_ids or 'none'}.", highlight=False)
