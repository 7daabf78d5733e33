"""``rounds signals replay``: replay canonical JSONL posts as one topic's stream and write the alerts.

    rounds signals replay --in posts.jsonl --out alerts.jsonl

Input lines are canonical posts in time order. Each post is enriched (sentiment and intents feed the
negative-spike and emergency signals) and passed to the topic's
:class:`~rounds.pipeline.signals.monitor.SignalMonitor`. Output: one line per alert
{"at", "kind", "score", "reason", "component", "post_id"}; "at" is the created_at of the post that raised it.
Bad lines are reported on stderr with their line number and skipped.
"""

from __future__ import annotations

import json
from pathlib import Path

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from rounds.domain.posts import CanonicalLine
from rounds.pipeline.enricher import Enricher
from rounds.pipeline.signals.monitor import SignalMonitor

signals_app = typer.Typer(
    help="Listening signals: spikes, emerging terms, emergencies.", no_args_is_help=True
)


@signals_app.command("replay")
def replay(
    source: Path = typer.Option(..., "--in", help="Canonical JSONL posts of one topic, in time order."),
    target: Path = typer.Option(..., "--out", help="Where to write one line per alert."),
) -> None:
    """Replay a topic's posts through spike, emerging-term and emergency detection (no database)."""
    console = Console(stderr=True)
    if not source.is_file():
        console.print(f"[red]input file not found: {source}[/]")
        raise typer.Exit(2)
    enricher = Enricher(["sentiment", "intent"])
    monitor = SignalMonitor()
    lines = source.read_bytes().decode("utf-8", errors="replace").splitlines()
    alerts = errors = 0
    with (
        target.open("w", encoding="utf-8") as out,
        Progress(
            TextColumn("[bold]replaying"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=console,
        ) as progress,
    ):
        task = progress.add_task("replaying", total=len(lines))
        for number, raw in enumerate(lines, start=1):
            progress.advance(task)
            if not raw.strip():
                continue
            try:
                post = CanonicalLine.model_validate_json(raw).to_post()
            except ValidationError as error:
                errors += 1
                details = error.errors()
                where = ".".join(str(p) for p in details[0]["loc"]) if details else "line"
                message = details[0]["msg"] if details else "invalid"
                progress.console.print(f"line {number} skipped: {where}: {message}", markup=False)
                continue
            for alert in monitor.observe(post, enricher.enrich(post)):
                body = {
                    "at": alert.at.isoformat().replace("+00:00", "Z"),
                    "kind": alert.kind.value,
                    "score": alert.score,
                    "reason": alert.reason,
                    "component": alert.component,
                    "post_id": alert.post_id,
                }
                out.write(json.dumps(body, ensure_ascii=False) + "\n")
                alerts += 1
    console.print(f"{alerts} alert(s), {errors} bad line(s) skipped → {target}")


def register(app: typer.Typer) -> None:
    app.add_typer(signals_app, name="signals")
