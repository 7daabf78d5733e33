"""``rounds enrich``: enrich canonical JSONL posts without a database.

    rounds enrich --in posts.jsonl --out enriched.jsonl

Input: canonical lines {"platform", "id", "text", "author", "created_at", optional "url", "parent_id", "lang",
"metrics"}. Output, one line per input line and in input order: {"id", "language", "sentiment", "intents",
"verdict", "author_kind", "influence", "scores", "components", "explanations"}; "verdict" is the screening
engine's block | warn | ok for the text screened as a comment. A bad line gets an error record
{"id", "line", "error": {"code", "message"}} and the run goes on. A progress bar is drawn on stderr.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from rounds.domain.enrichment import Enrichment
from rounds.domain.posts import CanonicalLine
from rounds.pipeline.enricher import Enricher


def _error(item_id: Any, line: int, code: str, message: str) -> dict[str, Any]:
    return {"id": item_id, "line": line, "error": {"code": code, "message": message}}


def _validation_message(line: int, error: ValidationError) -> str:
    parts = []
    for item in error.errors()[:3]:
        where = ".".join(str(p) for p in item.get("loc", ())) or "line"
        parts.append(f"{where}: {item.get('msg', 'invalid')}")
    return f"line {line}: " + "; ".join(parts)


def enrichment_record(item_id: str, result: Enrichment, verdict: str | None) -> dict[str, Any]:
    return {
        "id": item_id,
        "language": result.language,
        "sentiment": result.sentiment.value,
        "intents": [i.value for i in result.intents],
        "verdict": verdict,
        "author_kind": result.author_kind.value,
        "influence": result.influence,
        "scores": {"sentiment": result.sentiment_scores, "intents": result.intent_scores},
        "components": result.component_versions,
        "explanations": [e.model_dump(exclude_none=True) for e in result.explanations],
        **({"failures": [f.model_dump() for f in result.failures]} if result.failures else {}),
    }


def enrich_line(
    enricher: Enricher, screen_text: Callable[[str], str] | None, raw: str, line: int
) -> dict[str, Any]:
    """One output record for one input line; never raises for bad input."""
    try:
        body = json.loads(raw)
    except json.JSONDecodeError as error:
        return _error(None, line, "invalid_json", f"line {line} is not JSON: {error.msg}")
    if not isinstance(body, dict):
        return _error(None, line, "invalid_line", f"line {line} is not a JSON object")
    item_id = body.get("id")
    try:
        post = CanonicalLine.model_validate(body).to_post()
    except ValidationError as error:
        return _error(item_id, line, "invalid_line", _validation_message(line, error))
    result = enricher.enrich(post)
    verdict: str | None = None
    if screen_text is not None:
        try:
            verdict = screen_text(post.text)
        except Exception as error:  # screening failure on one line must not stop the run
            record = enrichment_record(post.remote_id, result, None)
            record["error"] = {"code": "screening_failed", "message": f"line {line}: {type(error).__name__}"}
            return record
    return enrichment_record(post.remote_id, result, verdict)


def _screening() -> Callable[[str], str] | None:
    try:
        from rounds.screening import Screener
    except ImportError:
        return None
    screener = Screener()

    def screen_text(text: str) -> str:
        return str(screener.screen(text, "comment").verdict)

    return screen_text


def enrich(
    source: Path = typer.Option(..., "--in", help="Canonical JSONL posts."),
    target: Path = typer.Option(..., "--out", help="Where to write one enrichment line per input line."),
    screen: bool = typer.Option(
        True, "--screen/--no-screen", help="Add the screening verdict (block/warn/ok)."
    ),
) -> None:
    """Enrich posts (language, sentiment, intents, author kind, influence, screening verdict) without a database."""
    console = Console(stderr=True)
    if not source.is_file():
        console.print(f"[red]input file not found: {source}[/]")
        raise typer.Exit(2)
    enricher = Enricher()
    screen_text = _screening() if screen else None
    lines = source.read_bytes().decode("utf-8", errors="replace").splitlines()
    done = errors = 0
    with (
        target.open("w", encoding="utf-8") as out,
        Progress(
            TextColumn("[bold]enriching"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=console,
        ) as progress,
    ):
        task = progress.add_task("enriching", total=len(lines))
        for number, raw in enumerate(lines, start=1):
            progress.advance(task)
            if not raw.strip():
                continue
            record = enrich_line(enricher, screen_text, raw, number)
            if "error" in record:
                errors += 1
            else:
                done += 1
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
    console.print(f"enriched {done} post(s), {errors} line(s) with errors → {target}")


def register(app: typer.Typer) -> None:
    app.command("enrich")(enrich)
