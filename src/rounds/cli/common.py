"""Shared CLI plumbing: settings from options, one error renderer, JSON output."""

from __future__ import annotations

import functools
import json
import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

import typer
from rich.console import Console

from rounds.db import Database
from rounds.db.migrate import upgrade
from rounds.domain.errors import RoundsError
from rounds.settings import Settings, load_settings

P = ParamSpec("P")
R = TypeVar("R")

console = Console()
error_console = Console(stderr=True)

DataDirOption = typer.Option(
    None,
    "--data-dir",
    help="Directory for the SQLite database and files (ROUNDS_DATA_DIR).",
    envvar="ROUNDS_DATA_DIR",
)
JsonOption = typer.Option(False, "--json", help="Print machine-readable JSON.")


def configure_logging(level: int = logging.INFO) -> None:
    logging.basicConfig(
        level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr
    )


def settings_for(data_dir: Path | None, **overrides: object) -> Settings:
    return load_settings(data_dir=data_dir, **overrides)


def open_database(settings: Settings, *, migrate: bool = True) -> Database:
    db = Database(settings)
    if migrate:
        upgrade(db)
    return db


def print_json(value: Any) -> None:
    typer.echo(json.dumps(value, indent=2, default=str, ensure_ascii=False))


def handle_errors(function: Callable[P, R]) -> Callable[P, R]:
    """Render RoundsError as a clear message and exit 2; never a traceback for expected failures."""

    @functools.wraps(function)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return function(*args, **kwargs)
        except RoundsError as error:
            error_console.print(f"[bold red]error[/] ({error.code}): {error.message}", highlight=False)
            for detail in error.details:
                error_console.print(f"  - {detail}", highlight=False)
            if error.hint:
                error_console.print(f"[dim]{error.hint}[/]", highlight=False)
            raise typer.Exit(2) from None

    return wrapper
