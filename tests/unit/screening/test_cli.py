"""``rounds check`` through Typer's runner on the command module's own app."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from typer.testing import CliRunner

from rounds.cli import check

runner = CliRunner()


def make_app() -> typer.Typer:
    app = typer.Typer()
    check.register(app)

    @app.command("noop")
    def noop() -> None:  # a second command keeps "check" a named sub-command, as in the real app
        """Nothing."""

    return app


def test_check_text_json() -> None:
    result = runner.invoke(make_app(), ["check", "pt Ana Ruiz in bed 4 with sepsis", "--json"])
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    assert body["verdict"] == "block"
    assert any(f["type"] == "ROOM_BED" and f["text"] == "bed 4" for f in body["findings"])


def test_check_text_rich_output() -> None:
    result = runner.invoke(make_app(), ["check", "Free flu shots Monday in the lobby", "--kind", "draft"])
    assert result.exit_code == 0, result.output
    assert "OK" in result.output
    assert "Safe rewrite" in result.output


def test_check_bad_kind_is_clear_error() -> None:
    result = runner.invoke(make_app(), ["check", "hello", "--kind", "tweet"])
    assert result.exit_code == 2
    assert "unknown kind" in result.output


def test_check_file(tmp_path: Path) -> None:
    source = tmp_path / "posts.jsonl"
    lines = [
        json.dumps({"id": "a", "text": "Maggie is back in Room 627 with a concussion", "kind": "staff_post"}),
        "{not json",
        json.dumps({"id": "c", "text": 42}),
        json.dumps(
            {
                "id": "d",
                "text": "Hi Dana, sorry about your stay on 6 East last Tuesday.",
                "kind": "review_response",
                "context": {
                    "text": "Awful stay on 6 East - Dana",
                    "author": "dana",
                    "is_organization": False,
                },
            }
        ),
        json.dumps(
            {"id": "e", "text": "Thanks for the kind words!", "kind": "reply", "context": "great nurses"}
        ),
    ]
    source.write_bytes(("\n".join(lines) + "\n").encode() + b'{"id": "f", "text": "caf\xff"}\n')
    target = tmp_path / "results.jsonl"
    result = runner.invoke(make_app(), ["check", "--in", str(source), "--out", str(target)])
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in target.read_text(encoding="utf-8").splitlines()]
    assert len(records) == 6
    by_id = {r["id"]: r for r in records if r["id"]}
    assert by_id["a"]["verdict"] == "block"
    assert {"start", "end", "type"} <= set(by_id["a"]["findings"][0])
    assert records[1]["error"]["code"] == "invalid_json"
    assert by_id["c"]["error"]["code"] == "missing_text"
    assert by_id["d"]["relationship_confirmation"] is True
    assert by_id["e"]["verdict"] == "ok"
    assert by_id["f"]["verdict"] in ("ok", "warn")
    for record in records:
        if "error" not in record:
            assert isinstance(record["patient_linked"], bool)
            assert isinstance(record["rewrite"], str)


def test_check_file_in_batches_matches_single_screening(tmp_path: Path) -> None:
    """Files are screened in batches; a line the engine refuses (unknown kind) gets its own error record and
    every other line gets exactly what screening it alone gives."""
    texts = [
        "pt Ana Ruiz in bed 4 with sepsis",
        "Free flu shots Monday in the lobby",
        "Sorry about your stay on 6 East last Tuesday",
        "Congrats to our nurse Maria Lopez on her award!",
    ]
    items = [{"id": f"p{i}", "text": texts[i % len(texts)], "kind": "post"} for i in range(150)]
    items[70]["kind"] = "tweet"
    source = tmp_path / "posts.jsonl"
    source.write_text("".join(json.dumps(item) + "\n" for item in items), encoding="utf-8")
    target = tmp_path / "out.jsonl"
    result = runner.invoke(
        make_app(), ["check", "--in", str(source), "--out", str(target), "--name-model", "fast"]
    )
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in target.read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in records] == [item["id"] for item in items]
    assert records[70]["error"]["code"] == "bad_input"
    from rounds.screening import Screener

    screener = Screener(name_model="fast")
    for record, item in zip(records, items, strict=True):
        if "error" in record:
            continue
        alone = check.result_record(item["id"], screener.screen(item["text"], "post"))
        assert record == alone


def test_check_unknown_name_model_is_a_clear_error() -> None:
    result = runner.invoke(make_app(), ["check", "hello", "--name-model", "huge"])
    assert result.exit_code == 2
    assert "--name-model" in result.output
