"""kill -9 during `rounds import`, then run it again: zero posts lost, zero duplicated."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from rounds.db import Database
from rounds.db.listening import RawPayloadRecord, StoredPost
from rounds.services import auth
from rounds.settings import load_settings

from .conftest import ORIGIN

TOTAL = 12_000
BAD_EVERY = 997  # malformed lines are quarantined on the way
REPEAT_EVERY = 113  # the same post id again later in the file


def _enricher_available() -> str | None:
    try:
        from rounds.pipeline.enricher import Enricher

        Enricher()
    except Exception as error:  # the shipped models may not be built yet in this checkout
        return f"the enrichment pipeline cannot load: {type(error).__name__}"
    return None


def _write_file(path: Path) -> tuple[int, int]:
    """Returns (distinct valid ids, bad lines)."""
    ids: set[str] = set()
    bad = 0
    with path.open("w", encoding="utf-8") as handle:
        for number in range(1, TOTAL + 1):
            if number % BAD_EVERY == 0:
                handle.write('{"platform": "x", "id": "broken-' + str(number) + '", "text": \n')
                bad += 1
                continue
            remote_id = str(number - 50) if number % REPEAT_EVERY == 0 and number > 50 else str(number)
            ids.add(remote_id)
            body = {
                "platform": "x",
                "id": remote_id,
                "text": f"Post number {number} about the wait at the clinic on floor {number % 9}",
                "author": f"user{number % 500}",
                "created_at": "2026-03-01T12:00:00Z",
            }
            handle.write(json.dumps(body) + "\n")
    return len(ids), bad


def _rounds(*args: str) -> list[str]:
    return [sys.executable, "-c", "from rounds.cli.main import main; main()", *args]


@pytest.mark.slow
def test_kill_9_mid_import_then_rerun_loses_and_doubles_nothing(tmp_path: Path) -> None:
    reason = _enricher_available()
    if reason:
        pytest.skip(reason)
    data_dir = tmp_path / "data"
    settings = load_settings(data_dir=data_dir, environment="test")
    db = Database(settings)
    from rounds.db.migrate import upgrade

    upgrade(db)
    auth.do_first_run_setup(
        db,
        settings,
        organization_name="Crash Test Health",
        username="admin",
        display_name="Admin",
        email="",
        password="a-long-test-password",
        origin=ORIGIN,
    )
    path = tmp_path / "big.jsonl"
    distinct, bad = _write_file(path)
    env = {**os.environ, "ROUNDS_ENVIRONMENT": "test"}
    command = _rounds("import", str(path), "--data-dir", str(data_dir), "--json", "--batch-size", "500")

    def stored() -> int:
        with db.session() as session:
            return session.execute(sa.select(sa.func.count()).select_from(StoredPost)).scalar_one()

    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 300
    while stored() < 2_000:
        assert process.poll() is None, "the import finished before it could be killed: make the file bigger"
        assert time.monotonic() < deadline
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert process.returncode == -signal.SIGKILL
    at_kill = stored()
    assert 0 < at_kill < distinct

    rerun = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600, check=False)
    assert rerun.returncode == 0, rerun.stderr
    report = json.loads(rerun.stdout)
    assert report["read"] == TOTAL
    assert report["quarantined"] == bad
    assert report["stored"] + report["duplicates"] + report["quarantined"] == TOTAL
    assert report["stored"] == distinct - at_kill  # exactly the missing ones, nothing twice

    with db.session() as session:
        assert session.execute(sa.select(sa.func.count()).select_from(StoredPost)).scalar_one() == distinct
        doubled = session.execute(
            sa.select(StoredPost.remote_id)
            .group_by(StoredPost.platform, StoredPost.remote_id)
            .having(sa.func.count() > 1)
        ).all()
        pending = session.execute(
            sa.select(sa.func.count())
            .select_from(RawPayloadRecord)
            .where(RawPayloadRecord.status == "pending")
        ).scalar_one()
    assert doubled == []
    assert pending == 0

    again = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600, check=False)
    assert json.loads(again.stdout) == {
        "read": TOTAL,
        "stored": 0,
        "duplicates": TOTAL - bad,
        "quarantined": bad,
    }
    db.dispose()
