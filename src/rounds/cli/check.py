"""``rounds check``: screen one text, or a JSONL file of posts, for PHI and HIPAA-risky wording.

    rounds check "pt J. Parrish in bed 12 keeps pulling his IV" [--kind post] [--context "..."] [--json]
    rounds check --in posts.jsonl --out results.jsonl

Input lines: {"id", "text", "kind", "context"}; context is the parent post's text or
{"text", "author", "is_organization"}. Output lines: {"id", "verdict", "findings": [{"start", "end", "type",
...}], "rewrite", "patient_linked", "relationship_confirmation", "reasons"}, plus "spans" and "risk" in the
screening data sets' prediction format, so ``score.py`` reads the file as it is. A bad line gets an error
record ({"id", "error": {"code", "message"}}) and the run goes on.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from rounds.domain.errors import RoundsError
from rounds.domain.screening import Screening, SpanType, Verdict
from rounds.screening import Screener
from rounds.screening.model_names import NAME_MODELS

_SCORED_HEALTH = (SpanType.CONDITION, SpanType.MEDICATION, SpanType.CARE_EVENT)
_VERDICT_STYLE = {
    Verdict.BLOCK: "bold white on red",
    Verdict.WARN: "bold black on yellow",
    Verdict.OK: "bold green",
}


def result_record(item_id: Any, result: Screening) -> dict[str, Any]:
    """One output line. Health context is typed CONDITION (its ``subtype`` says which)."""
    findings: list[dict[str, Any]] = []
    spans: list[dict[str, Any]] = []
    notes: list[dict[str, Any]] = []
    for f in result.findings:
        body = f.to_dict()
        if f.type in _SCORED_HEALTH:
            body["subtype"] = str(f.type)
            body["type"] = str(SpanType.CONDITION)
        elif not f.type.identifier:
            notes.append(body)
            continue
        findings.append(body)
        spans.append({"start": f.start, "end": f.end, "type": body["type"]})
    return {
        "id": item_id,
        "verdict": str(result.verdict),
        "risk": str(result.verdict),
        "reasons": result.reasons,
        "findings": findings,
        "spans": spans,
        "notes": notes,
        "rewrite": result.rewrite,
        "offline_template": result.offline_template,
        "patient_linked": result.patient_linked,
        "relationship_confirmation": result.relationship_confirmation,
    }


def _error_record(item_id: Any, line_number: int, code: str, message: str) -> dict[str, Any]:
    return {"id": item_id, "line": line_number, "error": {"code": code, "message": message}}


def parse_line(raw: str, line_number: int) -> dict[str, Any]:
    """A JSONL line as an item to screen, or an error record (``"error"`` key) for a bad line."""
    try:
        item = json.loads(raw)
    except json.JSONDecodeError as error:
        return _error_record(
            None, line_number, "invalid_json", f"line {line_number} is not JSON: {error.msg}"
        )
    if not isinstance(item, dict):
        return _error_record(None, line_number, "invalid_line", f"line {line_number} is not a JSON object")
    item_id = item.get("id")
    text = item.get("text")
    if not isinstance(text, str):
        return _error_record(item_id, line_number, "missing_text", f'line {line_number} has no string "text"')
    return item


def _screen_one(screener: Screener, item: dict[str, Any], line_number: int) -> dict[str, Any]:
    try:
        result = screener.screen(item["text"], item.get("kind") or "post", item.get("context"))
    except RoundsError as error:
        return _error_record(item.get("id"), line_number, str(error.code), error.message)
    return result_record(item.get("id"), result)


BATCH = 64


def screen_lines(screener: Screener, numbered: list[tuple[int, str]]) -> list[dict[str, Any]]:
    """Screen a chunk of lines with one ``screen_many`` call (the name tagger works on the whole batch); if
    the batch is refused (one bad item), each line is screened alone so only that line gets an error record."""
    parsed = [(number, parse_line(raw, number)) for number, raw in numbered]
    good = [(number, item) for number, item in parsed if "error" not in item]
    screened: dict[int, dict[str, Any]] = {}
    try:
        results = screener.screen_many(
            {"text": item["text"], "kind": item.get("kind") or "post", "context": item.get("context")}
            for _, item in good
        )
        for (number, item), result in zip(good, results, strict=True):
            screened[number] = result_record(item.get("id"), result)
    except RoundsError:
        for number, item in good:
            screened[number] = _screen_one(screener, item, number)
    return [item if "error" in item else screened[number] for number, item in parsed]


def _run_file(
    screener: Screener, source: Path, target: Path, console: Console
) -> tuple[int, int, dict[str, int]]:
    data = source.read_bytes()
    lines = data.decode("utf-8", errors="replace").splitlines()
    counts = {str(v): 0 for v in Verdict}
    errors = screened = 0
    with (
        target.open("w", encoding="utf-8") as out,
        Progress(
            TextColumn("[bold]screening"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=console,
            transient=False,
        ) as progress,
    ):
        task = progress.add_task("screening", total=len(lines))
        numbered = [(number, raw) for number, raw in enumerate(lines, start=1) if raw.strip()]
        for start in range(0, len(numbered), BATCH):
            chunk = numbered[start : start + BATCH]
            for record in screen_lines(screener, chunk):
                if "error" in record:
                    errors += 1
                else:
                    screened += 1
                    counts[record["verdict"]] += 1
                out.write(json.dumps(record, ensure_ascii=False) + "\n")
            progress.update(task, completed=chunk[-1][0])
        progress.update(task, completed=len(lines))
    return screened, errors, counts


def _render(console: Console, text: str, result: Screening) -> None:
    console.print(f"[{_VERDICT_STYLE[result.verdict]}] {str(result.verdict).upper()} [/]  ({result.kind})")
    for reason in result.reasons:
        console.print(f"  • {reason}", markup=False)
    if result.findings:
        table = Table(title="Findings", show_lines=False)
        for column in ("span", "text", "type", "component", "rule", "explanation"):
            table.add_column(column, overflow="fold")
        for f in result.findings:
            table.add_row(
                f"{f.start}-{f.end}",
                text[f.start : f.end],
                str(f.type) + (" (org)" if f.organizational else ""),
                f.component,
                f.rule,
                f.explanation,
            )
        console.print(table)
    console.print("[bold]Safe rewrite:[/] ", end="")
    console.print(result.rewrite, markup=False, highlight=False)
    if result.offline_template:
        console.print("[bold]Take it offline:[/] ", end="")
        console.print(result.offline_template, markup=False, highlight=False)


def check(
    text: str | None = typer.Argument(None, help="The text to screen (omit with --in)."),
    kind: str = typer.Option("post", "--kind", help="post | reply | comment | review_response | dm | draft"),
    context: str | None = typer.Option(
        None, "--context", help='The parent post: its text, or JSON {"text","author","is_organization"}.'
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
    source: Path | None = typer.Option(
        None, "--in", help="JSONL input: one {id, text, kind, context} per line."
    ),
    target: Path | None = typer.Option(None, "--out", help="JSONL output (required with --in)."),
    name_model: str = typer.Option(
        "fast",
        "--name-model",
        envvar="ROUNDS_SCREENING_NAME_MODEL",
        help="Name/place tagger: fast (default) or accurate (higher name/place recall, about a third of the "
        "throughput).",
    ),
) -> None:
    """Screen text for PHI and HIPAA-risky wording: verdict, findings and a safe rewrite."""
    console = Console(stderr=source is not None)
    if name_model not in NAME_MODELS:
        console.print(f"[red]--name-model must be one of: {', '.join(NAME_MODELS)}[/]")
        raise typer.Exit(2)
    screener = Screener(name_model=name_model)
    if source is not None:
        if target is None:
            console.print("[red]--out is required with --in[/]")
            raise typer.Exit(2)
        if not source.is_file():
            console.print(f"[red]input file not found: {source}[/]")
            raise typer.Exit(2)
        screened, errors, counts = _run_file(screener, source, target, console)
        console.print(
            f"screened {screened} (block {counts['block']}, warn {counts['warn']}, ok {counts['ok']}), "
            f"{errors} line(s) with errors → {target}"
        )
        return
    if text is None:
        console.print('[red]give a text to screen, or --in FILE --out FILE[/]  (see "rounds check --help")')
        raise typer.Exit(2)
    parsed_context: Any = context
    if context and context.lstrip().startswith("{"):
        try:
            parsed_context = json.loads(context)
        except json.JSONDecodeError:
            parsed_context = context
    try:
        result = screener.screen(text, kind, parsed_context)
    except RoundsError as error:
        console.print(f"[red]error ({error.code}):[/] {error.message}", markup=True)
        if error.hint:
            console.print(f"hint: {error.hint}")
        raise typer.Exit(2) from None
    if as_json:
        body = result.to_dict()
        body["findings"] = [f.to_dict(text) for f in result.findings]
        sys.stdout.write(json.dumps(body, ensure_ascii=False, indent=2) + "\n")
        return
    _render(console, text, result)


def register(app: typer.Typer) -> None:
    app.command("check")(check)
