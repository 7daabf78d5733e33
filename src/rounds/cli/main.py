"""The ``rounds`` command. Each area adds its commands through one ``register(app)`` function."""

from __future__ import annotations

import typer

from rounds.cli import check, core, enrich, inbox, listening, signals

app = typer.Typer(
    name="rounds",
    help="Rounds: the self-hosted social media command center for health care.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

# One registration line per command module (CONVENTIONS.md 4).
for module in (core, check, listening, enrich, signals, inbox):
    module.register(app)


def main() -> None:
    app()
