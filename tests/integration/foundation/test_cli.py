from __future__ import annotations

import socket
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rounds.cli.main import app

runner = CliRunner()


def _setup(data_dir: Path) -> None:
    result = runner.invoke(
        app,
        [
            "setup",
            "--organization",
            "CLI Health",
            "--username",
            "admin",
            "--password",
            "cli-long-password",
            "--data-dir",
            str(data_dir),
        ],
    )
    assert result.exit_code == 0, result.output


def test_audit_verify_exit_codes(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    _setup(data_dir)
    assert runner.invoke(app, ["department", "add", "Cardiology", "--data-dir", str(data_dir)]).exit_code == 0
    ok = runner.invoke(app, ["audit", "verify", "--data-dir", str(data_dir)])
    assert ok.exit_code == 0
    assert "intact" in ok.output
    with sqlite3.connect(data_dir / "rounds.sqlite3") as connection:
        connection.execute("UPDATE audit_events SET object_id = '99' WHERE id = 2")
    broken = runner.invoke(app, ["audit", "verify", "--data-dir", str(data_dir), "--json"])
    assert broken.exit_code == 1
    assert '"first_bad_id": 2' in broken.output


def test_unknown_role_and_duplicate_handle_are_clear_errors(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    _setup(data_dir)
    result = runner.invoke(
        app,
        [
            "user",
            "create",
            "bob",
            "--role",
            "wizard",
            "--password",
            "x-long-password",
            "--data-dir",
            str(data_dir),
        ],
    )
    assert result.exit_code == 2
    assert "Unknown role" in result.output
    assert runner.invoke(app, ["account", "add", "x", "@Brand", "--data-dir", str(data_dir)]).exit_code == 0
    duplicate = runner.invoke(app, ["account", "add", "x", "brand", "--data-dir", str(data_dir)])
    assert duplicate.exit_code == 2
    assert "already in the registry" in duplicate.output
    assert "Traceback" not in duplicate.output


def test_account_import_with_line_numbers(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    _setup(data_dir)
    csv_file = tmp_path / "accounts.csv"
    csv_file.write_text("platform,handle\nx,@one\nnope,@two\nbluesky,three.bsky.social\n", encoding="utf-8")
    refused = runner.invoke(app, ["account", "import", str(csv_file), "--data-dir", str(data_dir)])
    assert refused.exit_code == 1
    assert "line 3" in refused.output
    listed = runner.invoke(app, ["account", "list", "--json", "--data-dir", str(data_dir)])
    assert listed.output.strip() == "[]"
    partial = runner.invoke(
        app, ["account", "import", str(csv_file), "--partial", "--data-dir", str(data_dir)]
    )
    assert partial.exit_code == 0
    assert "Imported 2 of 3" in partial.output


def test_serve_refuses_a_busy_port(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        result = runner.invoke(app, ["serve", "--data-dir", str(tmp_path / "d"), "--port", str(port)])
    assert result.exit_code == 2
    assert "already in use" in result.output


def test_production_refuses_default_secret(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ROUNDS_ENVIRONMENT", "production")
    monkeypatch.delenv("ROUNDS_SECRET_KEY", raising=False)
    result = runner.invoke(app, ["db", "upgrade", "--data-dir", str(tmp_path / "d")])
    assert result.exit_code == 2
    assert "secret key" in result.output


@pytest.mark.postgres
def test_database_url_overrides_data_dir(
    tmp_path: Path, postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ROUNDS_DATABASE_URL", postgres_url)
    result = runner.invoke(app, ["db", "upgrade", "--data-dir", str(tmp_path / "d")])
    assert result.exit_code == 0, result.output
    assert not (tmp_path / "d" / "rounds.sqlite3").exists()
