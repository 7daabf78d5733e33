"""`rounds listen run --once` (``listening_runs.run_once``): every enabled source once, idempotent on re-run,
and it ends like a scheduler tick (pending signal checks, then due notifications)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from rounds.db import Database
from rounds.services import listening, listening_signals
from rounds.services.context import Actor, Origin
from rounds.services.listening_ingest import Ingestor
from rounds.services.listening_runs import run_once
from rounds.settings import Settings

from .conftest import line, write_jsonl


def test_run_once_imports_each_source_once_and_checks_pending_signals(
    db: Database,
    settings: Settings,
    admin: Actor,
    ingestor: Ingestor,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    export = write_jsonl(
        tmp_path / "export.jsonl",
        [line("r1", "Quick visit at the flu clinic"), line("r2", "Parking was hard to find"), "{truncated"],
    )
    listening.do_create_source(
        db,
        settings,
        admin,
        listening.SourceInput(name="Export", connector="file.import", options={"path": str(export)}),
        origin=Origin.system(),
    )
    checked: list[Any] = []
    real_check = listening_signals.check_pending_signals

    def recording_check(database: Database, now: Any = None) -> int:
        checked.append(now)
        return real_check(database, now)

    monkeypatch.setattr(listening_signals, "check_pending_signals", recording_check)
    refuse = httpx.MockTransport(lambda request: httpx.Response(500))
    with httpx.Client(transport=refuse) as http:
        first = run_once(db, settings, admin, origin=Origin.system(), http=http, ingestor=ingestor)
        again = run_once(db, settings, admin, origin=Origin.system(), http=http, ingestor=ingestor)
    (source,) = first.sources
    assert (source.stored, source.quarantined) == (2, 1)
    assert again.sources[0].stored == 0
    assert len(checked) == 2
