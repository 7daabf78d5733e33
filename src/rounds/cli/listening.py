"""Listening commands: ``rounds import``, ``rounds topics add/list/test``, ``rounds listen run --once``,
``rounds listen quarantine list/resolve/retry``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from rounds.cli.common import (
    DataDirOption,
    JsonOption,
    configure_logging,
    console,
    error_console,
    handle_errors,
    open_database,
    print_json,
    settings_for,
)
from rounds.domain.errors import ValidationFailed
from rounds.services import organizations
from rounds.services.context import Origin
from rounds.services.listening_ingest import IngestCounts, import_file
from rounds.services.listening_runs import SourceRunResult, run_once
from rounds.services.listening_topics import do_create_topic, find_topic, list_topics, try_query

topics_app = typer.Typer(help="Listening topics: saved Boolean queries.", no_args_is_help=True)
listen_app = typer.Typer(help="Run the listening connectors.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.command(name="import")(import_command)
    app.add_typer(topics_app, name="topics")
    app.add_typer(listen_app, name="listen")


def _mapping(path: Path | None) -> dict[str, Any] | None:
    if path is None:
        return None
    try:
        loaded = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise ValidationFailed(f"Cannot read the column mapping {path}: {error}.") from None
    if not isinstance(loaded, dict):
        raise ValidationFailed("The column mapping must be a JSON object (canonical field -> column).")
    return loaded


@handle_errors
def import_command(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, readable=True, help="CSV or JSONL file."),
    data_dir: Path | None = DataDirOption,
    as_json: bool = typer.Option(
        False, "--json", help='Print {"read", "stored", "duplicates", "quarantined"} only.'
    ),
    partial: bool = typer.Option(
        True,
        "--partial/--strict",
        help="--partial (default): store the good lines and quarantine bad ones. "
        "--strict: import nothing when any line is bad.",
    ),
    file_format: str | None = typer.Option(None, "--format", help="jsonl or csv (default: from the suffix)."),
    mapping: Path | None = typer.Option(
        None, "--mapping", help="JSON file mapping canonical fields to CSV columns (see docs/listening.md)."
    ),
    batch_size: int = typer.Option(1000, "--batch-size", min=1, max=100_000),
) -> None:
    """Import posts from a CSV/JSONL export. Re-running the same file stores nothing new."""
    configure_logging()
    settings = settings_for(data_dir)
    db = open_database(settings)
    actor = organizations.system_actor(db)
    kwargs: dict[str, Any] = {
        "origin": Origin.cli(),
        "file_format": file_format,
        "mapping": _mapping(mapping),
        "batch_size": batch_size,
        "strict": not partial,
    }
    if as_json:
        report = import_file(db, actor, file, **kwargs)
        print_json(report.to_dict())
        return
    with Progress(
        TextColumn("[bold]importing[/] {task.description}"),
        BarColumn(),
        DownloadColumn(),
        TextColumn("{task.fields[counts]}"),
        TimeRemainingColumn(),
        console=error_console,
    ) as bar:
        task = bar.add_task(file.name, total=file.stat().st_size, counts="")

        def progress(done: int, total: int, counts: IngestCounts) -> None:
            bar.update(
                task,
                completed=done,
                total=total,
                counts=f"{counts.stored} stored, {counts.duplicates} dup, {counts.quarantined} bad",
            )

        report = import_file(db, actor, file, progress=progress, **kwargs)
    counts = report.counts
    console.print(
        f"Read {counts.read}: stored {counts.stored}, duplicates {counts.duplicates} "
        f"(near/exact copies grouped: {counts.grouped}), quarantined {counts.quarantined}.",
        highlight=False,
    )
    if counts.quarantined:
        console.print(
            "See the quarantine for the reasons (web app: Listening > Quarantine).", highlight=False
        )


# --- topics --------------------------------------------------------------------------------------------------


@topics_app.command("add")
@handle_errors
def topics_add(
    name: str = typer.Argument(...),
    query: str = typer.Argument(..., help="Boolean query, e.g. '\"Mercy General\" AND (ER OR wait) NOT job'"),
    kind: str = typer.Option(
        "brand", "--type", help="brand, clinician, competitor, service_line, public_health"
    ),
    department: str | None = typer.Option(None, "--department", help="Owning department's name."),
    description: str = typer.Option("", "--description"),
    no_backfill: bool = typer.Option(False, "--no-backfill", help="Do not match stored posts now."),
    data_dir: Path | None = DataDirOption,
    as_json: bool = JsonOption,
) -> None:
    """Save a topic (validated) and match it over the stored posts."""
    settings = settings_for(data_dir)
    db = open_database(settings)
    actor = organizations.system_actor(db)
    department_id = None
    if department:
        from rounds.cli.core import _department_id

        department_id = _department_id(db, department)
    view = do_create_topic(
        db,
        actor,
        name=name,
        kind=kind,
        query=query,
        description=description,
        department_id=department_id,
        backfill=not no_backfill,
        origin=Origin.cli(),
    )
    if as_json:
        print_json(view.model_dump(mode="json"))
    else:
        console.print(
            f"Created topic {view.name!r} (id {view.id}): {view.canonical_query} — {view.matches} stored posts match.",
            highlight=False,
        )


@topics_app.command("list")
@handle_errors
def topics_list(data_dir: Path | None = DataDirOption, as_json: bool = JsonOption) -> None:
    """List topics with their match counts."""
    settings = settings_for(data_dir)
    db = open_database(settings)
    views = list_topics(db, organizations.system_actor(db))
    if as_json:
        print_json([view.model_dump(mode="json") for view in views])
        return
    table = Table("id", "name", "type", "query", "matches", "active")
    for view in views:
        table.add_row(
            str(view.id),
            view.name,
            view.kind.value,
            view.query,
            str(view.matches),
            "yes" if view.is_active else "no",
        )
    console.print(table)


@topics_app.command("test")
@handle_errors
def topics_test(
    query: str = typer.Argument(..., help="A query, or the name or id of a saved topic with --saved."),
    saved: bool = typer.Option(False, "--saved", help="Test the saved topic with this name or id."),
    limit: int = typer.Option(5000, "--limit", help="How many of the newest stored posts to check."),
    data_dir: Path | None = DataDirOption,
    as_json: bool = JsonOption,
) -> None:
    """Validate a query and count how many stored posts it matches (nothing is saved)."""
    settings = settings_for(data_dir)
    db = open_database(settings)
    actor = organizations.system_actor(db)
    if saved:
        from rounds.services.listening_topics import access_topic

        query = access_topic(db, actor, find_topic(db, actor, query)).query
    result = try_query(db, actor, query, limit=limit)
    if as_json:
        print_json(result.model_dump(mode="json"))
    else:
        console.print(
            f"{result.canonical_query}: {result.matched} of the {result.checked} newest posts match"
            + (
                f" (e.g. post ids {', '.join(map(str, result.sample_post_ids))})"
                if result.sample_post_ids
                else ""
            )
            + ".",
            highlight=False,
        )


# --- listen --------------------------------------------------------------------------------------------------


@listen_app.command("run")
@handle_errors
def listen_run(
    once: bool = typer.Option(False, "--once", help="One pass over every enabled source, then exit."),
    data_dir: Path | None = DataDirOption,
    as_json: bool = JsonOption,
) -> None:
    """Run the connector sources (embedded mode runs them on a schedule inside `rounds serve`)."""
    if not once:
        raise ValidationFailed(
            "Only --once is supported from the command line.",
            hint="`rounds serve` runs connectors on a schedule; use `rounds listen run --once` from cron.",
        )
    configure_logging()
    settings = settings_for(data_dir)
    db = open_database(settings)
    actor = organizations.system_actor(db)

    def show(result: SourceRunResult) -> None:
        if not as_json:
            console.print(
                f"{result.name}: {result.status} — {result.stored} stored, {result.duplicates} duplicates, "
                f"{result.quarantined} quarantined. {result.detail}",
                highlight=False,
            )

    report = run_once(db, settings, actor, origin=Origin.cli(), on_source=show)
    if as_json:
        print_json(report.model_dump(mode="json"))
    elif not report.sources:
        console.print("No enabled connector sources.")


# --- quarantine ----------------------------------------------------------------------------------------------

quarantine_app = typer.Typer(help="What could not become a post: list, resolve, retry.", no_args_is_help=True)
listen_app.add_typer(quarantine_app, name="quarantine")


@quarantine_app.command("list")
@handle_errors
def quarantine_list(
    limit: int = typer.Option(100, "--limit", min=1, max=1000, help="How many, newest first."),
    data_dir: Path | None = DataDirOption,
    as_json: bool = JsonOption,
) -> None:
    """Unresolved quarantined items with their reasons."""
    from rounds.services.listening_search import list_quarantine

    settings = settings_for(data_dir)
    db = open_database(settings)
    items, total = list_quarantine(db, organizations.system_actor(db), limit=limit)
    if as_json:
        print_json({"items": [item.model_dump(mode="json") for item in items], "total": total})
        return
    if not items:
        console.print("The quarantine is empty.")
        return
    table = Table(title=f"Quarantine: {total} unresolved")
    for column in ("id", "when", "source", "platform / kind", "line", "reason", "retries"):
        table.add_column(column)
    for item in items:
        table.add_row(
            str(item.id),
            item.created_at.strftime("%Y-%m-%d %H:%M"),
            item.source or "-",
            f"{item.platform or '-'} / {item.kind or '-'}",
            "-" if item.line is None else str(item.line),
            item.reason,
            str(item.retry_count) + ("" if item.retryable else " (no payload)"),
        )
    console.print(table)


@quarantine_app.command("resolve")
@handle_errors
def quarantine_resolve(
    item_id: int = typer.Argument(..., help="The item's id (see `rounds listen quarantine list`)."),
    note: str = typer.Option(..., "--note", help="Why it is closed (no post text)."),
    data_dir: Path | None = DataDirOption,
    as_json: bool = JsonOption,
) -> None:
    """Close an item with a note; nothing is stored."""
    from rounds.services.listening_quarantine import ResolveInput, do_resolve_quarantined

    settings = settings_for(data_dir)
    db = open_database(settings)
    actor = organizations.system_actor(db)
    view = do_resolve_quarantined(db, actor, item_id, ResolveInput(note=note), origin=Origin.cli())
    if as_json:
        print_json(view.model_dump(mode="json"))
    else:
        console.print(f"Quarantined item {view.id} resolved.", highlight=False)


@quarantine_app.command("retry")
@handle_errors
def quarantine_retry(
    item_ids: list[int] = typer.Argument(..., help="One or more item ids."),
    data_dir: Path | None = DataDirOption,
    as_json: bool = JsonOption,
) -> None:
    """Parse items' stored payloads again (after a parser fix); store what now parses and close those items."""
    from rounds.connectors.registry import default_registry
    from rounds.services.listening_quarantine import do_retry_quarantined
    from rounds.services.listening_schedule import make_ingestor

    configure_logging()
    settings = settings_for(data_dir)
    db = open_database(settings)
    actor = organizations.system_actor(db)
    ingestor = make_ingestor(db, actor.organization_id, default_registry())
    results = []
    for item_id in item_ids:
        result = do_retry_quarantined(db, actor, item_id, origin=Origin.cli(), ingestor=ingestor)
        results.append(result)
        if not as_json:
            if result.outcome == "stored":
                console.print(
                    f"Item {item_id}: parsed; {result.stored} stored, {result.duplicates} already stored; closed.",
                    highlight=False,
                )
            else:
                console.print(f"Item {item_id}: still failing: {result.reason}", highlight=False)
    if as_json:
        print_json([result.model_dump(mode="json") for result in results])
    if any(result.outcome != "stored" for result in results):
        raise typer.Exit(1)
