import json
from pathlib import Path

from typer.testing import CliRunner

from rounds.cli.main import app

runner = CliRunner()


def line(id_: str, text: str, at: str, author: str = "someone") -> str:
    return json.dumps({"platform": "x", "id": id_, "text": text, "author": author, "created_at": at})


def test_enrich_writes_one_line_per_input_in_order_and_reports_bad_lines(tmp_path: Path) -> None:
    source = tmp_path / "posts.jsonl"
    source.write_text(
        "\n".join(
            [
                line("a", "The nurses were wonderful, thank you!", "2024-05-01T10:00:00Z"),
                "{not json",
                json.dumps({"platform": "x", "id": "c", "text": "no date"}),
                line("d", "Does anyone know if the clinic is open on Sunday?", "2024-05-01T10:05:00+02:00"),
                json.dumps(
                    {"platform": "x", "id": "e", "text": "naive date", "created_at": "2024-05-01T10:00:00"}
                ),
            ]
        )
        + "\n",
        encoding="utf-8",
    )
    target = tmp_path / "out.jsonl"
    result = runner.invoke(app, ["enrich", "--in", str(source), "--out", str(target)])
    assert result.exit_code == 0, result.output
    records = [json.loads(x) for x in target.read_text(encoding="utf-8").splitlines()]
    assert [r.get("id") for r in records] == ["a", None, "c", "d", "e"]
    assert records[0]["sentiment"] == "positive"
    assert records[0]["language"] == "en"
    assert "praise" in records[0]["intents"]
    assert records[0]["verdict"] in {"block", "warn", "ok"}
    assert "question" in records[3]["intents"]
    assert records[1]["error"]["code"] == "invalid_json"
    assert records[1]["line"] == 2
    assert "created_at" in records[2]["error"]["message"]
    assert records[2]["line"] == 3
    assert records[4]["line"] == 5
    assert all(
        set(r) >= {"id", "language", "sentiment", "intents", "verdict"} for r in (records[0], records[3])
    )


def test_enrich_missing_input_is_a_clear_error(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["enrich", "--in", str(tmp_path / "nope.jsonl"), "--out", str(tmp_path / "o")]
    )
    assert result.exit_code == 2


def test_signals_replay_emergency_and_volume_spike(tmp_path: Path) -> None:
    lines = []
    # A quiet day: one post every 20 minutes.
    for i in range(72):
        minute = i * 20
        lines.append(
            line(
                f"q{i}",
                "Visiting hours change next week",
                f"2024-05-01T{minute // 60:02d}:{minute % 60:02d}:00Z",
            )
        )
    lines.append(line("sos", "I want to end my life tonight", "2024-05-02T00:10:00Z"))
    # Then a burst: 40 posts in 10 minutes.
    for i in range(40):
        lines.append(
            line(
                f"b{i}",
                f"Smoke at the east entrance, update {i}",
                f"2024-05-02T01:{i // 4:02d}:{(i % 4) * 15:02d}Z",
                author=f"u{i}",
            )
        )
    lines.append("garbage")
    source = tmp_path / "stream.jsonl"
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    target = tmp_path / "alerts.jsonl"
    result = runner.invoke(app, ["signals", "replay", "--in", str(source), "--out", str(target)])
    assert result.exit_code == 0, result.output
    alerts = [json.loads(x) for x in target.read_text(encoding="utf-8").splitlines()]
    kinds = [a["kind"] for a in alerts]
    assert kinds[0] == "emergency"
    assert alerts[0]["at"] == "2024-05-02T00:10:00Z"
    assert "volume_spike" in kinds
    spike = next(a for a in alerts if a["kind"] == "volume_spike")
    assert "2024-05-02T01:00:00Z" <= spike["at"] <= "2024-05-02T01:10:00Z"
    assert all(set(a) >= {"at", "kind", "score", "reason"} for a in alerts)
